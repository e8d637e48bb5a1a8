/**
 * One invocation of the controller function: observe, decide, apply, log; repeat after the poll interval while the
 * controller is not at rest and the invocation has time left. No AWS SDK here: everything the loop reads or writes
 * goes through a `ControllerPort`, which the Lambda handler implements with the SDK (runtime/aws-adapter.ts) and the
 * simulator implements against its model of AWS, so both run this same code, error paths included.
 */
import { applyActions, ControlledState } from './apply-action';
import { decide as defaultDecide, estimateDemand, keepsPolling } from './decision';
import { Action, ControllerConfig, Decision, ObservedState } from './types';

/** The parts of an EventBridge event the controller reads; a direct invocation may send anything. */
export interface ControllerEvent {
  readonly 'source'?: string;
  readonly 'detail-type'?: string;
  readonly 'detail'?: { readonly alarmName?: string };
}

/** The part of the Lambda context the loop needs. */
export interface ControllerContext {
  getRemainingTimeInMillis(): number;
}

/** Receives oddities found while observing (bad override value, missing scalable target) for the decision log. */
export type WarningSink = (message: string) => void;

/** The controller's only contact with the system it steers. Either call may reject (after the SDK's own retries). */
export interface ControllerPort {
  observe(nowMs: number, warn: WarningSink): Promise<ObservedState>;
  apply(action: Action): Promise<void>;
}

/** Everything the loop touches outside itself, so the handler, the simulator and tests can each provide their own. */
export interface ControllerDependencies {
  readonly port: ControllerPort;
  readonly config: ControllerConfig;
  readonly pollIntervalSeconds: number;
  /** Namespace and `Service` dimension of the metrics in the decision log line. */
  readonly metricNamespace: string;
  readonly serviceName: string;
  readonly decide?: (observed: ObservedState, config: ControllerConfig) => Decision;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Receives one JSON line per decision. */
  readonly log: (line: string) => void;
}

/** What an invocation returns: how many decisions it made and where the last one left things. */
export interface ControllerSummary {
  readonly decisions: number;
  readonly phase: Decision['phase'];
  readonly intent: Decision['intent'];
  readonly needsReconcile: boolean;
  readonly reason: string;
}

/** Outcome of `applyInOrder`: the prefix of actions that took effect and, if one failed, which and why. */
export interface ApplyResult {
  readonly applied: Action[];
  readonly failed?: { readonly action: Action; readonly error: string };
}

/**
 * How long a port may reuse the metrics it read: datapoints are per minute and published once, so an invocation that
 * polls every few seconds reads them again only when a new one can have arrived.
 */
export const TRAFFIC_REUSE_MS = 20_000;

/**
 * Whole minutes before now that a metrics read covers. Datapoints arrive one to four minutes late, so a shorter window
 * can hold a single published minute, which says nothing about the trend. GetMetricData bills per metric, not per
 * datapoint: the longer window costs nothing.
 */
export const TRAFFIC_WINDOW_MINUTES = 8;

/** Time kept in reserve after the last sleep so the following observe/apply finishes inside the timeout. */
export const SAFETY_MARGIN_MS = 10_000;

export async function runController(
  event: ControllerEvent,
  context: ControllerContext,
  deps: ControllerDependencies,
): Promise<ControllerSummary> {
  const decide = deps.decide ?? defaultDecide;
  const pollMs = deps.pollIntervalSeconds * 1000;
  const trigger = describeTrigger(event);
  // A stack update writes the template's weights and desired count some seconds after CloudFormation reports that it
  // started on the resource: watch for the whole invocation so the repair follows within one poll interval.
  const watchingRedeploy = event?.source === 'aws.cloudformation';
  let decisions = 0;
  let confirmingRest = false;
  for (;;) {
    const warnings: string[] = [];
    const startedMs = deps.now();
    const observed = await observeOrEnable(deps.port, startedMs, warnings);
    const decision = decide(observed, deps.config);
    const result = await applyInOrder(decision.actions, deps.port);
    decisions++;
    deps.log(JSON.stringify(decisionLogLine({ trigger, iteration: decisions, observed, decision, result, warnings, deps })));
    if (result.failed) {
      // Ending in error makes Lambda retry the event (twice, a minute and two minutes later); the schedule, enabled
      // first by every decision away from rest, keeps trying meanwhile.
      throw new ControllerActionError(decision, result.failed);
    }
    // A concurrent invocation may have moved the system off rest while this one decided to disable the schedule
    // (possible without serializeController): look once more, at once, so a stale disable is undone now.
    const disabled = result.applied.some((action) => action.kind === 'disableReconcile');
    if (disabled && !confirmingRest) {
      confirmingRest = true;
      continue;
    }
    confirmingRest = false;
    const hasTimeForAnother = context.getRemainingTimeInMillis() > pollMs + SAFETY_MARGIN_MS;
    if (!(keepsPolling(decision) || watchingRedeploy) || !hasTimeForAnother) {
      return {
        decisions,
        phase: decision.phase,
        intent: decision.intent,
        needsReconcile: decision.needsReconcile,
        reason: decision.reason,
      };
    }
    // Decisions start pollInterval apart, however long the calls took.
    await deps.sleep(Math.max(0, pollMs - (deps.now() - startedMs)));
  }
}

/** A decision's action failed; the invocation ends in this error so that Lambda retries it. */
export class ControllerActionError extends Error {
  constructor(readonly decision: Decision, readonly failed: NonNullable<ApplyResult['failed']>) {
    super(`Action ${failed.action.kind} failed (${failed.error}); the decision was: ${decision.reason}`);
    this.name = 'ControllerActionError';
  }
}

/**
 * Observes; when that fails, enables the schedule before the error ends the invocation (best effort), so a failing
 * read is retried every minute and not only by Lambda's two retries or the heartbeat.
 */
async function observeOrEnable(port: ControllerPort, nowMs: number, warnings: string[]): Promise<ObservedState> {
  try {
    return await port.observe(nowMs, (message) => warnings.push(message));
  } catch (e) {
    await port.apply({ kind: 'enableReconcile' }).catch(() => undefined);
    throw e;
  }
}

/**
 * Carries out actions in order and stops at the first failure. There is no retry loop here: the next decision
 * observes what did take effect and converges from there.
 */
export async function applyInOrder(actions: ReadonlyArray<Action>, port: ControllerPort): Promise<ApplyResult> {
  const applied: Action[] = [];
  for (const action of actions) {
    try {
      await port.apply(action);
    } catch (e) {
      const error = e as Error;
      return { applied, failed: { action, error: `${error.name}: ${error.message}` } };
    }
    applied.push(action);
  }
  return { applied };
}

export function describeTrigger(event: ControllerEvent | undefined): string {
  if (!event?.source) {
    return 'direct';
  }
  const alarm = event.detail?.alarmName ? ` (${event.detail.alarmName})` : '';
  return `${event.source}/${event['detail-type'] ?? 'unknown'}${alarm}`;
}

interface DecisionLogInput {
  readonly trigger: string;
  readonly iteration: number;
  readonly observed: ObservedState;
  readonly decision: Decision;
  readonly result: ApplyResult;
  readonly warnings: string[];
  readonly deps: ControllerDependencies;
}

/**
 * One JSON object per decision: what was seen, what was decided and why, and what took effect. Away from rest the
 * same object is a CloudWatch Embedded Metric Format document, so the weights and counts become metrics from the log
 * line alone, with no PutMetricData call and no extra permission.
 */
function decisionLogLine(input: DecisionLogInput): Record<string, unknown> {
  const { observed, decision, result } = input;
  const after = applyActions({ ...observed, reconcileEnabled: false }, result.applied);
  return {
    level: result.failed ? 'error' : input.warnings.length > 0 ? 'warn' : 'info',
    msg: 'decision',
    trigger: input.trigger,
    iteration: input.iteration,
    observed: {
      phase: decision.phase,
      override: observed.override,
      lambdaWeight: observed.lambdaWeight,
      fargateWeight: observed.fargateWeight,
      desiredCount: observed.desiredCount,
      runningCount: observed.runningCount,
      minCapacity: observed.minCapacity,
      healthyTargets: observed.healthyTargets,
      unhealthyTargets: observed.unhealthyTargets,
      ...(observed.deadTargets !== undefined ? { deadTargets: observed.deadTargets } : {}),
      alarms: {
        scaleOut: observed.scaleOutAlarm,
        scaleIn: observed.scaleInAlarm,
        fargateError: observed.fargateErrorAlarm,
        overload: observed.overloadAlarm,
      },
      requestsPerMinute: observed.requestsPerMinute,
      ...(observed.traffic ? { traffic: observed.traffic, estimatedDemand: Math.round(estimateDemand(observed.traffic, observed.nowMs)) } : {}),
      ...(observed.taskDefinition ? { taskDefinition: observed.taskDefinition } : {}),
      marks: observed.marks,
    },
    intent: decision.intent,
    actions: decision.actions,
    applied: result.applied.length,
    ...(result.failed ? { failed: result.failed } : {}),
    reason: decision.reason,
    needsReconcile: decision.needsReconcile,
    ...(input.warnings.length > 0 ? { warnings: input.warnings } : {}),
    // At rest the line carries no metrics: a custom metric bills for every hour it receives data.
    ...(decision.needsReconcile || result.applied.some(changesState) ? metricFields(input, after) : {}),
  };
}

/** Whether an action changes the listener or the service (not the marks, not the schedule's switch). */
function changesState(action: Action): boolean {
  return action.kind === 'setWeights' || action.kind === 'setDesiredCount' || action.kind === 'setMinCapacity';
}

/** The Embedded Metric Format part of a decision line: weights, counts and healthy targets as CloudWatch metrics. */
function metricFields(input: DecisionLogInput, after: ControlledState): Record<string, unknown> {
  const { observed, deps } = input;
  return {
    _aws: {
      Timestamp: observed.nowMs,
      CloudWatchMetrics: [{
        Namespace: deps.metricNamespace,
        Dimensions: [['Service']],
        Metrics: [
          // LambdaWeight is 100 - FargateWeight: left out of the metrics (each bills), kept on the line.
          { Name: 'FargateWeight', Unit: 'Percent' },
          { Name: 'DesiredCount', Unit: 'Count' },
          { Name: 'HealthyTargets', Unit: 'Count' },
          { Name: 'RunningCount', Unit: 'Count' },
        ],
      }],
    },
    Service: deps.serviceName,
    Mode: observed.override,
    FargateWeight: after.fargateWeight,
    LambdaWeight: after.lambdaWeight,
    DesiredCount: after.desiredCount,
    HealthyTargets: observed.healthyTargets,
    RunningCount: observed.runningCount,
  };
}
