/**
 * Runs a trace through four ways of serving it, one second at a time, and reports what each served, failed and used:
 *
 * - `lambdaOnly`: the function alone behind the load balancer.
 * - `fargateOnly`: a Fargate service behind the load balancer, min 1 task, target tracking on requests per target,
 *   its maximum maxTasks or what the trace's peak needs if more; it starts with the tasks its first minute needs,
 *   already healthy. A redeploy of it is a rolling deployment that keeps its tasks, so redeploy faults do not touch it.
 * - `hybrid`: this library: both, with the controller (its own invocation loop) moving the weights.
 * - `oracle`: both, with a plan made in hindsight from the whole trace (see oracle.ts), replayed through the same
 *   service model: the practical lower bound for any controller on this stack.
 *
 * Each second: CloudWatch evaluates alarms (once a minute), the controller runs what is due, ECS stops and starts
 * tasks, then the second's requests arrive and the load balancer splits them by the weights it has at that moment.
 * Requests are counted per second, never one by one. All strategies are offered the same arrivals and suffer the same
 * injected faults.
 */
import { fargateErrorRateAt, Faults } from './faults';
import { LatencyRecorder } from './latency';
import { MetricStore, PublicationDelay } from './model/cloudwatch';
import { AlarmChange, SimulatedController, WeightChange } from './model/controller';
import { FargateSecond, FargateService, TaskCounts } from './model/fargate-service';
import { LambdaFunction, LambdaSecond } from './model/lambda-function';
import { OracleDriver, planForRun } from './model/oracle-driver';
import { HourTraffic, Usage } from './pricing';
import { binomial, Random, seededRandom, streamSeed } from './random';
import { SimulationSettings } from './settings';
import { ArrivalProcess, drawArrivals, rpsAt, Trace } from './trace';

export const STRATEGIES = ['lambdaOnly', 'fargateOnly', 'hybrid', 'oracle'] as const;
export type StrategyName = typeof STRATEGIES[number];

/** Alarms each strategy's stack bills: the controller's four, and the two of a target tracking policy. */
const ALARMS: Record<StrategyName, number> = { lambdaOnly: 0, fargateOnly: 2, hybrid: 6, oracle: 0 };

const DEFAULT_REPEATING_WARMUP_MINUTES = 60;

/** Why a request failed. */
export const FAILURE_CAUSES = ['lambdaThrottled', 'fargateOverloaded', 'noTarget', 'deadTarget', 'injectedError'] as const;
export type FailureCause = typeof FAILURE_CAUSES[number];
export type FailuresByCause = Record<FailureCause, number>;

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
  /** Strategies to run. @default all */
  readonly strategies?: readonly StrategyName[];
  /** Keep per-second samples of these minutes (a zoomed chart). */
  readonly detail?: { readonly fromMinute: number; readonly toMinute: number };
  /** Called now and then with the fraction of the whole run done. */
  readonly onProgress?: (fraction: number) => void;
}

/** One scale-out: from the controller starting tasks to Fargate taking all traffic. Seconds from the start of the trace. */
export interface Transition {
  /** The scale-out alarm that started it (or, when none did, when the first task was asked for). */
  readonly alarmAtS: number;
  readonly firstHealthyTargetAtS: number | null;
  readonly firstFargateWeightAtS: number | null;
  /** When Fargate took all the traffic it may take; null when the load fell back first. */
  readonly fullShiftAtS: number | null;
  /** Desired count when the first weight went to Fargate. */
  readonly tasksAtFirstFargateWeight: number | null;
}

/** One minute (or one second, in `detail`) of a run, for charts. Rates are per second. */
export interface Sample {
  /** Minute, or second in `detail`, from the start of the trace. */
  readonly at: number;
  readonly offeredRps: number;
  readonly lambdaRps: number;
  readonly fargateRps: number;
  /** Served requests per second (both sides). */
  readonly servedRps: number;
  readonly failedRps: Record<FailureCause, number>;
  /** Requests per second the Fargate side's alive targets can serve. */
  readonly fargateCapacityRps: number;
  /** At the end of the period. */
  readonly fargateWeight: number;
  readonly desiredTasks: number;
  readonly runningTasks: number;
  readonly healthyTasks: number;
  /** Highest of the period. */
  readonly lambdaConcurrency: number;
}

/** A fault's share of the failures: from its onset until the controller can see it, plus one poll interval. */
export interface FaultWindow {
  readonly fault: string;
  readonly onsetS: number;
  /** When it first became observable (null: never, within the run). */
  readonly observableS: number | null;
  readonly untilS: number;
  readonly failures: number;
}

export interface StrategyRun {
  readonly requests: number;
  readonly served: number;
  readonly failed: number;
  readonly failedByCause: FailuresByCause;
  readonly coldStarts: number;
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  readonly p999LatencyMs: number | null;
  readonly peakLambdaConcurrency: number;
  readonly peakTasks: number;
  readonly usage: Usage;
  readonly timeline: Sample[];
  /** Per-second samples of `options.detail`. */
  readonly detail?: Sample[];
  /** Requests sent to the Fargate group while it had no healthy target, beyond `faultFailures`. */
  readonly unhealthyRouted: number;
  /** Hybrid only. */
  readonly faultFailures?: number;
  readonly faultWindows?: FaultWindow[];
  readonly transitions?: Transition[];
  readonly alarmChanges?: AlarmChange[];
  readonly weightChanges?: WeightChange[];
  readonly controllerDecisions?: number;
  readonly controllerIncidents?: { readonly lostEvents: number; readonly failedCalls: number; readonly failedInvocations: number };
}

export interface SimulationRun {
  readonly trace: Trace;
  readonly seed: number;
  readonly arrivals: ArrivalProcess;
  readonly warmupMinutes: number;
  readonly settings: SimulationSettings;
  readonly strategies: Partial<Record<StrategyName, StrategyRun>> & Record<'lambdaOnly' | 'fargateOnly' | 'hybrid', StrategyRun>;
}

export async function simulate(trace: Trace, settings: SimulationSettings, options: SimulationOptions = {}): Promise<SimulationRun> {
  const seed = options.seed ?? 1;
  const arrivalsProcess = options.arrivals ?? ArrivalProcess.POISSON;
  const warmupMinutes = options.warmupMinutes ?? (trace.repeats ? Math.min(DEFAULT_REPEATING_WARMUP_MINUTES, trace.rpsByMinute.length) : 0);
  if (!Number.isInteger(warmupMinutes) || warmupMinutes < 0) {
    throw new Error(`warmupMinutes ${warmupMinutes} is not a whole number of minutes >= 0`);
  }
  const window = { from: -warmupMinutes * 60, to: trace.rpsByMinute.length * 60 };
  const arrivals = drawArrivals(trace, window.from, window.to, arrivalsProcess, seededRandom(streamSeed(seed, 0)));
  const wanted = options.strategies ?? STRATEGIES;
  for (const required of ['lambdaOnly', 'fargateOnly', 'hybrid'] as const) {
    if (!wanted.includes(required)) {
      throw new Error(`strategies must include ${required}: the report compares the hybrid with both single strategies`);
    }
  }
  const strategies = {} as Record<StrategyName, StrategyRun>;
  for (const [index, strategy] of wanted.entries()) {
    const progress = options.onProgress
      ? (fraction: number) => options.onProgress!((index + fraction) / wanted.length)
      : undefined;
    // Each kind of draw has its own stream, the same for every strategy, so the strategies differ by what they do
    // and not by luck (e.g. the n-th task launched takes as long to start in every strategy that runs tasks).
    const streams: RandomStreams = {
      split: seededRandom(streamSeed(seed, 1)),
      tasks: seededRandom(streamSeed(seed, 2)),
      schedule: seededRandom(streamSeed(seed, 3)),
      metricDelay: seededRandom(streamSeed(seed, 4)),
      events: seededRandom(streamSeed(seed, 5)),
      api: seededRandom(streamSeed(seed, 6)),
    };
    const runner = new StrategyRunner(strategy, trace, settings, arrivals, window, arrivalsProcess, streams, options.detail, progress);
    strategies[strategy] = await runner.run();
  }
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
  /** Publication delay of each minute's datapoints. */
  readonly metricDelay: Random;
  /** Which EventBridge deliveries are lost. */
  readonly events: Random;
  /** Which AWS call attempts fail. */
  readonly api: Random;
}

const NO_LAMBDA: LambdaSecond = { served: 0, throttled: 0, coldStarts: 0, concurrency: 0 };
const NO_FARGATE: FargateSecond = {
  served: 0, overloaded: 0, noTarget: 0, deadTarget: 0, connectionErrors: 0, injectedErrors: 0, waitMs: 0, capacityRps: 0,
};
const NO_TASKS: TaskCounts = { desired: 0, running: 0, healthy: 0, healthyRunning: 0, unhealthy: 0 };

function noFailures(): FailuresByCause {
  return { lambdaThrottled: 0, fargateOverloaded: 0, noTarget: 0, deadTarget: 0, injectedError: 0 };
}

/** Totals of the counted window (after the warm-up). */
class Totals {
  requests = 0;
  served = 0;
  readonly failed = noFailures();
  coldStarts = 0;
  lambdaInvocations = 0;
  lambdaGbSeconds = 0;
  fargateServed = 0;
  peakLambdaConcurrency = 0;
  peakTasks = 0;
}

/** A period of samples being summed. */
class Accumulator {
  offered = 0;
  lambda = 0;
  fargate = 0;
  served = 0;
  failed = noFailures();
  capacity = 0;
  concurrency = 0;
  seconds = 0;

  add(offered: number, lambda: number, fargate: number, served: number, failed: FailuresByCause, capacity: number, concurrency: number): void {
    this.offered += offered;
    this.lambda += lambda;
    this.fargate += fargate;
    this.served += served;
    for (const cause of FAILURE_CAUSES) {
      this.failed[cause] += failed[cause];
    }
    this.capacity += capacity;
    this.concurrency = Math.max(this.concurrency, concurrency);
    this.seconds++;
  }

  sample(at: number, weight: number, tasks: TaskCounts): Sample {
    const per = (value: number) => round2(value / Math.max(1, this.seconds));
    return {
      at,
      offeredRps: per(this.offered),
      lambdaRps: per(this.lambda),
      fargateRps: per(this.fargate),
      servedRps: per(this.served),
      failedRps: Object.fromEntries(FAILURE_CAUSES.map((cause) => [cause, per(this.failed[cause])])) as Record<FailureCause, number>,
      fargateCapacityRps: per(this.capacity),
      fargateWeight: weight,
      desiredTasks: tasks.desired,
      runningTasks: tasks.running,
      healthyTasks: tasks.healthy,
      lambdaConcurrency: this.concurrency,
    };
  }
}

class StrategyRunner {
  private readonly metrics: MetricStore;
  private readonly lambda?: LambdaFunction;
  private readonly service?: FargateService;
  private readonly controller?: SimulatedController;
  private readonly oracle?: OracleDriver;
  private readonly listener: { lambdaWeight: number; fargateWeight: number };
  private readonly latency: LatencyRecorder;
  private readonly totals = new Totals();
  private readonly hours: HourTraffic[];
  private readonly timeline: Sample[] = [];
  private readonly detailSamples: Sample[] = [];
  private readonly transitions: Transition[] = [];
  private readonly faults: Faults;
  /** Hybrid only, per counted second: failures a fault can cause, those with no healthy target, and Fargate's share. */
  private readonly faultCauseFailures?: Float64Array;
  private readonly noHealthyFailures?: Float64Array;
  private readonly fargateShares?: Float32Array;
  private openTransition?: { -readonly [K in keyof Transition]: Transition[K] };
  private minute = new Accumulator();
  private lastDesired = 0;
  private lastTransitionEnd = -Infinity;

  constructor(
    private readonly strategy: StrategyName,
    trace: Trace,
    private readonly settings: SimulationSettings,
    private readonly arrivals: Int32Array,
    private readonly window: Window,
    private readonly arrivalProcess: ArrivalProcess,
    private readonly random: RandomStreams,
    private readonly detail?: SimulationOptions['detail'],
    private readonly onProgress?: (fraction: number) => void,
  ) {
    const { aws, workload, scaling } = settings;
    this.faults = settings.faults;
    const firstMinute = Math.floor(window.from / 60);
    this.metrics = new MetricStore(firstMinute, Math.ceil(window.to / 60) - firstMinute + 1, publicationDelay(settings, random.metricDelay));
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
      this.service = new FargateService(workload, aws, this.random.tasks, tracking, this.metrics, 0, this.faults);
      const firstRpm = rpsAt(trace, window.from) * 60;
      this.service.startSteady(Math.min(maxCapacity, Math.max(1, Math.ceil(firstRpm / target))), window.from);
    } else if (strategy === 'hybrid') {
      this.service = new FargateService(workload, aws, this.random.tasks, {
        requestsPerTaskPerMinute: target, minCapacity: 0, maxCapacity: scaling.controller.maxTasks,
      }, this.metrics, 0, this.faults);
      const reconcilePhase = Math.floor(this.random.schedule() * 60);
      this.controller = new SimulatedController(settings, this.listener, this.service, this.metrics, reconcilePhase, 0, this.random);
      if (scaling.mode !== 'auto') {
        this.controller.modeChanged(window.from);
      }
      const counted = window.to;
      this.faultCauseFailures = new Float64Array(counted);
      this.noHealthyFailures = new Float64Array(counted);
      this.fargateShares = new Float32Array(counted);
    } else if (strategy === 'oracle') {
      this.service = new FargateService(workload, aws, this.random.tasks, {
        requestsPerTaskPerMinute: target, minCapacity: 0, maxCapacity: scaling.controller.maxTasks,
      }, this.metrics, 0, this.faults);
      const plan = planForRun(settings, requestsPerMinute(arrivals), firstMinute);
      this.oracle = new OracleDriver(plan, firstMinute, settings, this.listener, this.service);
    }
  }

  async run(): Promise<StrategyRun> {
    const { from, to } = this.window;
    const evaluationOffset = this.settings.aws.cloudwatch.alarmEvaluationOffsetSeconds;
    const progressEvery = Math.max(1, Math.floor((to - from) / 100));
    for (let second = from; second < to; second++) {
      if (mod(second, this.settings.aws.cloudwatch.alarmEvaluationIntervalSeconds) === evaluationOffset) {
        this.controller?.evaluateAlarms(second);
        if (this.strategy !== 'oracle') {
          this.service?.evaluateTargetTracking(second);
        }
      }
      this.redeployAt(second);
      const pending = this.controller?.tick(second);
      if (pending) {
        await pending;
      }
      this.service?.tick(second);
      this.oracle?.tick(second, this.arrivals[second - from]);
      this.serveSecond(second, this.arrivals[second - from]);
      if (this.onProgress && (second - from) % progressEvery === 0) {
        this.onProgress((second - from) / (to - from));
      }
    }
    return this.result();
  }

  /** Redeploys touch the hybrid's resources (its template holds the rest values) and the oracle's service and listener. */
  private redeployAt(second: number): void {
    if (this.strategy === 'fargateOnly' || this.strategy === 'lambdaOnly') {
      return;
    }
    for (const redeploy of this.faults.redeploys) {
      if (redeploy.atMinute * 60 !== second) {
        continue;
      }
      if (this.controller) {
        this.controller.redeploy(second, redeploy.touches);
      } else if (redeploy.touches.includes('service')) {
        this.service!.redeploy(0, second);
      }
    }
  }

  private serveSecond(second: number, requests: number): void {
    const toFargate = this.split(requests);
    const toLambda = requests - toFargate;
    const lambda = this.lambda ? this.lambda.invoke(second, toLambda) : NO_LAMBDA;
    const fargate = this.service ? this.service.serve(second, toFargate) : NO_FARGATE;
    const tasks = this.service?.counts(second) ?? NO_TASKS;
    const failed: FailuresByCause = {
      lambdaThrottled: lambda.throttled,
      fargateOverloaded: fargate.overloaded,
      noTarget: fargate.noTarget,
      deadTarget: fargate.deadTarget,
      injectedError: fargate.injectedErrors,
    };
    const durationMs = this.settings.workload.requestDurationMs.mean;
    this.metrics.record(second, {
      albRequests: requests,
      lambdaRequests: toLambda,
      fargateRequests: toFargate,
      fargateTarget5xx: fargate.injectedErrors + (fargate.deadTarget - fargate.connectionErrors),
      fargateConnectionErrors: fargate.connectionErrors,
      elb5xx: fargate.noTarget + fargate.connectionErrors + fargate.overloaded + lambda.throttled,
      lambdaThrottles: lambda.throttled,
      lambdaErrors: 0,
      fargateResponseMsSum: (fargate.served + fargate.injectedErrors) * (durationMs + fargate.waitMs),
      lambdaResponseMsSum: lambda.served * durationMs + lambda.coldStarts * this.settings.workload.lambdaColdStartMs.mean,
      healthyTargets: tasks.healthy,
    });
    this.followTransition(second, tasks);
    if (second < 0) {
      return;
    }
    this.recordFaultExposure(second, toFargate, tasks, fargate);
    const totals = this.totals;
    totals.requests += requests;
    const served = lambda.served + fargate.served;
    totals.served += served;
    for (const cause of FAILURE_CAUSES) {
      totals.failed[cause] += failed[cause];
    }
    totals.coldStarts += lambda.coldStarts;
    totals.fargateServed += fargate.served + fargate.injectedErrors;
    totals.peakLambdaConcurrency = Math.max(totals.peakLambdaConcurrency, lambda.concurrency);
    totals.peakTasks = Math.max(totals.peakTasks, tasks.running);
    this.chargeLambda(lambda);
    this.latency.addServed(lambda.served - lambda.coldStarts, 0);
    this.latency.addColdStarts(lambda.coldStarts);
    this.latency.addServed(fargate.served, fargate.waitMs);
    const hour = this.hours[Math.floor(second / 3600)];
    hour.lambdaRequests += toLambda;
    hour.fargateRequests += toFargate;
    this.sample(second, requests, toLambda, toFargate, served, failed, fargate.capacityRps, lambda.concurrency, tasks);
  }

  private recordFaultExposure(second: number, toFargate: number, tasks: TaskCounts, fargate: FargateSecond): void {
    if (!this.faultCauseFailures) {
      return;
    }
    this.faultCauseFailures[second] = fargate.overloaded + fargate.noTarget + fargate.deadTarget + fargate.injectedErrors;
    this.noHealthyFailures![second] = tasks.healthy === 0 ? fargate.noTarget + fargate.deadTarget : 0;
    const total = Math.max(0, this.listener.lambdaWeight) + Math.max(0, this.listener.fargateWeight);
    this.fargateShares![second] = total > 0 ? Math.max(0, this.listener.fargateWeight) / total : 0;
    if (toFargate === 0) {
      this.faultCauseFailures[second] = 0;
    }
  }

  /** Requests the load balancer forwards to Fargate: each request independently, with the Fargate weight's share. */
  private split(requests: number): number {
    const { lambdaWeight, fargateWeight } = this.listener;
    const total = Math.max(0, lambdaWeight) + Math.max(0, fargateWeight);
    const share = total > 0 ? Math.max(0, fargateWeight) / total : 0;
    if (this.arrivalProcess === ArrivalProcess.POISSON) {
      return binomial(this.random.split, requests, share);
    }
    return Math.round(requests * share);
  }

  private chargeLambda(lambda: LambdaSecond): void {
    const { workload, aws } = this.settings;
    this.totals.lambdaInvocations += lambda.served;
    this.totals.lambdaGbSeconds += (workload.lambdaMemoryMb / 1024) * (lambda.served * workload.requestDurationMs.mean / 1000
      + (aws.lambda.initBilled ? lambda.coldStarts * workload.lambdaColdStartMs.mean / 1000 : 0));
  }

  private sample(
    second: number, offered: number, lambda: number, fargate: number, served: number, failed: FailuresByCause, capacity: number,
    concurrency: number, tasks: TaskCounts,
  ): void {
    this.minute.add(offered, lambda, fargate, served, failed, capacity, concurrency);
    if (this.detail && second >= this.detail.fromMinute * 60 && second < this.detail.toMinute * 60) {
      const one = new Accumulator();
      one.add(offered, lambda, fargate, served, failed, capacity, concurrency);
      this.detailSamples.push(one.sample(second, this.listener.fargateWeight, tasks));
    }
    if (mod(second, 60) !== 59) {
      return;
    }
    this.timeline.push(this.minute.sample(Math.floor(second / 60), this.listener.fargateWeight, tasks));
    this.minute = new Accumulator();
  }

  /**
   * A scale-out starts when the desired count rises from 0 while Lambda has all the traffic, whatever started it (an
   * alarm, a redeploy repair, the mode); its alarm time is the scale-out alarm that preceded it, if any.
   */
  private followTransition(second: number, tasks: TaskCounts): void {
    if (!this.controller) {
      return;
    }
    const weight = this.listener.fargateWeight;
    if (this.lastDesired === 0 && tasks.desired > 0 && weight === 0) {
      this.closeTransition();
      // The alarm counts only if it went off since the previous scale-out ended; a repair after a redeploy has none.
      const alarm = [...this.controller.alarmChanges].reverse().find((change) => change.alarm === 'scaleOut' && change.state === 'ALARM');
      this.openTransition = {
        alarmAtS: alarm && alarm.second <= second && alarm.second >= this.lastTransitionEnd ? alarm.second : second,
        firstHealthyTargetAtS: null,
        firstFargateWeightAtS: null,
        fullShiftAtS: null,
        tasksAtFirstFargateWeight: null,
      };
    }
    this.lastDesired = tasks.desired;
    const open = this.openTransition;
    if (!open) {
      return;
    }
    if (open.firstHealthyTargetAtS === null && tasks.healthy > 0) {
      open.firstHealthyTargetAtS = second;
    }
    if (open.firstFargateWeightAtS === null && weight > 0) {
      open.firstFargateWeightAtS = second;
      open.tasksAtFirstFargateWeight = tasks.desired;
    }
    if (weight >= 100 - this.settings.scaling.controller.overflowLambdaWeight) {
      open.fullShiftAtS = second;
      this.closeTransition();
    } else if ((open.firstFargateWeightAtS !== null && weight === 0) || tasks.desired === 0) {
      this.closeTransition();
    }
  }

  private closeTransition(): void {
    if (this.openTransition && this.openTransition.alarmAtS >= 0) {
      this.transitions.push(this.openTransition);
    }
    if (this.openTransition) {
      this.lastTransitionEnd = this.openTransition.fullShiftAtS ?? this.openTransition.alarmAtS;
    }
    this.openTransition = undefined;
  }

  private result(): StrategyRun {
    this.closeTransition();
    const totals = this.totals;
    const failed = FAILURE_CAUSES.reduce((sum, cause) => sum + totals.failed[cause], 0);
    const controllerBilling = this.controller?.billing(this.window.to) ?? { invocations: 0, gbSeconds: 0 };
    const { p50Ms, p99Ms, p999Ms } = this.latency.percentiles();
    const workload = this.settings.workload;
    const usage: Usage = {
      seconds: this.window.to,
      hours: this.hours,
      lambdaInvocations: totals.lambdaInvocations,
      lambdaGbSeconds: totals.lambdaGbSeconds,
      fargateTaskSeconds: this.service?.taskSeconds() ?? 0,
      alarms: ALARMS[this.strategy],
      controllerInvocations: controllerBilling.invocations,
      controllerGbSeconds: controllerBilling.gbSeconds,
      controllerMetricReads: this.controller?.metricReads ?? 0,
      controllerMetricHours: this.controller?.metricLineHours() ?? 0,
      logIngestedBytes: totals.lambdaInvocations * (workload.lambdaPlatformLogBytesPerInvocation + workload.appLogBytesPerRequest)
        + totals.fargateServed * workload.appLogBytesPerRequest,
    };
    const windows = this.controller ? this.faultWindows() : [];
    const faultFailures = windows.reduce((sum, w) => sum + w.failures, 0);
    const noHealthy = this.noHealthyFailures ? this.noHealthyFailures.reduce((sum, value) => sum + value, 0) : totals.failed.noTarget;
    return {
      requests: totals.requests,
      served: totals.served,
      failed,
      failedByCause: { ...totals.failed },
      coldStarts: totals.coldStarts,
      p50LatencyMs: p50Ms,
      p99LatencyMs: p99Ms,
      p999LatencyMs: p999Ms,
      peakLambdaConcurrency: totals.peakLambdaConcurrency,
      peakTasks: totals.peakTasks,
      usage,
      timeline: this.timeline,
      ...(this.detail ? { detail: this.detailSamples } : {}),
      unhealthyRouted: Math.max(0, Math.round(noHealthy - this.attributedNoHealthy(windows))),
      ...(this.controller ? {
        faultFailures: Math.round(faultFailures),
        faultWindows: windows,
        transitions: this.transitions,
        alarmChanges: this.controller.alarmChanges.filter((change) => change.second >= 0),
        weightChanges: this.controller.weightChanges.filter((change) => change.second >= 0),
        controllerDecisions: this.controller.decisions,
        controllerIncidents: { ...this.controller.incidents },
      } : {}),
    };
  }

  /**
   * For each injected fault, the failures it causes before the controller can know of it: from its onset until it is
   * first observable plus one poll interval, counted at the Fargate share the listener had at the onset (a controller
   * that raised the share meanwhile owns the excess). A second covered by several windows counts once.
   */
  private faultWindows(): FaultWindow[] {
    const spans = this.faultSpans();
    const claimed = new Uint8Array(this.window.to);
    const poll = this.settings.scaling.pollIntervalSeconds;
    return spans.map((span) => {
      const untilS = Math.min(this.window.to, (span.observableS ?? this.window.to) + poll);
      const onsetShare = this.fargateShares![Math.max(0, Math.min(this.window.to - 1, span.onsetS))];
      let failures = 0;
      for (let second = Math.max(0, span.onsetS); second < untilS; second++) {
        if (claimed[second]) {
          continue;
        }
        claimed[second] = 1;
        const share = this.fargateShares![second];
        const scale = share > 0 ? Math.min(1, onsetShare / share) : 0;
        failures += this.faultCauseFailures![second] * scale;
      }
      return { ...span, untilS, failures: Math.round(failures) };
    });
  }

  /** Of the failures with no healthy target, those inside fault windows are the faults'. */
  private attributedNoHealthy(windows: readonly FaultWindow[]): number {
    if (!this.noHealthyFailures) {
      return 0;
    }
    let attributed = 0;
    const seen = new Uint8Array(this.window.to);
    for (const w of windows) {
      const onsetShare = this.fargateShares![Math.max(0, Math.min(this.window.to - 1, w.onsetS))];
      for (let second = Math.max(0, w.onsetS); second < w.untilS; second++) {
        if (seen[second]) {
          continue;
        }
        seen[second] = 1;
        const share = this.fargateShares![second];
        attributed += this.noHealthyFailures[second] * (share > 0 ? Math.min(1, onsetShare / share) : 0);
      }
    }
    return attributed;
  }

  /** Onset and first observable time of every injected fault within the run. */
  private faultSpans(): Array<Omit<FaultWindow, 'untilS' | 'failures'>> {
    const alb = this.settings.aws.alb;
    const invokeDelay = this.settings.aws.controller.invokeDelaySeconds;
    const failedChecks = alb.healthCheckIntervalSeconds * alb.unhealthyThresholdCount;
    const spans: Array<Omit<FaultWindow, 'untilS' | 'failures'>> = [];
    for (const crash of this.faults.taskCrashes) {
      const onset = crash.atMinute * 60;
      // The task-stop event, unless the load balancer's failed checks show it first (or the event is lost).
      const event = this.controller!.taskStopEvents.find((s) => s >= onset);
      const observable = Math.min(event === undefined ? Infinity : event + invokeDelay, onset + failedChecks);
      spans.push({ fault: `taskCrash@${crash.atMinute}`, onsetS: onset, observableS: observable });
    }
    for (const window of this.faults.unhealthyTasks) {
      const onset = window.fromMinute * 60;
      spans.push({ fault: `unhealthyTasks@${window.fromMinute}`, onsetS: onset, observableS: onset + failedChecks });
    }
    for (const window of this.faults.slowTasks) {
      spans.push({ fault: `slowTasks@${window.fromMinute}`, onsetS: window.fromMinute * 60, observableS: this.firstDatapoint(window, (m) => this.showsOverload(m)) });
    }
    for (const window of this.faults.fargateErrorRate) {
      spans.push({
        fault: `fargateErrorRate@${window.fromMinute}`,
        onsetS: window.fromMinute * 60,
        observableS: this.firstDatapoint(window,
          (m) => (this.metrics.fargateTarget5xxCount(m) ?? 0) > 0 && fargateErrorRateAt(this.faults, m * 60 + 59) > 0),
      });
    }
    for (const redeploy of this.faults.redeploys) {
      const onset = redeploy.atMinute * 60;
      const event = this.controller!.redeployEvents.find((s) => s >= onset);
      spans.push({ fault: `redeploy@${redeploy.atMinute}`, onsetS: onset, observableS: event === undefined ? null : event + invokeDelay });
    }
    return spans.filter((span) => span.onsetS < this.window.to).sort((a, b) => a.onsetS - b.onsetS);
  }

  /** When the first datapoint of the window that shows the fault reaches CloudWatch. */
  private firstDatapoint(window: { fromMinute: number; toMinute: number }, shows: (minute: number) => boolean): number | null {
    const last = Math.min(Math.ceil(window.toMinute), Math.ceil(this.window.to / 60));
    for (let minute = Math.floor(window.fromMinute); minute < last; minute++) {
      if (shows(minute)) {
        return this.metrics.publishedAt(minute);
      }
    }
    return null;
  }

  private showsOverload(minute: number): boolean {
    const response = this.metrics.fargateResponseTimeMs(minute);
    return (this.metrics.elb5xxCount(minute) ?? 0) > 0 || (response !== undefined && response > this.settings.workload.requestDurationMs.mean * 1.5);
  }
}

/** Requests of each minute of the drawn arrivals. */
function requestsPerMinute(arrivals: Int32Array): number[] {
  const minutes = Math.ceil(arrivals.length / 60);
  const totals = new Array<number>(minutes).fill(0);
  arrivals.forEach((count, i) => {
    totals[Math.floor(i / 60)] += count;
  });
  return totals;
}

function publicationDelay(settings: SimulationSettings, random: Random): number | PublicationDelay {
  const range = settings.faults.metricDelaySeconds;
  if (!range) {
    return settings.aws.cloudwatch.metricPublicationDelaySeconds;
  }
  return () => range.min + random() * (range.max - range.min);
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
