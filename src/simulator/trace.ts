/**
 * A load trace: requests per second, constant within each minute. Read from CSV (`minute,rps`) or made by a profile.
 */
import { poisson, Random } from './random';

export interface Trace {
  /** Where the trace came from, for reports: a profile name or a file name. */
  readonly name: string;
  /** Requests per second during each minute, from minute 0. */
  readonly rpsByMinute: readonly number[];
  /**
   * Whether the trace describes a period that repeats (a typical day). The simulation of a repeating trace starts
   * from the state its own end leaves, instead of from an idle service.
   */
  readonly repeats: boolean;
}

/** How requests arrive within a second. */
export enum ArrivalProcess {
  /** Independent arrivals (Poisson counts per second), drawn from the seed. */
  POISSON = 'poisson',
  /** Exactly the trace's rate, fractions carried to the next second. */
  DETERMINISTIC = 'deterministic',
}

export class TraceFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFormatError';
  }
}

const HEADER = 'minute,rps';

/**
 * Parses `minute,rps` CSV: a header, then one row per minute with minutes 0, 1, 2, ... in order and rps >= 0.
 * Blank lines are skipped. Errors name the line (1-based) and what is wrong with it.
 */
export function parseTraceCsv(text: string, name: string): Trace {
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) {
    throw new TraceFormatError(`${name}: the trace is empty; expected the header "${HEADER}" and one row per minute`);
  }
  const header = lines[headerIndex].replace(/^\uFEFF/, '').split(',').map((cell) => cell.trim().toLowerCase()).join(',');
  if (header !== HEADER) {
    throw new TraceFormatError(`${name} line ${headerIndex + 1}: header is "${lines[headerIndex].trim()}"; expected "${HEADER}"`);
  }
  const rpsByMinute: number[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') {
      continue;
    }
    rpsByMinute.push(parseRow(line, i + 1, rpsByMinute.length, name));
  }
  if (rpsByMinute.length === 0) {
    throw new TraceFormatError(`${name}: the trace has a header but no rows; add one "minute,rps" row per minute from minute 0`);
  }
  return { name, rpsByMinute, repeats: false };
}

function parseRow(line: string, lineNumber: number, expectedMinute: number, name: string): number {
  const cells = line.split(',').map((cell) => cell.trim());
  const where = `${name} line ${lineNumber}`;
  if (cells.length !== 2) {
    throw new TraceFormatError(`${where}: "${line}" has ${cells.length} fields; expected 2 (minute,rps)`);
  }
  const [minuteText, rpsText] = cells;
  if (!/^\d+$/.test(minuteText)) {
    throw new TraceFormatError(`${where}: minute "${minuteText}" is not a whole number`);
  }
  const minute = Number(minuteText);
  if (minute !== expectedMinute) {
    throw new TraceFormatError(`${where}: minute ${minute} where minute ${expectedMinute} was expected; rows must list every minute from 0 in order`);
  }
  const rps = rpsText === '' ? NaN : Number(rpsText);
  if (!Number.isFinite(rps) || rps < 0) {
    throw new TraceFormatError(`${where}: rps "${rpsText}" is not a number >= 0`);
  }
  return rps;
}

export function traceToCsv(trace: Trace): string {
  return [HEADER, ...trace.rpsByMinute.map((rps, minute) => `${minute},${rps}`)].join('\n') + '\n';
}

/** Rate during second `second` of the run; negative seconds (warm-up) read the trace's end, as a repeating day would. */
export function rpsAt(trace: Trace, second: number): number {
  const minutes = trace.rpsByMinute.length;
  const minute = Math.floor(second / 60);
  return trace.rpsByMinute[((minute % minutes) + minutes) % minutes];
}

/**
 * Requests arriving in each second from `fromSecond` (inclusive) to `toSecond` (exclusive). Drawn once per run and
 * shared by every strategy, so all strategies are offered exactly the same requests.
 */
export function drawArrivals(trace: Trace, fromSecond: number, toSecond: number, process: ArrivalProcess, random: Random): Int32Array {
  const arrivals = new Int32Array(toSecond - fromSecond);
  let carry = 0;
  for (let second = fromSecond; second < toSecond; second++) {
    const rate = rpsAt(trace, second);
    if (process === ArrivalProcess.POISSON) {
      arrivals[second - fromSecond] = poisson(random, rate);
    } else {
      const exact = rate + carry;
      const whole = Math.floor(exact + 1e-9);
      carry = exact - whole;
      arrivals[second - fromSecond] = whole;
    }
  }
  return arrivals;
}
