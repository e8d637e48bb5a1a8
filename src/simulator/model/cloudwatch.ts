/**
 * CloudWatch as the controller and ECS autoscaling see it: 1-minute load balancer datapoints that are usable only
 * some time after their minute ends, and alarms evaluated once a minute over the most recent usable datapoints.
 */
import { AlarmState } from '../../controller/types';

/** What the load balancer counted during one minute. */
interface MinuteCounts {
  albRequests: number;
  fargateRequests: number;
  fargateTarget5xx: number;
  /** Sum over the minute's seconds of healthy Fargate targets, for the per-target average. */
  healthyTargetSeconds: number;
}

/** Datapoints of the metrics the alarms use, one per minute from `firstMinute`. */
export class MetricStore {
  private readonly minutes: MinuteCounts[];

  constructor(private readonly firstMinute: number, minuteCount: number, private readonly publicationDelaySeconds: number) {
    this.minutes = Array.from({ length: minuteCount }, () => ({ albRequests: 0, fargateRequests: 0, fargateTarget5xx: 0, healthyTargetSeconds: 0 }));
  }

  /** Adds what happened during `second`. */
  record(second: number, albRequests: number, fargateRequests: number, fargateTarget5xx: number, healthyTargets: number): void {
    const counts = this.minutes[Math.floor(second / 60) - this.firstMinute];
    counts.albRequests += albRequests;
    counts.fargateRequests += fargateRequests;
    counts.fargateTarget5xx += fargateTarget5xx;
    counts.healthyTargetSeconds += healthyTargets;
  }

  /** Whether the datapoint of `minute` has reached CloudWatch by `nowSecond`. */
  isPublished(minute: number, nowSecond: number): boolean {
    return (minute + 1) * 60 + this.publicationDelaySeconds <= nowSecond;
  }

  /** The most recent minute whose datapoint has reached CloudWatch. */
  latestPublishedMinute(nowSecond: number): number {
    return Math.floor((nowSecond - this.publicationDelaySeconds) / 60) - 1;
  }

  /** AWS/ApplicationELB RequestCount, Sum; undefined when nothing was reported (no requests). */
  requestCount(minute: number): number | undefined {
    const counts = this.at(minute);
    return counts && counts.albRequests > 0 ? counts.albRequests : undefined;
  }

  /** RequestCount of the Fargate target group. */
  fargateRequestCount(minute: number): number | undefined {
    const counts = this.at(minute);
    return counts && counts.fargateRequests > 0 ? counts.fargateRequests : undefined;
  }

  /** RequestCountPerTarget of the Fargate target group: its requests over its average healthy targets. */
  fargateRequestCountPerTarget(minute: number): number | undefined {
    const counts = this.at(minute);
    if (!counts || counts.fargateRequests <= 0) {
      return undefined;
    }
    return counts.fargateRequests / Math.max(1, counts.healthyTargetSeconds / 60);
  }

  /** HTTPCode_Target_5XX_Count of the Fargate target group; reported only when not zero. */
  fargateTarget5xxCount(minute: number): number | undefined {
    const counts = this.at(minute);
    return counts && counts.fargateTarget5xx > 0 ? counts.fargateTarget5xx : undefined;
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
      const value = this.spec.metric(minute);
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
