/**
 * What a simulation reports: the JSON document of `simulate --json` and the table printed without it.
 */
import { CostBreakdown, monthlyCost } from './pricing';
import { SimulationRun, STRATEGIES, StrategyName, StrategyRun, Transition } from './simulate';

export interface StrategyReport {
  /** Cost over the trace scaled to 30 days, USD. */
  readonly monthlyCostUsd: number;
  /** Requests offered by the trace. */
  readonly requests: number;
  readonly served: number;
  /** throttled + queueTimeouts + unhealthyRouted; served + failed = requests. */
  readonly failed: number;
  readonly coldStarts: number;
  /** Of served requests; null when none was served. */
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  readonly throttledRequests: number;
  readonly queueTimeoutRequests: number;
  /** Requests the load balancer sent to the Fargate target group while it had no healthy target. */
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
  readonly medianAlarmToFirstFargateWeightS: number | null;
  readonly medianAlarmToFullShiftS: number | null;
  readonly medianFirstHealthyTargetToFirstFargateWeightS: number | null;
}

export interface HybridReport extends StrategyReport {
  readonly transitions: TransitionReport[];
  readonly transitionSummary: TransitionSummary;
  readonly controllerDecisions: number;
}

export interface SimulationReport {
  readonly simulation: {
    readonly trace: string;
    readonly minutes: number;
    readonly seed: number;
    readonly arrivals: string;
    readonly warmupMinutes: number;
    readonly costsScaledToDays: 30;
  };
  readonly strategies: {
    readonly lambdaOnly: StrategyReport;
    readonly fargateOnly: StrategyReport;
    readonly hybrid: HybridReport;
  };
}

export function buildReport(run: SimulationRun): SimulationReport {
  const strategy = (name: StrategyName) => strategyReport(run, run.strategies[name]);
  const hybrid = run.strategies.hybrid;
  const transitions = (hybrid.transitions ?? []).map(transitionReport);
  return {
    simulation: {
      trace: run.trace.name,
      minutes: run.trace.rpsByMinute.length,
      seed: run.seed,
      arrivals: run.arrivals,
      warmupMinutes: run.warmupMinutes,
      costsScaledToDays: 30,
    },
    strategies: {
      lambdaOnly: strategy('lambdaOnly'),
      fargateOnly: strategy('fargateOnly'),
      hybrid: {
        ...strategy('hybrid'),
        transitions,
        transitionSummary: summarize(transitions),
        controllerDecisions: hybrid.controllerDecisions ?? 0,
      },
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
    coldStarts: result.coldStarts,
    p50LatencyMs: result.p50LatencyMs,
    p99LatencyMs: result.p99LatencyMs,
    throttledRequests: result.throttled,
    queueTimeoutRequests: result.queueTimeouts,
    unhealthyRoutedRequests: result.unhealthyRouted,
    peakLambdaConcurrency: result.peakLambdaConcurrency,
    peakTasks: result.peakTasks,
    fargateTaskHours: Math.round((result.usage.fargateTaskSeconds / 3600) * 100) / 100,
    costBreakdown: Object.fromEntries(Object.entries(cost.costBreakdown).map(([key, value]) => [key, usd(value)])) as unknown as CostBreakdown,
  };
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
    medianAlarmToFirstFargateWeightS: median(transitions.map((t) => t.alarmToFirstFargateWeightS)),
    medianAlarmToFullShiftS: median(transitions.map((t) => t.alarmToFullShiftS)),
    medianFirstHealthyTargetToFirstFargateWeightS: median(transitions.map((t) => t.firstHealthyTargetToFirstFargateWeightS)),
  };
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
  logsIngestionUsd: 'CloudWatch Logs ingestion',
};

/** The human-readable report: one column per strategy, then the hybrid's scale-outs. */
export function formatReport(report: SimulationReport): string {
  const { simulation, strategies } = report;
  const columns = STRATEGIES.map((name) => strategies[name]);
  const rows: string[][] = [['', ...STRATEGIES]];
  const row = (label: string, value: (s: StrategyReport) => string) => rows.push([label, ...columns.map(value)]);
  row('Monthly cost (USD)', (s) => s.monthlyCostUsd.toFixed(2));
  for (const key of Object.keys(BREAKDOWN_LABELS) as (keyof CostBreakdown)[]) {
    row(`  ${BREAKDOWN_LABELS[key]}`, (s) => s.costBreakdown[key].toFixed(2));
  }
  row('Requests offered', (s) => count(s.requests));
  row('Served', (s) => count(s.served));
  row('Failed', (s) => count(s.failed));
  row('  throttled by Lambda', (s) => count(s.throttledRequests));
  row('  timed out in a task queue', (s) => count(s.queueTimeoutRequests));
  row('  sent to no healthy target', (s) => count(s.unhealthyRoutedRequests));
  row('Cold starts', (s) => `${count(s.coldStarts)} (${percent(s.coldStarts, s.served)})`);
  row('p50 / p99 latency (ms)', (s) => `${s.p50LatencyMs ?? '-'} / ${s.p99LatencyMs ?? '-'}`);
  row('Peak Lambda concurrency', (s) => count(s.peakLambdaConcurrency));
  row('Peak tasks / task-hours', (s) => `${s.peakTasks} / ${s.fargateTaskHours.toFixed(1)}`);

  const hours = (simulation.minutes / 60).toFixed(1);
  const lines = [
    `Simulated ${simulation.trace}: ${simulation.minutes} minutes (${hours} h), seed ${simulation.seed}, ${simulation.arrivals} arrivals, `
      + `${simulation.warmupMinutes} minutes of warm-up. Costs are scaled to 30 days.`,
    '',
    ...table(rows),
    '',
    ...formatTransitions(strategies.hybrid),
  ];
  return lines.join('\n') + '\n';
}

function formatTransitions(hybrid: HybridReport): string[] {
  const summary = hybrid.transitionSummary;
  if (summary.scaleOuts === 0) {
    return ['Hybrid: no scale-out to Fargate during the trace.'];
  }
  const lines = [
    `Hybrid: ${summary.scaleOuts} scale-out(s); median scale-out alarm -> first Fargate weight ${seconds(summary.medianAlarmToFirstFargateWeightS)}, `
      + `-> full shift ${seconds(summary.medianAlarmToFullShiftS)}; first healthy target -> first weight ${seconds(summary.medianFirstHealthyTargetToFirstFargateWeightS)}.`,
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
