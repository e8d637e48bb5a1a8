/**
 * CloudWatch as the controller and ECS autoscaling see it: 1-minute load balancer datapoints that are usable only
 * some time after their minute ends, and alarms evaluated once a minute over the most recent usable datapoints.
 */
import { TRAFFIC_WINDOW_MINUTES } from '../../controller/invocation';
import { AlarmState, TrafficMetrics } from '../../controller/types';

/** What the load balancer and the function reported during one second; the store sums them per minute. */
export interface SecondSample {
  readonly albRequests: number;
  readonly lambdaRequests: number;
  readonly fargateRequests: number;
  /** HTTPCode_Target_5XX_Count of the Fargate target group: injected errors and answers of failing tasks. */
  readonly fargateTarget5xx: number;
  /** TargetConnectionErrorCount of the Fargate target group: requests sent to crashed tasks. */
  readonly fargateConnectionErrors: number;
  /** HTTPCode_ELB_5XX_Count: 503 without a target, 502 for crashed targets, 504 for timed-out requests, throttles. */
  readonly elb5xx: number;
  /** Throttles of the function (AWS/Lambda Throttles). */
  readonly lambdaThrottles: number;
  /** LambdaUserError + LambdaInternalError of the Lambda target group (none are modelled beyond throttles). */
  readonly lambdaErrors: number;
  /** Sum of the response times of the requests each side served, for TargetResponseTime (an average). */
  readonly fargateResponseMsSum: number;
  readonly lambdaResponseMsSum: number;
  /** HealthyHostCount of the Fargate target group during the second. */
  readonly healthyTargets: number;
}

type MinuteCounts = { -readonly [K in keyof SecondSample]: number };

function emptyMinute(): MinuteCounts {
  return {
    albRequests: 0,
    lambdaRequests: 0,
    fargateRequests: 0,
    fargateTarget5xx: 0,
    fargateConnectionErrors: 0,
    elb5xx: 0,
    lambdaThrottles: 0,
    lambdaErrors: 0,
    fargateResponseMsSum: 0,
    lambdaResponseMsSum: 0,
    healthyTargets: 0,
  };
}

/** Publication delay of each minute's datapoints: fixed, or drawn from a range per minute. */
export type PublicationDelay = (minute: number) => number;

/**
 * Datapoints of the metrics the alarms and the controller use, one per minute from `firstMinute`. A minute's datapoints
 * reach CloudWatch together, `delay(minute)` seconds after the minute ends; until then they are missing.
 */
export class MetricStore {
  private readonly minutes: MinuteCounts[];
  private readonly delays: Float64Array;
  private readonly maxDelaySeconds: number;

  constructor(private readonly firstMinute: number, minuteCount: number, delay: number | PublicationDelay) {
    this.minutes = Array.from({ length: minuteCount }, emptyMinute);
    this.delays = Float64Array.from({ length: minuteCount }, (_, i) => typeof delay === 'number' ? delay : delay(firstMinute + i));
    this.maxDelaySeconds = this.delays.reduce((max, value) => Math.max(max, value), 0);
  }

  /** Adds what happened during `second`. */
  record(second: number, sample: SecondSample): void {
    const counts = this.minutes[Math.floor(second / 60) - this.firstMinute];
    for (const key of Object.keys(sample) as (keyof SecondSample)[]) {
      counts[key] += sample[key];
    }
  }

  /** Whether the datapoints of `minute` have reached CloudWatch by `nowSecond`. */
  isPublished(minute: number, nowSecond: number): boolean {
    const index = minute - this.firstMinute;
    return index >= 0 && index < this.delays.length && (minute + 1) * 60 + this.delays[index] <= nowSecond;
  }

  /** When the datapoints of `minute` reach CloudWatch. */
  publishedAt(minute: number): number {
    const index = Math.min(this.delays.length - 1, Math.max(0, minute - this.firstMinute));
    return (minute + 1) * 60 + this.delays[index];
  }

  /** The most recent minute whose datapoints have reached CloudWatch (they may arrive out of order). */
  latestPublishedMinute(nowSecond: number): number {
    const newest = Math.floor(nowSecond / 60) - 1;
    const oldest = newest - Math.ceil(this.maxDelaySeconds / 60) - 1;
    for (let minute = newest; minute >= oldest; minute--) {
      if (this.isPublished(minute, nowSecond)) {
        return minute;
      }
    }
    return oldest - 1;
  }

  /** AWS/ApplicationELB RequestCount of the load balancer, Sum; undefined when nothing was reported (no requests). */
  requestCount(minute: number): number | undefined {
    return positive(this.at(minute)?.albRequests);
  }

  /** RequestCount of the Fargate target group. */
  fargateRequestCount(minute: number): number | undefined {
    return positive(this.at(minute)?.fargateRequests);
  }

  /** RequestCount of the Lambda target group. */
  lambdaRequestCount(minute: number): number | undefined {
    return positive(this.at(minute)?.lambdaRequests);
  }

  /** RequestCountPerTarget of the Fargate target group: its requests over its average healthy targets. */
  fargateRequestCountPerTarget(minute: number): number | undefined {
    const counts = this.at(minute);
    if (!counts || counts.fargateRequests <= 0) {
      return undefined;
    }
    return counts.fargateRequests / Math.max(1, counts.healthyTargets / 60);
  }

  /** HTTPCode_Target_5XX_Count of the Fargate target group; reported only when not zero. */
  fargateTarget5xxCount(minute: number): number | undefined {
    return positive(this.at(minute)?.fargateTarget5xx);
  }

  /** TargetConnectionErrorCount of the Fargate target group; reported only when not zero. */
  fargateConnectionErrorCount(minute: number): number | undefined {
    return positive(this.at(minute)?.fargateConnectionErrors);
  }

  /** HTTPCode_ELB_5XX_Count of the load balancer; reported only when not zero. */
  elb5xxCount(minute: number): number | undefined {
    return positive(this.at(minute)?.elb5xx);
  }

  /** LambdaUserError + LambdaInternalError of the Lambda target group; reported only when not zero. */
  lambdaErrorCount(minute: number): number | undefined {
    return positive(this.at(minute)?.lambdaErrors);
  }

  /** TargetResponseTime of the Fargate target group, Average, in ms. */
  fargateResponseTimeMs(minute: number): number | undefined {
    const counts = this.at(minute);
    return counts && counts.fargateRequests > 0 ? counts.fargateResponseMsSum / counts.fargateRequests : undefined;
  }

  /** HealthyHostCount of the Fargate target group, Average. */
  healthyHostCount(minute: number): number | undefined {
    const counts = this.at(minute);
    return counts ? counts.healthyTargets / 60 : undefined;
  }

  /**
   * What the controller's adapter reads with GetMetricData: the load balancer's requests of the newest published
   * minutes (at most 3, newest first) and each side's sums over the two newest of them.
   */
  traffic(nowSecond: number): TrafficMetrics {
    const endMinute = Math.floor(nowSecond / 60);
    const published: number[] = [];
    for (let minute = endMinute - 1; minute >= endMinute - TRAFFIC_WINDOW_MINUTES && published.length < 3; minute--) {
      if (this.isPublished(minute, nowSecond) && (this.requestCount(minute) ?? 0) > 0) {
        published.push(minute);
      }
    }
    const window = published.slice(0, 2).map((minute) => this.at(minute)!);
    const sum = (pick: (counts: MinuteCounts) => number) => window.reduce((total, counts) => total + pick(counts), 0);
    const fargateRequests = sum((c) => c.fargateRequests);
    const lambdaRequests = sum((c) => c.lambdaRequests);
    return {
      requestsPerMinute: published.map((minute) => this.requestCount(minute)!),
      latestMinuteStartMs: published.length > 0 ? published[0] * 60_000 : undefined,
      windowStartMs: published.length > 0 ? published[Math.min(1, published.length - 1)] * 60_000 : undefined,
      fargate: {
        requests: fargateRequests,
        errors: sum((c) => c.fargateTarget5xx + c.fargateConnectionErrors),
        responseTimeMs: fargateRequests > 0 ? sum((c) => c.fargateResponseMsSum) / fargateRequests : undefined,
      },
      lambda: {
        requests: lambdaRequests,
        errors: sum((c) => c.lambdaErrors),
        responseTimeMs: lambdaRequests > 0 ? sum((c) => c.lambdaResponseMsSum) / lambdaRequests : undefined,
      },
    };
  }

  /**
   * What the controller's adapter reads: GetMetricData over the 5 whole minutes before now, most recent datapoint
   * first, 0 when there is none (see observeRequestsPerMinute in src/controller/runtime/aws-adapter.ts).
   */
  recentRequestsPerMinute(nowSecond: number): number {
    const endMinute = Math.floor(nowSecond / 60);
    for (let minute = endMinute - 1; minute >= endMinute - 5; minute--) {
      const value = this.isPublished(minute, nowSecond) ? this.requestCount(minute) : undefined;
      if (value !== undefined) {
        return value;
      }
    }
    return 0;
  }

  private at(minute: number): MinuteCounts | undefined {
    return this.minutes[minute - this.firstMinute];
  }
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

export type Comparison = '>' | '>=' | '<';

/** How a minute without a datapoint counts, as CloudWatch's TreatMissingData. */
export type MissingData = 'breaching' | 'notBreaching' | 'missing';

export interface AlarmSpec {
  readonly name: string;
  readonly metric: (minute: number) => number | undefined;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly missingData: MissingData;
}

/** A metric alarm. `evaluate` is called once a minute; it returns true when the state changed (an EventBridge event). */
export class MetricAlarm {
  state: AlarmState = 'INSUFFICIENT_DATA';
  /** Minute of the most recent datapoint of the last evaluation, for actions that size themselves on it. */
  latestMinute: number | undefined;

  constructor(readonly spec: AlarmSpec, private readonly store: MetricStore) {}

  evaluate(nowSecond: number): boolean {
    const latest = this.store.latestPublishedMinute(nowSecond);
    let breaching = 0;
    let present = 0;
    this.latestMinute = undefined;
    for (let minute = latest - this.spec.evaluationPeriods + 1; minute <= latest; minute++) {
      // With a spread of publication delays an older minute can still be on its way: it is missing until it arrives.
      const value = this.store.isPublished(minute, nowSecond) ? this.spec.metric(minute) : undefined;
      if (value === undefined) {
        breaching += this.spec.missingData === 'breaching' ? 1 : 0;
        present += this.spec.missingData === 'missing' ? 0 : 1;
        continue;
      }
      this.latestMinute = minute;
      present++;
      breaching += breaches(value, this.spec.comparison, this.spec.threshold) ? 1 : 0;
    }
    const next: AlarmState = present === 0 ? 'INSUFFICIENT_DATA' : breaching >= this.spec.datapointsToAlarm ? 'ALARM' : 'OK';
    const changed = next !== this.state;
    this.state = next;
    return changed;
  }
}

function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
  }
}
