/**
 * `npm run bench:simulate`: every built-in profile (one day, scaled to 30 days) through the load simulator, for
 * Lambda only, Fargate only and the hybrid with the construct's defaults. Prints cost per strategy, the hybrid's
 * cost against the cheaper single strategy, cold starts, p99 latency, failures, and how fast the controller shifts.
 *
 * Targets are printed with PASS or MISS and never asserted: they describe the defaults, not the code's correctness.
 * A broken invariant of the simulation itself (a request neither served nor failed) exits non-zero.
 *
 * BENCH_SEEDS (default 3): seeds per profile; costs and latencies are averaged, failures and scale-outs pooled.
 * --sweep (or BENCH_SWEEP=1): also runs the hybrid with one scaling default changed at a time, to show which
 * defaults move the cost targets.
 */
import { performance } from 'perf_hooks';
import { PROFILE_NAMES, ProfileName, profileTrace } from '../src/simulator/profiles';
import { buildReport, HybridReport, median, StrategyReport, table } from '../src/simulator/report';
import { resolveSettings, SimulationSettings } from '../src/simulator/settings';
import { simulate, STRATEGIES, StrategyName } from '../src/simulator/simulate';

const SEEDS = positiveInteger(process.env.BENCH_SEEDS, 3);
const SWEEP = process.argv.includes('--sweep') || process.env.BENCH_SWEEP === '1';

/** Cost target: the hybrid within 5 % of the cheaper single strategy on every profile... */
const COST_RATIO_TARGET = 1.05;
/** ...and cheaper than both where load comes in bursts. */
const BURSTY_PROFILES: readonly ProfileName[] = ['spiky', 'event'];
/** Controller targets: first Fargate weight soon after the first healthy target, whole shift soon after the alarm. */
const FIRST_WEIGHT_AFTER_HEALTHY_TARGET_S = 30;
const FULL_SHIFT_AFTER_ALARM_TARGET_S = 180;

interface ProfileResult {
  readonly profile: ProfileName;
  readonly cost: Record<StrategyName, number>;
  readonly coldStartShare: Record<StrategyName, number>;
  readonly p99: Record<StrategyName, number | null>;
  readonly failed: Record<StrategyName, number>;
  readonly throttled: Record<StrategyName, number>;
  readonly requests: number;
  readonly hybrid: HybridReport[];
}

function runProfile(profile: ProfileName, settings: SimulationSettings): ProfileResult {
  const reports = Array.from({ length: SEEDS }, (_, i) => buildReport(simulate(profileTrace(profile), settings, { seed: i + 1 })));
  const per = <T>(pick: (s: StrategyReport) => T, combine: (values: T[]) => T) => Object.fromEntries(
    STRATEGIES.map((name) => [name, combine(reports.map((r) => pick(r.strategies[name])))])) as Record<StrategyName, T>;
  for (const report of reports) {
    for (const name of STRATEGIES) {
      const s = report.strategies[name];
      if (s.served + s.failed !== s.requests) {
        console.error(`INVARIANT BROKEN: ${profile} ${name} served ${s.served} + failed ${s.failed} != offered ${s.requests}`);
        process.exitCode = 1;
      }
    }
  }
  const served = per((s) => s.served, sum);
  const coldStarts = per((s) => s.coldStarts, sum);
  return {
    profile,
    cost: per((s) => s.monthlyCostUsd, mean),
    coldStartShare: Object.fromEntries(STRATEGIES.map((name) => [name, served[name] > 0 ? coldStarts[name] / served[name] : 0])) as
      Record<StrategyName, number>,
    p99: per((s) => s.p99LatencyMs, (values) => meanOrNull(values)),
    failed: per((s) => s.failed, sum),
    throttled: per((s) => s.throttledRequests, sum),
    requests: sum(reports.map((r) => r.strategies.hybrid.requests)),
    hybrid: reports.map((r) => r.strategies.hybrid),
  };
}

function costRatio(result: ProfileResult): number {
  return result.cost.hybrid / Math.min(result.cost.lambdaOnly, result.cost.fargateOnly);
}

function transitions(result: ProfileResult) {
  return result.hybrid.flatMap((h) => h.transitions);
}

function printResults(results: ProfileResult[]): void {
  const rows = [[
    'profile', 'Lambda $/mo', 'Fargate $/mo', 'hybrid $/mo', 'hybrid/cheaper', 'cold starts L / H', 'p99 ms L / F / H',
    'failed L / F / H', 'unhealthy-routed H', 'alarm->1st weight', 'alarm->full shift', 'healthy->1st weight',
  ]];
  for (const r of results) {
    const t = transitions(r);
    rows.push([
      r.profile,
      r.cost.lambdaOnly.toFixed(2),
      r.cost.fargateOnly.toFixed(2),
      r.cost.hybrid.toFixed(2),
      costRatio(r).toFixed(3),
      `${pct(r.coldStartShare.lambdaOnly)} / ${pct(r.coldStartShare.hybrid)}`,
      STRATEGIES.map((name) => r.p99[name] === null ? '-' : Math.round(r.p99[name]!)).join(' / '),
      STRATEGIES.map((name) => r.failed[name]).join(' / '),
      String(sum(r.hybrid.map((h) => h.unhealthyRoutedRequests))),
      seconds(median(t.map((x) => x.alarmToFirstFargateWeightS))),
      seconds(median(t.map((x) => x.alarmToFullShiftS))),
      seconds(median(t.map((x) => x.firstHealthyTargetToFirstFargateWeightS))),
    ]);
  }
  console.log(table(rows).join('\n'));
  console.log('Costs are means over the seeds; failures, unhealthy-routed requests and scale-outs are pooled; medians are over all scale-outs.');
}

function printTargets(results: ProfileResult[]): void {
  const lines: string[] = [];
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  for (const r of results) {
    const ratio = costRatio(r);
    lines.push(`${verdict(ratio <= COST_RATIO_TARGET)}  ${r.profile}: hybrid ${r.cost.hybrid.toFixed(2)} <= ${COST_RATIO_TARGET} x cheaper single strategy `
      + `${Math.min(r.cost.lambdaOnly, r.cost.fargateOnly).toFixed(2)} (ratio ${ratio.toFixed(3)})`);
  }
  for (const profile of BURSTY_PROFILES) {
    const r = results.find((x) => x.profile === profile)!;
    const pass = r.cost.hybrid < r.cost.lambdaOnly && r.cost.hybrid < r.cost.fargateOnly;
    lines.push(`${verdict(pass)}  ${profile}: hybrid ${r.cost.hybrid.toFixed(2)} cheaper than both (Lambda ${r.cost.lambdaOnly.toFixed(2)}, Fargate ${r.cost.fargateOnly.toFixed(2)})`);
  }
  const unhealthy = sum(results.flatMap((r) => r.hybrid.map((h) => h.unhealthyRoutedRequests)));
  lines.push(`${verdict(unhealthy === 0)}  hybrid requests sent to a Fargate group with no healthy target: ${unhealthy}`);
  for (const r of results) {
    const other = r.failed.hybrid - r.throttled.hybrid;
    const pass = other === 0 && r.throttled.hybrid <= r.throttled.lambdaOnly;
    lines.push(`${verdict(pass)}  ${r.profile}: hybrid failures other than Lambda throttles: ${other}; hybrid throttles ${r.throttled.hybrid} <= Lambda-only throttles ${r.throttled.lambdaOnly}`);
  }
  const all = results.flatMap(transitions);
  const worstFirstWeight = max(all.map((t) => t.firstHealthyTargetToFirstFargateWeightS));
  const worstFullShift = max(all.map((t) => t.alarmToFullShiftS));
  const unfinished = all.filter((t) => t.fullShiftAtS === null).length;
  lines.push(`${verdict(worstFirstWeight !== null && worstFirstWeight <= FIRST_WEIGHT_AFTER_HEALTHY_TARGET_S)}  controller: first Fargate weight within `
    + `${FIRST_WEIGHT_AFTER_HEALTHY_TARGET_S} s of the first healthy target (worst ${seconds(worstFirstWeight)} over ${all.length} scale-outs)`);
  lines.push(`${verdict(worstFullShift !== null && worstFullShift <= FULL_SHIFT_AFTER_ALARM_TARGET_S && unfinished === 0)}  controller: whole shift within `
    + `${FULL_SHIFT_AFTER_ALARM_TARGET_S} s of the scale-out alarm (worst ${seconds(worstFullShift)}; ${unfinished} scale-outs ended before the full shift)`);
  console.log(lines.join('\n'));
}

/** The hybrid with one scaling default changed at a time: its cost ratio per profile. */
function sweep(baseline: ProfileResult[]): void {
  const variants: Array<Record<string, number>> = [
    { scaleOutRequestsPerMinute: 600 }, { scaleOutRequestsPerMinute: 900 }, { scaleOutRequestsPerMinute: 1800 },
    { scaleOutPeriods: 1 }, { scaleOutPeriods: 2 }, { scaleOutPeriods: 5 },
    { scaleInRequestsPerMinute: 150 }, { scaleInRequestsPerMinute: 600 },
    { scaleInPeriods: 5 }, { scaleInPeriods: 20 },
    { minFargateDuration: 300 }, { minFargateDuration: 1200 },
    { scaleOutPeriods: 2, scaleInPeriods: 5 },
    { scaleOutRequestsPerMinute: 900, scaleOutPeriods: 2, scaleInPeriods: 5 },
  ];
  const rows = [['scaling change', ...baseline.map((r) => r.profile), 'cost targets']];
  const describe = (variant: Record<string, number>) => Object.entries(variant).map(([k, v]) => `${k} ${v}`).join(', ');
  rows.push(['(defaults)', ...baseline.map((r) => costRatio(r).toFixed(3)), String(costTargetsMet(baseline))]);
  for (const variant of variants) {
    const settings = resolveSettings({ scaling: variant });
    const results = baseline.map((b) => {
      const hybridCost = mean(Array.from({ length: SEEDS }, (_, i) =>
        buildReport(simulate(profileTrace(b.profile), settings, { seed: i + 1 })).strategies.hybrid.monthlyCostUsd));
      return { ...b, cost: { ...b.cost, hybrid: hybridCost } };
    });
    rows.push([describe(variant), ...results.map((r) => costRatio(r).toFixed(3)), String(costTargetsMet(results))]);
  }
  console.log(table(rows).join('\n'));
  console.log('Hybrid cost over the cheaper single strategy (lower is better); "cost targets" counts the 7 cost targets met (5 ratios, 2 bursty wins).');
}

function costTargetsMet(results: ProfileResult[]): number {
  const ratios = results.filter((r) => costRatio(r) <= COST_RATIO_TARGET).length;
  const wins = results.filter((r) => BURSTY_PROFILES.includes(r.profile) && r.cost.hybrid < Math.min(r.cost.lambdaOnly, r.cost.fargateOnly)).length;
  return ratios + wins;
}

function main(): void {
  const start = performance.now();
  const settings = resolveSettings({});
  const results = PROFILE_NAMES.map((profile) => runProfile(profile, settings));
  console.log(`Load simulator: ${PROFILE_NAMES.length} profiles x ${STRATEGIES.length} strategies x ${SEEDS} seed(s), one simulated day each, costs scaled to 30 days\n`);
  printResults(results);
  console.log('\nTargets (printed, not asserted):');
  printTargets(results);
  console.log(`\nSimulated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  if (SWEEP) {
    const sweepStart = performance.now();
    console.log('\nSweep of scaling defaults (hybrid only):');
    sweep(results);
    console.log(`\nSwept in ${((performance.now() - sweepStart) / 1000).toFixed(1)} s`);
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: number[]): number {
  return sum(values) / values.length;
}

function meanOrNull(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : mean(known);
}

function max(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function pct(share: number): string {
  return `${(share * 100).toFixed(3)} %`;
}

function seconds(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} s`;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

main();
