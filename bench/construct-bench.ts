/**
 * `npm run bench`: how long the default HybridAlbService takes to synthesize next to the closest
 * aws-ecs-patterns construct, and what each costs in a month with no traffic.
 *
 * Timings are printed, never asserted. The idle cost of the default HybridAlbService is a
 * correctness property (nothing but the load balancer, its public IPv4 addresses and alarms
 * bills while idle), so an unexpected item there exits non-zero.
 *
 * Then a CPU profile of the same syntheses charges the time to the phases of synth (bench/synth-profile.ts), so a
 * ratio above the target can be explained phase by phase.
 *
 * BENCH_RUNS (default 15) and BENCH_WARMUP (default 3) set the number of runs per construct; BENCH_PROFILE_RUNS
 * (default 40) the number of profiled syntheses, 0 to skip the profile.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { PhaseProfile, profileSynth } from './synth-profile';
import { HybridAlbService, HybridImage } from '../src';
import { estimateIdleCost, IdleCostItem, IdleCostKind, IdleCostReport } from '../src/cost/idle-cost';

const RUNS = positiveInteger(process.env.BENCH_RUNS, 15);
const WARMUP = positiveInteger(process.env.BENCH_WARMUP, 3);
const PROFILE_RUNS = process.env.BENCH_PROFILE_RUNS === '0' ? 0 : positiveInteger(process.env.BENCH_PROFILE_RUNS, 40);
const CONTAINER_PORT = 8080;

interface Subject {
  readonly name: string;
  readonly build: (stack: Stack, imageDir: string) => void;
}

const HYBRID: Subject = {
  name: 'HybridAlbService',
  build: (stack, imageDir) => new HybridAlbService(stack, 'Service', { image: HybridImage.fromAsset(imageDir) }),
};

const PATTERNS: Subject = {
  name: 'ecs-patterns ALB Fargate',
  build: (stack, imageDir) => new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
    taskImageOptions: { image: ecs.ContainerImage.fromAsset(imageDir), containerPort: CONTAINER_PORT },
  }),
};

interface Synthesis {
  readonly ms: number;
  readonly template: any;
}

/** One timed synthesis: new App and Stack, the construct, app.synth(). Each run writes to its own outdir. */
function synthesize(subject: Subject, imageDir: string): Synthesis {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'construct-bench-'));
  try {
    const start = performance.now();
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bench');
    subject.build(stack, imageDir);
    const assembly = app.synth();
    const ms = performance.now() - start;
    return { ms, template: assembly.getStackByName(stack.stackName).template };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The sample app another part of the repo builds; a throwaway Dockerfile when it is not there yet. */
function imageDirectory(): { dir: string; cleanup: () => void } {
  const sample = path.join(__dirname, '..', 'integ', 'app');
  if (fs.existsSync(path.join(sample, 'Dockerfile'))) return { dir: sample, cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'construct-bench-image-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM public.ecr.aws/docker/library/busybox:stable\nCMD ["httpd", "-f", "-p", "8080"]\n');
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The default HybridAlbService may bill, at idle, only for its load balancer, that load balancer's
 * public IPv4 addresses, its alarms and the controller's heartbeat. Anything else (a NAT gateway, a running task, provisioned
 * concurrency, an endpoint, a resource the model cannot price) is a regression.
 */
function unexpectedIdleItems(report: IdleCostReport, loadBalancerIds: string[]): IdleCostItem[] {
  const alarmKinds: string[] = [
    IdleCostKind.ALARM_METRICS, IdleCostKind.HIGH_RESOLUTION_ALARM_METRICS, IdleCostKind.COMPOSITE_ALARMS, IdleCostKind.TARGET_TRACKING_ALARMS,
    IdleCostKind.SCHEDULED_INVOCATIONS,
  ];
  return report.items.filter(i => {
    if (alarmKinds.includes(i.kind)) return false;
    const ofTheLoadBalancer = i.logicalId !== undefined && loadBalancerIds.includes(i.logicalId);
    return !(ofTheLoadBalancer && (i.kind === IdleCostKind.LOAD_BALANCER || i.kind === IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4));
  });
}

function main(): void {
  const image = imageDirectory();
  try {
    run(image.dir);
  } finally {
    image.cleanup();
  }
}

function run(imageDir: string): void {
  for (let i = 0; i < WARMUP; i++) {
    synthesize(HYBRID, imageDir);
    synthesize(PATTERNS, imageDir);
  }

  // Alternate which construct goes first so drift (JIT, GC, disk cache) does not favour one of them.
  const times = new Map<Subject, number[]>([[HYBRID, []], [PATTERNS, []]]);
  const templates = new Map<Subject, any>();
  for (let i = 0; i < RUNS; i++) {
    for (const subject of i % 2 === 0 ? [HYBRID, PATTERNS] : [PATTERNS, HYBRID]) {
      const { ms, template } = synthesize(subject, imageDir);
      times.get(subject)!.push(ms);
      templates.set(subject, template);
    }
  }

  const medians = new Map([...times].map(([s, ms]) => [s, median(ms)]));
  console.log(`construct-bench: ${RUNS} alternating runs each after ${WARMUP} warm-up, node ${process.version}, image ${path.relative(process.cwd(), imageDir) || imageDir}`);
  console.log('');
  printTable(['synth', 'resources', 'median ms', 'min ms', 'max ms'], [HYBRID, PATTERNS].map(s => [
    s.name,
    String(Object.keys(templates.get(s).Resources ?? {}).length),
    medians.get(s)!.toFixed(1),
    Math.min(...times.get(s)!).toFixed(1),
    Math.max(...times.get(s)!).toFixed(1),
  ]));
  console.log(`ratio ${HYBRID.name} / ${PATTERNS.name}: ${(medians.get(HYBRID)! / medians.get(PATTERNS)!).toFixed(2)}x`);
  console.log('');

  const hybridReport = estimateIdleCost(templates.get(HYBRID));
  const patternsReport = estimateIdleCost(templates.get(PATTERNS));
  printIdleCost(hybridReport, patternsReport);
  console.log(`ratio idle cost ${HYBRID.name} / ${PATTERNS.name}: ${(hybridReport.monthlyUsd / patternsReport.monthlyUsd).toFixed(2)}x`);
  console.log('');

  const loadBalancerIds = Object.entries<any>(templates.get(HYBRID).Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')
    .map(([id]) => id);
  const unexpected = unexpectedIdleItems(hybridReport, loadBalancerIds);
  if (unexpected.length === 0) {
    console.log(`${HYBRID.name} default idle items: OK (only the load balancer, its public IPv4 addresses, alarms and the heartbeat)`);
  } else {
    for (const i of unexpected) {
      console.log(`UNEXPECTED: ${HYBRID.name} default bills ${i.kind} ${i.logicalId ?? ''} x${i.quantity} at idle ($${i.monthlyUsd.toFixed(2)}/month): ${i.note}`);
    }
    process.exitCode = 1;
  }

  if (PROFILE_RUNS > 0) {
    console.log('');
    printProfile(imageDir);
  }
}

/** Where the time goes, phase by phase, in both constructs. */
function printProfile(imageDir: string): void {
  const profiles = new Map<Subject, PhaseProfile>();
  for (const subject of [HYBRID, PATTERNS]) {
    let app: App | undefined;
    let outdir = '';
    profiles.set(subject, profileSynth({
      name: subject.name,
      construct: () => {
        outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'construct-bench-'));
        app = new App({ outdir });
        subject.build(new Stack(app, 'Bench'), imageDir);
      },
      synth: () => {
        app!.synth();
        fs.rmSync(outdir, { recursive: true, force: true });
      },
    }, PROFILE_RUNS));
  }
  const hybrid = profiles.get(HYBRID)!.msPerRun;
  const patterns = profiles.get(PATTERNS)!.msPerRun;
  console.log(`synth profile: ${PROFILE_RUNS} profiled syntheses each, ms per synthesis (profiling slows all phases alike)`);
  printTable(['phase', HYBRID.name, PATTERNS.name, 'ratio'], [...hybrid.keys()].map(phase => [
    phase,
    hybrid.get(phase)!.toFixed(1),
    patterns.get(phase)!.toFixed(1),
    patterns.get(phase)! > 0 ? `${(hybrid.get(phase)! / patterns.get(phase)!).toFixed(2)}x` : '-',
  ]));
}

/** Idle items of both templates side by side, grouped by kind. */
function printIdleCost(hybrid: IdleCostReport, patterns: IdleCostReport): void {
  const byKind = (report: IdleCostReport) => {
    const totals = new Map<string, { quantity: number; usd: number }>();
    for (const i of report.items) {
      const t = totals.get(i.kind) ?? { quantity: 0, usd: 0 };
      totals.set(i.kind, { quantity: t.quantity + i.quantity, usd: t.usd + i.monthlyUsd });
    }
    return totals;
  };
  const h = byKind(hybrid);
  const p = byKind(patterns);
  const kinds = [...new Set([...h.keys(), ...p.keys()])]
    .sort((a, b) => ((p.get(b)?.usd ?? 0) + (h.get(b)?.usd ?? 0)) - ((p.get(a)?.usd ?? 0) + (h.get(a)?.usd ?? 0)));
  const cell = (t?: { quantity: number; usd: number }) => t ? [String(t.quantity), t.usd.toFixed(2)] : ['-', '-'];
  printTable(
    ['idle cost, us-east-1, 730 h', `${HYBRID.name} qty`, '$/month', `${PATTERNS.name} qty`, '$/month'],
    [
      ...kinds.map(k => [k, ...cell(h.get(k)), ...cell(p.get(k))]),
      ['total', '', hybrid.monthlyUsd.toFixed(2), '', patterns.monthlyUsd.toFixed(2)],
    ],
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map(r => r[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

main();
