/**
 * Runs a trace through three ways of serving it, one second at a time, and reports what each served and used:
 *
 * - `lambdaOnly`: the function alone behind the load balancer.
 * - `fargateOnly`: a Fargate service behind the load balancer, min 1 task, target tracking on requests per target,
 *   its maximum maxTasks or what the trace's peak needs if more; it starts with the tasks its first minute needs,
 *   already healthy.
 * - `hybrid`: this library: both, with the controller moving the weights.
 *
 * Each second: CloudWatch evaluates alarms (once a minute), the controller runs what is due, ECS stops and starts
 * tasks, then the second's requests arrive and the load balancer splits them by the weights it has at that moment.
 * Requests are counted per second, never one by one. All strategies are offered the same arrivals.
 */
import { LatencyRecorder } from './latency';
import { MetricStore } from './model/cloudwatch';
import { AlarmChange, SimulatedController, WeightChange } from './model/controller';
import { FargateSecond, FargateService, TaskCounts } from './model/fargate-service';
import { LambdaFunction, LambdaSecond } from './model/lambda-function';
import { HourTraffic, Usage } from './pricing';
import { binomial, Random, seededRandom, streamSeed } from './random';
import { SimulationSettings } from './settings';
import { ArrivalProcess, drawArrivals, rpsAt, Trace } from './trace';

export const STRATEGIES = ['lambdaOnly', 'fargateOnly', 'hybrid'] as const;
export type StrategyName = typeof STRATEGIES[number];

/** Alarms each strategy's stack bills: the controller's four, and the two of a target tracking policy. */
const ALARMS: Record<StrategyName, number> = { lambdaOnly: 0, fargateOnly: 2, hybrid: 6 };

const DEFAULT_REPEATING_WARMUP_MINUTES = 60;

export interface SimulationOptions {
  /** @default 1 */
  readonly seed?: number;
  /** @default ArrivalProcess.POISSON */
  readonly arrivals?: ArrivalProcess;
  /**
   * Minutes simulated before the trace and left out of every figure, so a repeating trace starts from the state a
   * previous day leaves. The warm-up replays the trace's last minutes.
   * @default 60 for a repeating trace (the built-in profiles), 0 otherwise
   */
  readonly warmupMinutes?: number;
  /** Called now and then with the fraction of the whole run done. */
  readonly onProgress?: (fraction: number) => void;
}

/** One scale-out: from the scale-out alarm to Fargate taking all traffic. Seconds from the start of the trace. */
export interface Transition {
  readonly alarmAtS: number;
  readonly firstHealthyTargetAtS: number | null;
  readonly firstFargateWeightAtS: number | null;
  /** When Fargate took all the traffic it may take; null when the load fell back first. */
  readonly fullShiftAtS: number | null;
  /** Desired count when the first weight went to Fargate. */
  readonly tasksAtFirstFargateWeight: number | null;
}

/** One minute of a run, for charts. */
export interface MinuteSample {
  readonly minute: number;
  readonly offeredRps: number;
  readonly lambdaRps: number;
  readonly fargateRps: number;
  /** At the end of the minute. */
  readonly fargateWeight: number;
  readonly desiredTasks: number;
  readonly runningTasks: number;
  readonly healthyTasks: number;
  /** Highest of the minute. */
  readonly lambdaConcurrency: number;
}

export interface StrategyRun {
  readonly requests: number;
  readonly served: number;
  readonly failed: number;
  readonly throttled: number;
  readonly queueTimeouts: number;
  readonly unhealthyRouted: number;
  readonly coldStarts: number;
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  readonly peakLambdaConcurrency: number;
  readonly peakTasks: number;
  readonly usage: Usage;
  readonly timeline: MinuteSample[];
  /** Hybrid only. */
  readonly transitions?: Transition[];
  readonly alarmChanges?: AlarmChange[];
  readonly weightChanges?: WeightChange[];
  readonly controllerDecisions?: number;
}

export interface SimulationRun {
  readonly trace: Trace;
  readonly seed: number;
  readonly arrivals: ArrivalProcess;
  readonly warmupMinutes: number;
  readonly settings: SimulationSettings;
  readonly strategies: Record<StrategyName, StrategyRun>;
}

export function simulate(trace: Trace, settings: SimulationSettings, options: SimulationOptions = {}): SimulationRun {
  const seed = options.seed ?? 1;
  const arrivalsProcess = options.arrivals ?? ArrivalProcess.POISSON;
  const warmupMinutes = options.warmupMinutes ?? (trace.repeats ? Math.min(DEFAULT_REPEATING_WARMUP_MINUTES, trace.rpsByMinute.length) : 0);
  if (!Number.isInteger(warmupMinutes) || warmupMinutes < 0) {
    throw new Error(`warmupMinutes ${warmupMinutes} is not a whole number of minutes >= 0`);
  }
  const window = { from: -warmupMinutes * 60, to: trace.rpsByMinute.length * 60 };
  const arrivals = drawArrivals(trace, window.from, window.to, arrivalsProcess, seededRandom(streamSeed(seed, 0)));
  const strategies = {} as Record<StrategyName, StrategyRun>;
  STRATEGIES.forEach((strategy, index) => {
    const progress = options.onProgress
      ? (fraction: number) => options.onProgress!((index + fraction) / STRATEGIES.length)
      : undefined;
    // Each kind of draw has its own stream, the same for every strategy, so the strategies differ by what they do
    // and not by luck (e.g. the n-th task launched takes as long to start in both strategies that run tasks).
    const streams: RandomStreams = {
      split: seededRandom(streamSeed(seed, 1)),
      tasks: seededRandom(streamSeed(seed, 2)),
      schedule: seededRandom(streamSeed(seed, 3)),
    };
    strategies[strategy] = new StrategyRunner(strategy, trace, settings, arrivals, window, arrivalsProcess, streams, progress).run();
  });
  options.onProgress?.(1);
  return { trace, seed, arrivals: arrivalsProcess, warmupMinutes, settings, strategies };
}

interface Window {
  readonly from: number;
  readonly to: number;
}

interface RandomStreams {
  /** Which requests the load balancer sends to Fargate. */
  readonly split: Random;
  /** Task start times and health check phases. */
  readonly tasks: Random;
  /** When in the minute the reconcile schedule fires. */
  readonly schedule: Random;
}

const NO_LAMBDA: LambdaSecond = { served: 0, throttled: 0, coldStarts: 0, concurrency: 0 };
const NO_FARGATE: FargateSecond = { served: 0, timedOut: 0, unhealthyRouted: 0, waitMs: 0 };

/** Totals of the counted window (after the warm-up). */
class Totals {
  requests = 0;
  served = 0;
  throttled = 0;
  queueTimeouts = 0;
  unhealthyRouted = 0;
  coldStarts = 0;
  lambdaInvocations = 0;
  lambdaGbSeconds = 0;
  peakLambdaConcurrency = 0;
  peakTasks = 0;
}

/** A minute of samples being summed. */
interface MinuteAccumulator {
  offered: number;
  lambda: number;
  fargate: number;
  concurrency: number;
}

class StrategyRunner {
  private readonly metrics: MetricStore;
  private readonly lambda?: LambdaFunction;
  private readonly service?: FargateService;
  private readonly controller?: SimulatedController;
  private readonly listener: { lambdaWeight: number; fargateWeight: number };
  private readonly latency: LatencyRecorder;
  private readonly totals = new Totals();
  private readonly hours: HourTraffic[];
  private readonly timeline: MinuteSample[] = [];
  private readonly transitions: Transition[] = [];
  private openTransition?: { -readonly [K in keyof Transition]: Transition[K] };
  private minute: MinuteAccumulator = { offered: 0, lambda: 0, fargate: 0, concurrency: 0 };
  private splitCarry = 0;

  constructor(
    private readonly strategy: StrategyName,
    trace: Trace,
    private readonly settings: SimulationSettings,
    private readonly arrivals: Int32Array,
    private readonly window: Window,
    private readonly arrivalProcess: ArrivalProcess,
    private readonly random: RandomStreams,
    private readonly onProgress?: (fraction: number) => void,
  ) {
    const { aws, workload, scaling } = settings;
    const firstMinute = Math.floor(window.from / 60);
    this.metrics = new MetricStore(firstMinute, Math.ceil(window.to / 60) - firstMinute + 1, aws.cloudwatch.metricPublicationDelaySeconds);
    this.latency = new LatencyRecorder(workload.requestDurationMs, workload.lambdaColdStartMs);
    this.hours = Array.from({ length: Math.ceil(window.to / 3600) }, () => ({ lambdaRequests: 0, fargateRequests: 0 }));
    this.listener = strategy === 'fargateOnly' ? { lambdaWeight: 0, fargateWeight: 100 } : { lambdaWeight: 100, fargateWeight: 0 };
    if (strategy !== 'fargateOnly') {
      this.lambda = new LambdaFunction(workload, aws.lambda);
    }
    const target = scaling.controller.requestsPerTaskPerMinute;
    if (strategy === 'fargateOnly') {
      // The same autoscaling as the hybrid's service, with room for the trace's peak.
      const peakRpm = trace.rpsByMinute.reduce((peak, rps) => Math.max(peak, rps), 0) * 60;
      const maxCapacity = Math.max(scaling.controller.maxTasks, Math.ceil(peakRpm / target));
      const tracking = { requestsPerTaskPerMinute: target, minCapacity: 1, maxCapacity };
      this.service = new FargateService(workload, aws, this.random.tasks, tracking, this.metrics, 0);
      const firstRpm = rpsAt(trace, window.from) * 60;
      this.service.startSteady(Math.min(maxCapacity, Math.max(1, Math.ceil(firstRpm / target))), window.from);
    } else if (strategy === 'hybrid') {
      this.service = new FargateService(workload, aws, this.random.tasks, {
        requestsPerTaskPerMinute: target, minCapacity: 0, maxCapacity: scaling.controller.maxTasks,
      }, this.metrics, 0);
      const reconcilePhase = Math.floor(this.random.schedule() * 60);
      this.controller = new SimulatedController(settings, this.listener, this.service, this.metrics, reconcilePhase, 0);
      if (scaling.mode !== 'auto') {
        this.controller.modeChanged(window.from);
      }
    }
  }

  run(): StrategyRun {
    const { from, to } = this.window;
    const evaluationOffset = this.settings.aws.cloudwatch.alarmEvaluationOffsetSeconds;
    const progressEvery = Math.max(1, Math.floor((to - from) / 100));
    for (let second = from; second < to; second++) {
      if (mod(second, this.settings.aws.cloudwatch.alarmEvaluationIntervalSeconds) === evaluationOffset) {
        this.controller?.evaluateAlarms(second);
        this.service?.evaluateTargetTracking(second);
        this.openTransitionOnScaleOut(second);
      }
      this.controller?.tick(second);
      this.service?.tick(second);
      this.serveSecond(second, this.arrivals[second - from]);
      if (this.onProgress && (second - from) % progressEvery === 0) {
        this.onProgress((second - from) / (to - from));
      }
    }
    return this.result();
  }

  private serveSecond(second: number, requests: number): void {
    const toFargate = this.split(requests);
    const toLambda = requests - toFargate;
    const lambda = this.lambda ? this.lambda.invoke(second, toLambda) : NO_LAMBDA;
    const fargate = this.service ? this.service.serve(second, toFargate) : NO_FARGATE;
    const tasks = this.service?.counts(second) ?? { desired: 0, running: 0, healthy: 0 };
    // The model has no application errors, so the Fargate side reports no target 5xx.
    this.metrics.record(second, requests, toFargate, 0, tasks.healthy);
    this.followTransition(second, tasks.healthy, tasks.desired);
    if (second < 0) {
      return;
    }
    const totals = this.totals;
    totals.requests += requests;
    totals.served += lambda.served + fargate.served;
    totals.throttled += lambda.throttled;
    totals.queueTimeouts += fargate.timedOut;
    totals.unhealthyRouted += fargate.unhealthyRouted;
    totals.coldStarts += lambda.coldStarts;
    totals.peakLambdaConcurrency = Math.max(totals.peakLambdaConcurrency, lambda.concurrency);
    totals.peakTasks = Math.max(totals.peakTasks, tasks.running);
    this.chargeLambda(lambda);
    this.latency.addServed(lambda.served - lambda.coldStarts, 0);
    this.latency.addColdStarts(lambda.coldStarts);
    this.latency.addServed(fargate.served, fargate.waitMs);
    const hour = this.hours[Math.floor(second / 3600)];
    hour.lambdaRequests += toLambda;
    hour.fargateRequests += toFargate;
    this.sampleMinute(second, requests, toLambda, toFargate, lambda.concurrency, tasks);
  }

  /** Requests the load balancer forwards to Fargate: each request independently, with the Fargate weight's share. */
  private split(requests: number): number {
    const { lambdaWeight, fargateWeight } = this.listener;
    const total = Math.max(0, lambdaWeight) + Math.max(0, fargateWeight);
    const share = total > 0 ? Math.max(0, fargateWeight) / total : 0;
    if (this.arrivalProcess === ArrivalProcess.POISSON) {
      return binomial(this.random.split, requests, share);
    }
    const exact = requests * share + this.splitCarry;
    const whole = Math.floor(exact + 1e-9);
    this.splitCarry = exact - whole;
    return whole;
  }

  private chargeLambda(lambda: LambdaSecond): void {
    const { workload, aws } = this.settings;
    const gb = workload.lambdaMemoryMb / 1024;
    this.totals.lambdaInvocations += lambda.served;
    this.totals.lambdaGbSeconds += gb * (lambda.served * workload.requestDurationMs.mean / 1000
      + (aws.lambda.initBilled ? lambda.coldStarts * workload.lambdaColdStartMs.mean / 1000 : 0));
  }

  private sampleMinute(second: number, offered: number, lambda: number, fargate: number, concurrency: number, tasks: TaskCounts): void {
    const minute = this.minute;
    minute.offered += offered;
    minute.lambda += lambda;
    minute.fargate += fargate;
    minute.concurrency = Math.max(minute.concurrency, concurrency);
    if (mod(second, 60) !== 59) {
      return;
    }
    this.timeline.push({
      minute: Math.floor(second / 60),
      offeredRps: round2(minute.offered / 60),
      lambdaRps: round2(minute.lambda / 60),
      fargateRps: round2(minute.fargate / 60),
      fargateWeight: this.listener.fargateWeight,
      desiredTasks: tasks.desired,
      runningTasks: tasks.running,
      healthyTasks: tasks.healthy,
      lambdaConcurrency: minute.concurrency,
    });
    this.minute = { offered: 0, lambda: 0, fargate: 0, concurrency: 0 };
  }

  /** A scale-out starts when the scale-out alarm goes to ALARM while Lambda has all the traffic. */
  private openTransitionOnScaleOut(second: number): void {
    const change = this.controller?.alarmChanges[this.controller.alarmChanges.length - 1];
    if (!change || change.second !== second || change.alarm !== 'scaleOut' || change.state !== 'ALARM' || this.listener.fargateWeight > 0) {
      return;
    }
    this.closeTransition();
    this.openTransition = {
      alarmAtS: second, firstHealthyTargetAtS: null, firstFargateWeightAtS: null, fullShiftAtS: null, tasksAtFirstFargateWeight: null,
    };
  }

  private followTransition(second: number, healthy: number, desired: number): void {
    const open = this.openTransition;
    if (!open) {
      return;
    }
    const weight = this.listener.fargateWeight;
    if (open.firstHealthyTargetAtS === null && healthy > 0) {
      open.firstHealthyTargetAtS = second;
    }
    if (open.firstFargateWeightAtS === null && weight > 0) {
      open.firstFargateWeightAtS = second;
      open.tasksAtFirstFargateWeight = desired;
    }
    if (weight >= 100 - this.settings.scaling.controller.overflowLambdaWeight) {
      open.fullShiftAtS = second;
      this.closeTransition();
    } else if (open.firstFargateWeightAtS !== null && weight === 0) {
      this.closeTransition();
    }
  }

  private closeTransition(): void {
    if (this.openTransition && this.openTransition.alarmAtS >= 0) {
      this.transitions.push(this.openTransition);
    }
    this.openTransition = undefined;
  }

  private result(): StrategyRun {
    this.closeTransition();
    const totals = this.totals;
    const failed = totals.throttled + totals.queueTimeouts + totals.unhealthyRouted;
    const controllerBilling = this.controller?.billing(this.window.to) ?? { invocations: 0, gbSeconds: 0 };
    const { p50Ms, p99Ms } = this.latency.percentiles();
    const usage: Usage = {
      seconds: this.window.to,
      hours: this.hours,
      lambdaInvocations: totals.lambdaInvocations,
      lambdaGbSeconds: totals.lambdaGbSeconds,
      fargateTaskSeconds: this.service?.taskSeconds() ?? 0,
      alarms: ALARMS[this.strategy],
      controllerInvocations: controllerBilling.invocations,
      controllerGbSeconds: controllerBilling.gbSeconds,
      logIngestedBytes: 0,
    };
    return {
      requests: totals.requests,
      served: totals.served,
      failed,
      throttled: totals.throttled,
      queueTimeouts: totals.queueTimeouts,
      unhealthyRouted: totals.unhealthyRouted,
      coldStarts: totals.coldStarts,
      p50LatencyMs: p50Ms,
      p99LatencyMs: p99Ms,
      peakLambdaConcurrency: totals.peakLambdaConcurrency,
      peakTasks: totals.peakTasks,
      usage,
      timeline: this.timeline,
      ...(this.controller ? {
        transitions: this.transitions,
        alarmChanges: this.controller.alarmChanges.filter((change) => change.second >= 0),
        weightChanges: this.controller.weightChanges.filter((change) => change.second >= 0),
        controllerDecisions: this.controller.decisions,
      } : {}),
    };
  }
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
