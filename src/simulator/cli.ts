/**
 * `cdk-hybrid-alb-service simulate`: runs a load trace through Lambda only, Fargate only and the hybrid, and prints
 * what each costs and serves. All I/O goes through `CliIo`, so tests run `main` without a process or files.
 */
import { parseArgs } from 'util';
import { renderChart, renderComparison } from './chart';
import { isProfileName, PROFILE_NAMES, ProfileName, profileTrace, scenarioConfig } from './profiles';
import { ProgressBar } from './progress';
import { buildReport, formatReport } from './report';
import { ConfigError, resolveSettings, SimulationSettings } from './settings';
import { simulate } from './simulate';
import { formatSpread, spreadReport } from './spread';
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

Simulates a load trace against Lambda only, Fargate only, the hybrid service (this library) and a hindsight oracle,
and reports each one's monthly cost (the trace scaled to 730 hours), requests served and failed by cause, cold
starts and latency.

  --trace FILE.csv        requests per second per minute: header "minute,rps", then minutes 0, 1, 2, ...
  --profile NAME          a built-in trace instead: ${PROFILE_NAMES.join(', ')}
  --config FILE.json      { "scaling", "workload", "prices", "faults" }, each overriding defaults
  --json                  print the report as JSON on stdout
  --chart FILE.svg        write an SVG chart of the hybrid run
  --compare FILE.svg      write an SVG chart of every strategy's served and failed requests side by side
  --from MINUTE           with --chart: start the chart here, at one-second resolution
  --to MINUTE             with --chart: end the chart here (default: --from + 60)
  --seed N                seed of the random arrivals, start times and faults (default 1)
  --seeds N               run seeds 1..N (or --seed..--seed+N-1) and report the spread of each figure
  --arrivals KIND         poisson (default) or deterministic
  --warmup-minutes N      minutes simulated before the trace and left out of the figures
                          (default 60 for profiles, which repeat, 0 for traces)
  --help                  show this text
`;

class UsageError extends Error {}

interface Options {
  trace?: string;
  profile?: string;
  config?: string;
  json: boolean;
  chart?: string;
  compare?: string;
  from?: number;
  to?: number;
  seed: number;
  seeds?: number;
  arrivals: ArrivalProcess;
  warmupMinutes?: number;
}

const OPTIONS = {
  'trace': { type: 'string' },
  'profile': { type: 'string' },
  'config': { type: 'string' },
  'json': { type: 'boolean' },
  'chart': { type: 'string' },
  'compare': { type: 'string' },
  'from': { type: 'string' },
  'to': { type: 'string' },
  'seed': { type: 'string' },
  'seeds': { type: 'string' },
  'arrivals': { type: 'string' },
  'warmup-minutes': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
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
    return await run(options, io);
  } catch (e) {
    if (e instanceof TraceFormatError || e instanceof ConfigError || e instanceof FileError) {
      io.stderr(`${e.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

function parseOptions(args: readonly string[]): Options | 'help' {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (e) {
    throw new UsageError(parseArgsMessage(e as Error & { code?: string }));
  }
  if (values.help) {
    return 'help';
  }
  const options: Options = {
    trace: values.trace,
    profile: values.profile,
    config: values.config,
    json: values.json ?? false,
    chart: values.chart,
    compare: values.compare,
    from: values.from === undefined ? undefined : wholeNumber('--from', values.from),
    to: values.to === undefined ? undefined : wholeNumber('--to', values.to),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed),
    seeds: values.seeds === undefined ? undefined : wholeNumber('--seeds', values.seeds),
    arrivals: arrivalProcess(values.arrivals),
    warmupMinutes: values['warmup-minutes'] === undefined ? undefined : wholeNumber('--warmup-minutes', values['warmup-minutes']),
  };
  for (const flag of ['trace', 'profile', 'config', 'chart', 'compare'] as const) {
    if (options[flag] === '') {
      throw new UsageError(`Option --${flag} needs a value.`);
    }
  }
  if ((options.trace === undefined) === (options.profile === undefined)) {
    throw new UsageError('Give exactly one of --trace FILE.csv and --profile NAME.');
  }
  if (options.profile !== undefined && !isProfileName(options.profile)) {
    throw new UsageError(`Unknown profile "${options.profile}"; use one of ${PROFILE_NAMES.join(', ')}.`);
  }
  if (options.seeds !== undefined && options.seeds < 1) {
    throw new UsageError('--seeds "0" is not a number of seeds >= 1.');
  }
  if (options.seeds !== undefined && (options.chart !== undefined || options.compare !== undefined)) {
    throw new UsageError('--chart and --compare draw one run; use --seed with them, not --seeds.');
  }
  if ((options.from !== undefined || options.to !== undefined) && options.chart === undefined && options.compare === undefined) {
    throw new UsageError('--from and --to zoom a chart; give --chart or --compare too.');
  }
  if (options.from !== undefined && options.to !== undefined && options.to <= options.from) {
    throw new UsageError(`--to ${options.to} must be after --from ${options.from}.`);
  }
  return options;
}

/** util.parseArgs's errors, in this command's words. */
function parseArgsMessage(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option "${option}".`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument: ${error.message.replace(/^Unexpected argument '([^']*)'.*$/s, '"$1"')}.`;
    default:
      // A missing value, or one that starts with "-" (write --seed=-1 to pass it anyway).
      return `Option ${option} needs a value.`;
  }
}

function parse(args: readonly string[]) {
  return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false, strict: true });
}

function arrivalProcess(value: string | undefined): ArrivalProcess {
  if (value === undefined) {
    return ArrivalProcess.POISSON;
  }
  if (value !== ArrivalProcess.POISSON && value !== ArrivalProcess.DETERMINISTIC) {
    throw new UsageError(`--arrivals "${value}" is not an arrival process; use poisson or deterministic.`);
  }
  return value;
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} "${value}" is not a whole number >= 0.`);
  }
  return Number(value);
}

/** A file could not be read, parsed or written; the message names it. */
class FileError extends Error {}

async function run(options: Options, io: CliIo): Promise<number> {
  const trace = loadTrace(options, io);
  const settings = loadSettings(options, io);
  const seeds = Array.from({ length: options.seeds ?? 1 }, (_, i) => options.seed + i);
  const progress = io.stderrIsTty && trace.rpsByMinute.length * seeds.length >= PROGRESS_FROM_MINUTES ? new ProgressBar(io.stderr, 'Simulating') : undefined;
  const zoom = zoomWindow(options, trace);
  const runs = [];
  for (const [index, seed] of seeds.entries()) {
    runs.push(await simulate(trace, settings, {
      seed,
      arrivals: options.arrivals,
      warmupMinutes: options.warmupMinutes,
      detail: zoom,
      onProgress: progress ? (fraction) => progress.update((index + fraction) / seeds.length) : undefined,
    }));
  }
  progress?.done();
  const reports = runs.map(buildReport);
  if (options.chart !== undefined) {
    writeFile(io, options.chart, renderChart(runs[0], zoom));
  }
  if (options.compare !== undefined) {
    writeFile(io, options.compare, renderComparison(runs[0], zoom));
  }
  if (reports.length > 1) {
    const spread = spreadReport(reports);
    io.stdout(options.json ? JSON.stringify(spread, null, 2) + '\n' : formatSpread(spread));
  } else {
    io.stdout(options.json ? JSON.stringify(reports[0], null, 2) + '\n' : formatReport(reports[0]));
  }
  for (const file of [options.chart, options.compare]) {
    if (file !== undefined && !options.json) {
      io.stdout(`Chart written to ${file}\n`);
    }
  }
  return EXIT_OK;
}

/** The minutes a zoomed chart shows, or undefined for the whole run. */
function zoomWindow(options: Options, trace: Trace): { fromMinute: number; toMinute: number } | undefined {
  if (options.from === undefined && options.to === undefined) {
    return undefined;
  }
  const fromMinute = Math.min(options.from ?? 0, Math.max(0, trace.rpsByMinute.length - 1));
  const toMinute = Math.min(trace.rpsByMinute.length, options.to ?? fromMinute + 60);
  return { fromMinute, toMinute: Math.max(fromMinute + 1, toMinute) };
}

function loadTrace(options: Options, io: CliIo): Trace {
  if (options.profile !== undefined) {
    return profileTrace(options.profile as ProfileName);
  }
  return parseTraceCsv(readFile(io, options.trace!, 'trace'), options.trace!);
}

/** Settings from --config, with a scenario's sections where the config file leaves them out. */
function loadSettings(options: Options, io: CliIo): SimulationSettings {
  const scenario = options.profile === undefined ? {} : scenarioConfig(options.profile as ProfileName);
  if (options.config === undefined) {
    return resolveSettings(scenario);
  }
  const text = readFile(io, options.config, 'config');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FileError(`${options.config}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return resolveSettings(isObject(parsed) ? { ...scenario, ...parsed } : parsed);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new FileError(`${options.config}: ${e.problems.join('; ')}`);
    }
    throw e;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
