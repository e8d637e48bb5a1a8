/**
 * What a simulation reports: the JSON document of `simulate --json` and the table printed without it.
 */
import { Faults } from './faults';
import { CostBreakdown, monthlyCost } from './pricing';
import { FAILURE_CAUSES, FailureCause, FailuresByCause, FaultWindow, SimulationRun, STRATEGIES, StrategyRun, Transition } from './simulate';
import { HOURS_PER_MONTH } from '../cost/idle-cost';

export interface StrategyReport {
  /** Cost over the trace scaled to a month of 730 hours, USD. */
  readonly monthlyCostUsd: number;
  /** Requests offered by the trace. */
  readonly requests: number;
  readonly served: number;
  /** Sum of `failedByCause`; served + failed = requests. */
  readonly failed: number;
  /** Every cause, zeros included. */
  readonly failedByCause: FailuresByCause;
  readonly coldStarts: number;
  /** Of served requests, within 1 %; null when none was served. */
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  readonly p999LatencyMs: number | null;
  /** Requests sent to the Fargate target group while it had no healthy target, beyond the faults' own share. */
  readonly unhealthyRoutedRequests: number;
  readonly peakLambdaConcurrency: number;
  readonly peakTasks: number;
  readonly fargateTaskHours: number;
  readonly costBreakdown: CostBreakdown;
}

export interface TransitionReport extends Transition {
  readonly alarmToFirstFargateWeightS: number | null;
  readonly alarmToFullShiftS: number | null;
  readonly firstHealthyTargetToFirstFargateWeightS: number | null;
}

export interface TransitionSummary {
  readonly scaleOuts: number;
  /** Scale-outs that reached the full shift. */
  readonly fullShifts: number;
  readonly medianAlarmToFirstFargateWeightS: number | null;
  readonly medianAlarmToFullShiftS: number | null;
  readonly worstAlarmToFullShiftS: number | null;
  readonly medianFirstHealthyTargetToFirstFargateWeightS: number | null;
}

export interface HybridReport extends StrategyReport {
  readonly transitions: TransitionReport[];
  readonly transitionSummary: TransitionSummary;
  readonly controllerDecisions: number;
  readonly weightChanges: number;
  /** Failures the injected faults cause before the controller can see them (see FaultWindow). */
  readonly faultFailures: number;
  readonly faultWindows: FaultWindow[];
  readonly controllerIncidents: { readonly lostEvents: number; readonly failedCalls: number; readonly failedInvocations: number };
}

/** The figures the hybrid is judged by. */
export interface Comparison {
  /** Hybrid cost over the cheaper of Lambda only and Fargate only. */
  readonly hybridToCheaperSingle: number;
  /** Hybrid cost over the oracle's (null when the oracle was not run). */
  readonly hybridToOracle: number | null;
  /** Hybrid failures beyond Lambda only's and beyond the faults' own share (0 when none). */
  readonly hybridExtraFailures: number;
}

export interface SimulationReport {
  readonly simulation: {
    readonly trace: string;
    readonly minutes: number;
    readonly seed: number;
    readonly arrivals: string;
    readonly warmupMinutes: number;
    readonly costsScaledToHours: number;
    readonly faults: Faults;
  };
  readonly strategies: {
    readonly lambdaOnly: StrategyReport;
    readonly fargateOnly: StrategyReport;
    readonly hybrid: HybridReport;
    readonly oracle?: StrategyReport;
  };
  readonly comparison: Comparison;
}

export function buildReport(run: SimulationRun): SimulationReport {
  const strategy = (result: StrategyRun) => strategyReport(run, result);
  const hybrid = run.strategies.hybrid;
  const transitions = (hybrid.transitions ?? []).map(transitionReport);
  const reports = {
    lambdaOnly: strategy(run.strategies.lambdaOnly),
    fargateOnly: strategy(run.strategies.fargateOnly),
    hybrid: {
      ...strategy(hybrid),
      transitions,
      transitionSummary: summarize(transitions),
      controllerDecisions: hybrid.controllerDecisions ?? 0,
      weightChanges: hybrid.weightChanges?.length ?? 0,
      faultFailures: hybrid.faultFailures ?? 0,
      faultWindows: hybrid.faultWindows ?? [],
      controllerIncidents: hybrid.controllerIncidents ?? { lostEvents: 0, failedCalls: 0, failedInvocations: 0 },
    },
    ...(run.strategies.oracle ? { oracle: strategy(run.strategies.oracle) } : {}),
  };
  const cheaper = Math.min(reports.lambdaOnly.monthlyCostUsd, reports.fargateOnly.monthlyCostUsd);
  return {
    simulation: {
      trace: run.trace.name,
      minutes: run.trace.rpsByMinute.length,
      seed: run.seed,
      arrivals: run.arrivals,
      warmupMinutes: run.warmupMinutes,
      costsScaledToHours: HOURS_PER_MONTH,
      faults: run.settings.faults,
    },
    strategies: reports,
    comparison: {
      hybridToCheaperSingle: ratio(reports.hybrid.monthlyCostUsd, cheaper),
      hybridToOracle: reports.oracle ? ratio(reports.hybrid.monthlyCostUsd, reports.oracle.monthlyCostUsd) : null,
      hybridExtraFailures: Math.max(0, reports.hybrid.failed - reports.hybrid.faultFailures - reports.lambdaOnly.failed),
    },
  };
}

function strategyReport(run: SimulationRun, result: StrategyRun): StrategyReport {
  const cost = monthlyCost(result.usage, run.settings);
  return {
    monthlyCostUsd: usd(cost.monthlyCostUsd),
    requests: result.requests,
    served: result.served,
    failed: result.failed,
    failedByCause: { ...result.failedByCause },
    coldStarts: result.coldStarts,
    p50LatencyMs: result.p50LatencyMs,
    p99LatencyMs: result.p99LatencyMs,
    p999LatencyMs: result.p999LatencyMs,
    unhealthyRoutedRequests: result.unhealthyRouted,
    peakLambdaConcurrency: result.peakLambdaConcurrency,
    peakTasks: result.peakTasks,
    fargateTaskHours: Math.round((result.usage.fargateTaskSeconds / 3600) * 100) / 100,
    costBreakdown: Object.fromEntries(Object.entries(cost.costBreakdown).map(([key, value]) => [key, usd(value)])) as unknown as CostBreakdown,
  };
}

function ratio(value: number, reference: number): number {
  return reference > 0 ? Math.round((value / reference) * 1000) / 1000 : 0;
}

function transitionReport(transition: Transition): TransitionReport {
  const between = (from: number | null, to: number | null) => (from === null || to === null ? null : to - from);
  return {
    ...transition,
    alarmToFirstFargateWeightS: between(transition.alarmAtS, transition.firstFargateWeightAtS),
    alarmToFullShiftS: between(transition.alarmAtS, transition.fullShiftAtS),
    firstHealthyTargetToFirstFargateWeightS: between(transition.firstHealthyTargetAtS, transition.firstFargateWeightAtS),
  };
}

function summarize(transitions: TransitionReport[]): TransitionSummary {
  return {
    scaleOuts: transitions.length,
    fullShifts: transitions.filter((t) => t.fullShiftAtS !== null).length,
    worstAlarmToFullShiftS: worst(transitions.map((t) => t.alarmToFullShiftS)),
    medianAlarmToFirstFargateWeightS: median(transitions.map((t) => t.alarmToFirstFargateWeightS)),
    medianAlarmToFullShiftS: median(transitions.map((t) => t.alarmToFullShiftS)),
    medianFirstHealthyTargetToFirstFargateWeightS: median(transitions.map((t) => t.firstHealthyTargetToFirstFargateWeightS)),
  };
}

/** Largest of the known values; null when there are none. */
export function worst(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/** Median of the known values; null when there are none. */
export function median(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (known.length === 0) {
    return null;
  }
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
}

const CAUSE_LABELS: Record<FailureCause, string> = {
  lambdaThrottled: 'throttled by Lambda',
  fargateOverloaded: 'timed out in an overloaded task',
  noTarget: 'no registered target (503)',
  deadTarget: 'sent to a crashed or failing task',
  injectedError: 'injected Fargate 5xx',
};

const BREAKDOWN_LABELS: Record<keyof CostBreakdown, string> = {
  loadBalancerHoursUsd: 'Load balancer hours',
  loadBalancerLcuUsd: 'Load balancer LCUs',
  loadBalancerPublicIpv4Usd: 'Load balancer public IPv4',
  lambdaRequestsUsd: 'Lambda requests',
  lambdaDurationUsd: 'Lambda duration',
  fargateVcpuUsd: 'Fargate vCPU',
  fargateMemoryUsd: 'Fargate memory',
  fargatePublicIpv4Usd: 'Fargate public IPv4',
  alarmsUsd: 'CloudWatch alarms',
  controllerUsd: 'Controller function',
  controllerMetricsUsd: 'Controller metric reads and metrics',
  logsIngestionUsd: 'CloudWatch Logs ingestion',
};

/** The human-readable report: one column per strategy, then the hybrid's scale-outs. */
export function formatReport(report: SimulationReport): string {
  const { simulation, strategies } = report;
  const names = STRATEGIES.filter((name) => strategies[name] !== undefined);
  const columns = names.map((name) => strategies[name]!);
  const rows: string[][] = [['', ...names]];
  const row = (label: string, value: (s: StrategyReport) => string) => rows.push([label, ...columns.map(value)]);
  row('Monthly cost (USD)', (s) => s.monthlyCostUsd.toFixed(2));
  for (const key of Object.keys(BREAKDOWN_LABELS) as (keyof CostBreakdown)[]) {
    row(`  ${BREAKDOWN_LABELS[key]}`, (s) => s.costBreakdown[key].toFixed(2));
  }
  row('Requests offered', (s) => count(s.requests));
  row('Served', (s) => count(s.served));
  row('Failed', (s) => count(s.failed));
  for (const cause of FAILURE_CAUSES) {
    row(`  ${CAUSE_LABELS[cause]}`, (s) => count(s.failedByCause[cause]));
  }
  row('Sent to no healthy target (beyond faults)', (s) => count(s.unhealthyRoutedRequests));
  row('Cold starts', (s) => `${count(s.coldStarts)} (${percent(s.coldStarts, s.served)})`);
  row('p50 / p99 / p99.9 latency (ms)', (s) => `${s.p50LatencyMs ?? '-'} / ${s.p99LatencyMs ?? '-'} / ${s.p999LatencyMs ?? '-'}`);
  row('Peak Lambda concurrency', (s) => count(s.peakLambdaConcurrency));
  row('Peak tasks / task-hours', (s) => `${s.peakTasks} / ${s.fargateTaskHours.toFixed(1)}`);

  const hours = (simulation.minutes / 60).toFixed(1);
  const lines = [
    `Simulated ${simulation.trace}: ${simulation.minutes} minutes (${hours} h), seed ${simulation.seed}, ${simulation.arrivals} arrivals, `
      + `${simulation.warmupMinutes} minutes of warm-up. Costs are scaled to a month of ${simulation.costsScaledToHours} hours.`,
    '',
    ...table(rows),
    '',
    formatComparison(report),
    ...formatFaults(strategies.hybrid),
    '',
    ...formatTransitions(strategies.hybrid),
  ];
  return lines.join('\n') + '\n';
}

function formatComparison(report: SimulationReport): string {
  const { comparison } = report;
  const oracle = comparison.hybridToOracle === null ? '' : `, hybrid / oracle ${comparison.hybridToOracle.toFixed(3)}`;
  return `Hybrid / cheaper single ${comparison.hybridToCheaperSingle.toFixed(3)}${oracle}; `
    + `hybrid failures beyond Lambda only and the faults' own share: ${count(comparison.hybridExtraFailures)}.`;
}

function formatFaults(hybrid: HybridReport): string[] {
  if (hybrid.faultWindows.length === 0 && hybrid.controllerIncidents.lostEvents + hybrid.controllerIncidents.failedCalls === 0) {
    return [];
  }
  const incidents = hybrid.controllerIncidents;
  const lines = [`Faults: ${count(hybrid.faultFailures)} failures before the controller could see them; `
    + `${incidents.lostEvents} lost events, ${incidents.failedCalls} failed AWS calls, ${incidents.failedInvocations} failed invocations.`];
  for (const w of hybrid.faultWindows) {
    lines.push(`  ${w.fault}: onset ${clock(w.onsetS)}, observable ${w.observableS === null ? 'never' : `+${Math.round(w.observableS - w.onsetS)} s`}, `
      + `${count(w.failures)} failures`);
  }
  return lines;
}

function formatTransitions(hybrid: HybridReport): string[] {
  const summary = hybrid.transitionSummary;
  if (summary.scaleOuts === 0) {
    return ['Hybrid: no scale-out to Fargate during the trace.'];
  }
  const lines = [
    `Hybrid: ${summary.scaleOuts} scale-out(s); median scale-out alarm -> first Fargate weight ${seconds(summary.medianAlarmToFirstFargateWeightS)}, `
      + `-> full shift ${seconds(summary.medianAlarmToFullShiftS)} (worst ${seconds(summary.worstAlarmToFullShiftS)}, ${summary.fullShifts} full); `
      + `${hybrid.weightChanges} weight changes; first healthy target -> first weight ${seconds(summary.medianFirstHealthyTargetToFirstFargateWeightS)}.`,
    '',
  ];
  const rows = [['alarm at', 'first healthy', 'first weight', 'full shift', 'tasks']];
  for (const t of hybrid.transitions) {
    rows.push([clock(t.alarmAtS), after(t.firstHealthyTargetAtS, t.alarmAtS), after(t.firstFargateWeightAtS, t.alarmAtS), after(t.fullShiftAtS, t.alarmAtS), String(t.tasksAtFirstFargateWeight ?? '-')]);
  }
  return [...lines, ...table(rows)];
}

/** Left-aligned first column, right-aligned others. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((r) => r[column].length)));
  return rows.map((r) => r.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd());
}

function usd(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(3)} %` : '-';
}

function seconds(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} s`;
}

function after(at: number | null, from: number): string {
  return at === null ? '-' : `+${at - from} s`;
}

/** Seconds from the start of the trace as d.hh:mm:ss (the day only past the first). */
export function clock(second: number): string {
  const day = Math.floor(second / 86_400);
  const rest = second - day * 86_400;
  const pad = (value: number) => String(value).padStart(2, '0');
  const time = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return day > 0 ? `${day}.${time}` : time;
}
