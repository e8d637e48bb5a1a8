/**
 * `cdk-hybrid-alb-service simulate`: runs a load trace through Lambda only, Fargate only and the hybrid, and prints
 * what each costs and serves. All I/O goes through `CliIo`, so tests run `main` without a process or files.
 */
import { renderChart } from './chart';
import { isProfileName, PROFILE_NAMES, profileTrace } from './profiles';
import { ProgressBar } from './progress';
import { buildReport, formatReport } from './report';
import { ConfigError, resolveSettings, SimulationSettings } from './settings';
import { simulate } from './simulate';
import { ArrivalProcess, parseTraceCsv, Trace, TraceFormatError } from './trace';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a UTF-8 file; throws when it cannot. */
  readonly readFile: (path: string) => string;
  readonly writeFile: (path: string, content: string) => void;
  /** Whether stderr is a terminal: the progress bar is drawn only there. */
  readonly stderrIsTty: boolean;
}

export const EXIT_OK = 0;
/** The run failed: a file could not be read or parsed. */
export const EXIT_FAILURE = 1;
/** The command line is wrong. */
export const EXIT_USAGE = 2;

/** Traces from this many minutes on show a progress bar. */
const PROGRESS_FROM_MINUTES = 6 * 60;

export const USAGE = `Usage: cdk-hybrid-alb-service simulate (--trace FILE.csv | --profile NAME) [options]

Simulates a load trace against Lambda only, Fargate only and the hybrid service (this library) and reports
each one's monthly cost (the trace scaled to 30 days), requests served and failed, cold starts and latency.

  --trace FILE.csv        requests per second per minute: header "minute,rps", then minutes 0, 1, 2, ...
  --profile NAME          a built-in day instead: ${PROFILE_NAMES.join(', ')}
  --config FILE.json      { "scaling": {...}, "workload": {...}, "prices": {...} }, each overriding defaults
  --json                  print the report as JSON on stdout
  --chart FILE.svg        write an SVG chart of the hybrid run
  --seed N                seed of the random arrivals and start times (default 1)
  --arrivals KIND         poisson (default) or deterministic
  --warmup-minutes N      minutes simulated before the trace and left out of the figures
                          (default 60 for profiles, which repeat daily, 0 for traces)
  --help                  show this text
`;

class UsageError extends Error {}

interface Options {
  trace?: string;
  profile?: string;
  config?: string;
  json: boolean;
  chart?: string;
  seed: number;
  arrivals: ArrivalProcess;
  warmupMinutes?: number;
}

const VALUE_FLAGS = ['--trace', '--profile', '--config', '--chart', '--seed', '--arrivals', '--warmup-minutes'];

export function main(argv: readonly string[], io: CliIo): number {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(USAGE);
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] !== 'simulate') {
    io.stderr(`Unknown command "${argv[0]}"; the only command is "simulate".\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  let options: Options | 'help';
  try {
    options = parseOptions(argv.slice(1));
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (options === 'help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  try {
    return run(options, io);
  } catch (e) {
    if (e instanceof TraceFormatError || e instanceof ConfigError || e instanceof FileError) {
      io.stderr(`${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

function parseOptions(args: readonly string[]): Options | 'help' {
  const options: Options = { json: false, seed: 1, arrivals: ArrivalProcess.POISSON };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i]);
    if (flag === '--help' || flag === '-h') {
      return 'help';
    }
    if (flag === '--json') {
      options.json = true;
      continue;
    }
    if (!VALUE_FLAGS.includes(flag)) {
      throw new UsageError(`Unknown option "${args[i]}".`);
    }
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`Option ${flag} needs a value.`);
    }
    setOption(options, flag, value);
  }
  if ((options.trace === undefined) === (options.profile === undefined)) {
    throw new UsageError('Give exactly one of --trace FILE.csv and --profile NAME.');
  }
  if (options.profile !== undefined && !isProfileName(options.profile)) {
    throw new UsageError(`Unknown profile "${options.profile}"; use one of ${PROFILE_NAMES.join(', ')}.`);
  }
  return options;
}

function setOption(options: Options, flag: string, value: string): void {
  switch (flag) {
    case '--trace': options.trace = value; return;
    case '--profile': options.profile = value; return;
    case '--config': options.config = value; return;
    case '--chart': options.chart = value; return;
    case '--seed': options.seed = wholeNumber(flag, value); return;
    case '--warmup-minutes': options.warmupMinutes = wholeNumber(flag, value); return;
    case '--arrivals':
      if (value !== ArrivalProcess.POISSON && value !== ArrivalProcess.DETERMINISTIC) {
        throw new UsageError(`--arrivals "${value}" is not an arrival process; use poisson or deterministic.`);
      }
      options.arrivals = value;
      return;
  }
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return arg.startsWith('--') && equals > 0 ? [arg.slice(0, equals), arg.slice(equals + 1)] : [arg, undefined];
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} "${value}" is not a whole number >= 0.`);
  }
  return Number(value);
}

/** A file could not be read, parsed or written; the message names it. */
class FileError extends Error {}

function run(options: Options, io: CliIo): number {
  const trace = loadTrace(options, io);
  const settings = loadSettings(options, io);
  const progress = io.stderrIsTty && trace.rpsByMinute.length >= PROGRESS_FROM_MINUTES ? new ProgressBar(io.stderr, 'Simulating') : undefined;
  const result = simulate(trace, settings, {
    seed: options.seed,
    arrivals: options.arrivals,
    warmupMinutes: options.warmupMinutes,
    onProgress: progress ? (fraction) => progress.update(fraction) : undefined,
  });
  progress?.done();
  const report = buildReport(result);
  if (options.chart !== undefined) {
    writeFile(io, options.chart, renderChart(result));
  }
  io.stdout(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  if (options.chart !== undefined && !options.json) {
    io.stdout(`Chart written to ${options.chart}\n`);
  }
  return EXIT_OK;
}

function loadTrace(options: Options, io: CliIo): Trace {
  if (options.profile !== undefined) {
    return profileTrace(options.profile as Parameters<typeof profileTrace>[0]);
  }
  return parseTraceCsv(readFile(io, options.trace!, 'trace'), options.trace!);
}

function loadSettings(options: Options, io: CliIo): SimulationSettings {
  if (options.config === undefined) {
    return resolveSettings({});
  }
  const text = readFile(io, options.config, 'config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FileError(`${options.config}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return resolveSettings(parsed);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new FileError(`${options.config}: ${e.problems.join('; ')}`);
    }
    throw e;
  }
}

function readFile(io: CliIo, path: string, what: string): string {
  try {
    return io.readFile(path);
  } catch (e) {
    throw new FileError(`Cannot read the ${what} file ${path}: ${(e as Error).message}`);
  }
}

function writeFile(io: CliIo, path: string, content: string): void {
  try {
    io.writeFile(path, content);
  } catch (e) {
    throw new FileError(`Cannot write ${path}: ${(e as Error).message}`);
  }
}
