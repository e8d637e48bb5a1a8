/**
 * The spread of a simulation's figures over several seeds: min, median and max of each, for `--seeds N` and the
 * benchmark. Failure bounds are judged on every seed (the max), cost ratios on the median.
 */
import { median, SimulationReport, StrategyReport, table } from './report';
import { FAILURE_CAUSES, STRATEGIES, StrategyName } from './simulate';

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface StrategySpread {
  readonly monthlyCostUsd: Spread;
  readonly failed: Spread;
  readonly failedByCause: Record<string, Spread>;
  readonly p99LatencyMs: Spread | null;
  readonly coldStarts: Spread;
  readonly peakTasks: Spread;
}

export interface SpreadReport {
  readonly simulation: { readonly trace: string; readonly minutes: number; readonly seeds: number[] };
  readonly strategies: Partial<Record<StrategyName, StrategySpread>>;
  readonly hybrid: {
    readonly hybridToCheaperSingle: Spread;
    readonly hybridToOracle: Spread | null;
    readonly hybridExtraFailures: Spread;
    readonly faultFailures: Spread;
    readonly unhealthyRoutedRequests: Spread;
    readonly scaleOuts: Spread;
    readonly fullShifts: Spread;
    readonly weightChanges: Spread;
    readonly medianAlarmToFullShiftS: Spread | null;
    readonly worstAlarmToFullShiftS: Spread | null;
  };
}

/** Min, median and max of the values; null when there are none. */
export function spreadOf(values: ReadonlyArray<number | null>): Spread | null {
  const known = values.filter((value): value is number => value !== null && Number.isFinite(value));
  if (known.length === 0) {
    return null;
  }
  return { min: Math.min(...known), median: median(known)!, max: Math.max(...known) };
}

function required(values: ReadonlyArray<number>): Spread {
  return spreadOf(values) ?? { min: 0, median: 0, max: 0 };
}

export function spreadReport(reports: readonly SimulationReport[]): SpreadReport {
  const first = reports[0];
  const strategies: Partial<Record<StrategyName, StrategySpread>> = {};
  for (const name of STRATEGIES) {
    const runs = reports.map((report) => report.strategies[name]).filter((s): s is StrategyReport => s !== undefined);
    if (runs.length === 0) {
      continue;
    }
    strategies[name] = {
      monthlyCostUsd: required(runs.map((s) => s.monthlyCostUsd)),
      failed: required(runs.map((s) => s.failed)),
      failedByCause: Object.fromEntries(FAILURE_CAUSES.map((cause) => [cause, required(runs.map((s) => s.failedByCause[cause]))])),
      p99LatencyMs: spreadOf(runs.map((s) => s.p99LatencyMs)),
      coldStarts: required(runs.map((s) => s.coldStarts)),
      peakTasks: required(runs.map((s) => s.peakTasks)),
    };
  }
  const hybrids = reports.map((report) => report.strategies.hybrid);
  return {
    simulation: { trace: first.simulation.trace, minutes: first.simulation.minutes, seeds: reports.map((report) => report.simulation.seed) },
    strategies,
    hybrid: {
      hybridToCheaperSingle: required(reports.map((r) => r.comparison.hybridToCheaperSingle)),
      hybridToOracle: spreadOf(reports.map((r) => r.comparison.hybridToOracle)),
      hybridExtraFailures: required(reports.map((r) => r.comparison.hybridExtraFailures)),
      faultFailures: required(hybrids.map((h) => h.faultFailures)),
      unhealthyRoutedRequests: required(hybrids.map((h) => h.unhealthyRoutedRequests)),
      scaleOuts: required(hybrids.map((h) => h.transitionSummary.scaleOuts)),
      fullShifts: required(hybrids.map((h) => h.transitionSummary.fullShifts)),
      weightChanges: required(hybrids.map((h) => h.weightChanges)),
      medianAlarmToFullShiftS: spreadOf(hybrids.map((h) => h.transitionSummary.medianAlarmToFullShiftS)),
      worstAlarmToFullShiftS: spreadOf(hybrids.map((h) => h.transitionSummary.worstAlarmToFullShiftS)),
    },
  };
}

export function formatSpread(report: SpreadReport): string {
  const names = STRATEGIES.filter((name) => report.strategies[name] !== undefined);
  const rows: string[][] = [['min / median / max', ...names]];
  const row = (label: string, value: (s: StrategySpread) => Spread | null, digits = 0) =>
    rows.push([label, ...names.map((name) => show(value(report.strategies[name]!), digits))]);
  row('Monthly cost (USD)', (s) => s.monthlyCostUsd, 2);
  row('Failed', (s) => s.failed);
  for (const cause of FAILURE_CAUSES) {
    row(`  ${cause}`, (s) => s.failedByCause[cause]);
  }
  row('p99 latency (ms)', (s) => s.p99LatencyMs);
  row('Cold starts', (s) => s.coldStarts);
  row('Peak tasks', (s) => s.peakTasks);
  const h = report.hybrid;
  const hybridRows: string[][] = [['hybrid', 'min / median / max']];
  const add = (label: string, spread: Spread | null, digits = 0) => hybridRows.push([label, show(spread, digits)]);
  add('hybrid / cheaper single', h.hybridToCheaperSingle, 3);
  add('hybrid / oracle', h.hybridToOracle, 3);
  add('failures beyond Lambda only and faults', h.hybridExtraFailures);
  add('fault failures', h.faultFailures);
  add('sent to no healthy target', h.unhealthyRoutedRequests);
  add('scale-outs / full shifts', h.scaleOuts);
  add('full shifts', h.fullShifts);
  add('weight changes', h.weightChanges);
  add('alarm -> full shift, median (s)', h.medianAlarmToFullShiftS);
  add('alarm -> full shift, worst (s)', h.worstAlarmToFullShiftS);
  return [
    `Simulated ${report.simulation.trace}: ${report.simulation.minutes} minutes, seeds ${report.simulation.seeds.join(', ')}.`,
    '',
    ...table(rows),
    '',
    ...table(hybridRows),
  ].join('\n') + '\n';
}

function show(spread: Spread | null, digits: number): string {
  if (!spread) {
    return '-';
  }
  const f = (value: number) => value.toFixed(digits);
  return `${f(spread.min)} / ${f(spread.median)} / ${f(spread.max)}`;
}
