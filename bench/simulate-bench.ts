/**
 * `npm run bench:simulate`: every built-in profile and fault scenario through the load simulator, for Lambda only,
 * Fargate only, the hybrid with the construct's defaults, and the hindsight oracle, on seeds 1..10. Prints per trace:
 * cost per strategy, hybrid / cheaper single, hybrid / oracle, failures by cause, p99, scale-outs, full shifts and
 * shift times (median and worst across seeds).
 *
 * Bounds are printed with PASS or MISS and never asserted: they describe the defaults, not the code's correctness.
 * Failure bounds must hold on every seed; cost ratios are judged on the median of the seeds. A broken invariant of
 * the simulation itself (a request neither served nor failed) exits non-zero.
 *
 * BENCH_SEEDS (default 10): seeds per trace. BENCH_PROFILES: a comma-separated subset of traces.
 */
import { performance } from 'perf_hooks';
import { ORIGINAL_PROFILE_NAMES, PROFILE_NAMES, ProfileName, profileTrace, scenarioConfig } from '../src/simulator/profiles';
import { buildReport, SimulationReport, table } from '../src/simulator/report';
import { resolveSettings } from '../src/simulator/settings';
import { FAILURE_CAUSES, simulate, STRATEGIES } from '../src/simulator/simulate';
import { Spread, spreadReport, SpreadReport } from '../src/simulator/spread';

const SEEDS = positiveInteger(process.env.BENCH_SEEDS, 10);
const PROFILES: readonly ProfileName[] = process.env.BENCH_PROFILES
  ? PROFILE_NAMES.filter((name) => process.env.BENCH_PROFILES!.split(',').includes(name))
  : PROFILE_NAMES;

/** Cost bounds on the median of the seeds: the five original profiles, and bursts shorter than a shift. */
const COST_BOUNDS: Partial<Record<ProfileName, number>> = {
  ...Object.fromEntries(ORIGINAL_PROFILE_NAMES.map((name) => [name, 1.05])),
  'periodic-bursts': 1.1,
};

interface TraceResult {
  readonly profile: ProfileName;
  readonly reports: SimulationReport[];
  readonly spread: SpreadReport;
}

async function runTrace(profile: ProfileName): Promise<TraceResult> {
  const settings = resolveSettings(scenarioConfig(profile));
  const reports: SimulationReport[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const report = buildReport(await simulate(profileTrace(profile), settings, { seed }));
    for (const name of STRATEGIES) {
      const s = report.strategies[name]!;
      if (s.served + s.failed !== s.requests) {
        console.error(`INVARIANT BROKEN: ${profile} seed ${seed} ${name} served ${s.served} + failed ${s.failed} != offered ${s.requests}`);
        process.exitCode = 1;
      }
    }
    reports.push(report);
  }
  return { profile, reports, spread: spreadReport(reports) };
}

function printCosts(results: readonly TraceResult[]): void {
  const rows = [['trace', ...STRATEGIES.map((s) => `${s} $/mo`), 'hybrid/cheaper', 'hybrid/oracle']];
  for (const r of results) {
    rows.push([
      r.profile,
      ...STRATEGIES.map((s) => r.spread.strategies[s]!.monthlyCostUsd.median.toFixed(2)),
      range(r.spread.hybrid.hybridToCheaperSingle, 3),
      range(r.spread.hybrid.hybridToOracle, 3),
    ]);
  }
  console.log(table(rows).join('\n'));
  console.log('Costs: median of the seeds. Ratios: median [min..max].\n');
}

function printFailures(results: readonly TraceResult[]): void {
  const rows = [['trace', 'strategy', ...FAILURE_CAUSES, 'p99 ms']];
  for (const r of results) {
    for (const s of STRATEGIES) {
      const spread = r.spread.strategies[s]!;
      rows.push([
        s === STRATEGIES[0] ? r.profile : '',
        s,
        ...FAILURE_CAUSES.map((cause) => maxOnly(spread.failedByCause[cause])),
        spread.p99LatencyMs ? Math.round(spread.p99LatencyMs.median).toString() : '-',
      ]);
    }
  }
  console.log(table(rows).join('\n'));
  console.log('Failures: median / worst seed. p99: median of the seeds.\n');
}

function printShifts(results: readonly TraceResult[]): void {
  const rows = [['trace', 'scale-outs', 'full shifts', 'weight changes', 'alarm->full shift median', 'worst', 'fault failures', 'beyond Lambda+faults', 'no healthy target']];
  for (const r of results) {
    const h = r.spread.hybrid;
    rows.push([
      r.profile,
      maxOnly(h.scaleOuts),
      maxOnly(h.fullShifts),
      maxOnly(h.weightChanges),
      h.medianAlarmToFullShiftS ? `${Math.round(h.medianAlarmToFullShiftS.median)} s` : '-',
      h.worstAlarmToFullShiftS ? `${Math.round(h.worstAlarmToFullShiftS.max)} s` : '-',
      maxOnly(h.faultFailures),
      maxOnly(h.hybridExtraFailures),
      maxOnly(h.unhealthyRoutedRequests),
    ]);
  }
  console.log(table(rows).join('\n'));
  console.log('Hybrid only: median / worst seed, except the shift times (median of the medians, worst of all).\n');
}

function printBounds(results: readonly TraceResult[]): void {
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  const lines: string[] = [];
  for (const r of results) {
    const extra = r.spread.hybrid.hybridExtraFailures.max;
    const unhealthy = r.spread.hybrid.unhealthyRoutedRequests.max;
    lines.push(`${verdict(extra === 0 && unhealthy === 0)}  ${r.profile}: on every seed the hybrid fails no more than Lambda alone `
      + `beyond the faults' own share (worst ${extra} more) and sends nothing to a group without a healthy target (worst ${unhealthy})`);
    const bound = COST_BOUNDS[r.profile];
    if (bound !== undefined) {
      const ratio = r.spread.hybrid.hybridToCheaperSingle.median;
      lines.push(`${verdict(ratio <= bound)}  ${r.profile}: hybrid <= ${bound} x the cheaper single strategy on the median seed (${ratio.toFixed(3)})`);
    }
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const start = performance.now();
  const results: TraceResult[] = [];
  for (const profile of PROFILES) {
    results.push(await runTrace(profile));
  }
  console.log(`Load simulator: ${PROFILES.length} traces x ${STRATEGIES.length} strategies x seeds 1..${SEEDS}, costs scaled to a 730-hour month\n`);
  printCosts(results);
  printFailures(results);
  printShifts(results);
  console.log('Bounds (printed, not asserted):');
  printBounds(results);
  console.log(`\nSimulated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

function range(spread: Spread | null, digits: number): string {
  return spread ? `${spread.median.toFixed(digits)} [${spread.min.toFixed(digits)}..${spread.max.toFixed(digits)}]` : '-';
}

function maxOnly(spread: Spread | null): string {
  return spread ? `${Math.round(spread.median)} / ${Math.round(spread.max)}` : '-';
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

void main();
