/**
 * The controller function: observe, decide, apply, log; repeat while the controller is not at rest
 * and the invocation has time left. Invoked by the alarms' EventBridge rules, the reconcile schedule
 * and changes to the mode parameter.
 */
import { apply, ApplyResult, ControllerClients, ControllerEnv, createClients, observe, readEnv } from './aws-adapter';
import { decide, keepsPolling } from '../decision';
import { Action, ControllerConfig, Decision, ObservedState } from '../types';

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

/** Everything the loop touches outside itself, so tests can run it against mocks, an emulator or a fake clock. */
export interface ControllerDependencies {
  readonly env: ControllerEnv;
  readonly clients: ControllerClients;
  readonly decide: (observed: ObservedState, config: ControllerConfig) => Decision;
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

/** Time kept in reserve after the last sleep so the following observe/apply finishes inside the timeout. */
const SAFETY_MARGIN_MS = 10_000;

/** Created on the first invocation and reused by the container's later invocations. */
let containerDependencies: ControllerDependencies | undefined;

export const handler = async (event: ControllerEvent, context: ControllerContext): Promise<ControllerSummary> => {
  containerDependencies ??= {
    env: readEnv(),
    clients: createClients(),
    decide,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => console.log(line),
  };
  return runController(event, context, containerDependencies);
};

export async function runController(
  event: ControllerEvent,
  context: ControllerContext,
  deps: ControllerDependencies,
): Promise<ControllerSummary> {
  const pollMs = deps.env.pollIntervalSeconds * 1000;
  const trigger = describeTrigger(event);
  // A stack update writes the template's weights and desired count some seconds after CloudFormation reports that it
  // started on the resource: watch for the whole invocation so the repair follows within one poll interval.
  const watchingRedeploy = event?.source === 'aws.cloudformation';
  let decisions = 0;
  for (;;) {
    const warnings: string[] = [];
    const observed = await observe(deps.env, deps.clients, deps.now(), (message) => warnings.push(message));
    const decision = deps.decide(observed, deps.env.config);
    const result = await apply(decision.actions, deps.env, deps.clients);
    decisions++;
    deps.log(JSON.stringify(decisionLogLine({ trigger, iteration: decisions, observed, decision, result, warnings, env: deps.env })));

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
    await deps.sleep(pollMs);
  }
}

function describeTrigger(event: ControllerEvent | undefined): string {
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
  readonly env: ControllerEnv;
}

/**
 * One JSON object per decision: what was seen, what was decided and why, and what took effect.
 * The same object is a CloudWatch Embedded Metric Format document, so the weights and counts become
 * metrics from the log line alone, with no PutMetricData call and no extra permission.
 */
function decisionLogLine(input: DecisionLogInput): Record<string, unknown> {
  const { observed, decision, result, env } = input;
  const after = stateAfter(observed, result.applied);
  return {
    level: result.failed ? 'error' : warningsLevel(input.warnings),
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
      alarms: {
        scaleOut: observed.scaleOutAlarm,
        scaleIn: observed.scaleInAlarm,
        fargateError: observed.fargateErrorAlarm,
        overload: observed.overloadAlarm,
      },
      requestsPerMinute: observed.requestsPerMinute,
      marks: observed.marks,
    },
    intent: decision.intent,
    actions: decision.actions,
    applied: result.applied.length,
    ...(result.failed ? { failed: result.failed } : {}),
    reason: decision.reason,
    needsReconcile: decision.needsReconcile,
    ...(input.warnings.length > 0 ? { warnings: input.warnings } : {}),
    _aws: {
      Timestamp: observed.nowMs,
      CloudWatchMetrics: [{
        Namespace: env.metricNamespace,
        Dimensions: [['Service']],
        Metrics: [
          { Name: 'FargateWeight', Unit: 'Percent' },
          { Name: 'LambdaWeight', Unit: 'Percent' },
          { Name: 'DesiredCount', Unit: 'Count' },
          { Name: 'HealthyTargets', Unit: 'Count' },
        ],
      }],
    },
    Service: env.serviceName,
    Mode: observed.override,
    FargateWeight: after.fargateWeight,
    LambdaWeight: after.lambdaWeight,
    DesiredCount: after.desiredCount,
    HealthyTargets: observed.healthyTargets,
  };
}

function warningsLevel(warnings: string[]): string {
  return warnings.length > 0 ? 'warn' : 'info';
}

/** Weights and desired count once the applied actions took effect: what the metrics should show from now on. */
function stateAfter(observed: ObservedState, applied: ReadonlyArray<Action>) {
  let { lambdaWeight, fargateWeight, desiredCount } = observed;
  for (const action of applied) {
    if (action.kind === 'setWeights') {
      lambdaWeight = action.lambda;
      fargateWeight = action.fargate;
    } else if (action.kind === 'setDesiredCount') {
      desiredCount = action.count;
    }
  }
  return { lambdaWeight, fargateWeight, desiredCount };
}
