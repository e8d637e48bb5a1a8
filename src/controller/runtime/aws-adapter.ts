/**
 * The controller's only contact with AWS: read an `ObservedState` and carry out `Action`s.
 * No decisions are made here; see `decision.ts`.
 */
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marksFromTags, tagsFromMarks } from './marks';
import { ApplyResult, applyInOrder, ControllerDependencies, ControllerPort, WarningSink } from '../invocation';
import { Action, AlarmState, ControllerConfig, ModeOverride, ObservedState } from '../types';

/** What the construct tells the controller through the function's environment. */
export interface ControllerEnv {
  readonly listenerArn: string;
  /** `app/<name>/<id>`, the value of the CloudWatch `LoadBalancer` dimension. */
  readonly loadBalancerFullName: string;
  readonly lambdaTargetGroupArn: string;
  readonly fargateTargetGroupArn: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly scaleOutAlarmName: string;
  readonly scaleInAlarmName: string;
  readonly fargateErrorAlarmName: string;
  readonly overloadAlarmName: string;
  readonly modeParameterName: string;
  readonly reconcileRuleName: string;
  readonly config: ControllerConfig;
  readonly pollIntervalSeconds: number;
  readonly metricNamespace: string;
}

/** SDK v3 clients, injected so tests can mock them or point them at an emulator. */
export interface ControllerClients {
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  readonly ssm: SSMClient;
  readonly autoScaling: ApplicationAutoScalingClient;
}

/** The parts of the loop's dependencies that come from AWS and the function's environment. */
export type AwsDependencies = Pick<ControllerDependencies, 'port' | 'config' | 'pollIntervalSeconds' | 'metricNamespace' | 'serviceName'>;

export function awsDependencies(env: ControllerEnv, clients: ControllerClients): AwsDependencies {
  return {
    port: awsPort(env, clients),
    config: env.config,
    pollIntervalSeconds: env.pollIntervalSeconds,
    metricNamespace: env.metricNamespace,
    serviceName: env.serviceName,
  };
}

/** The controller's port to AWS: what `runController` reads and writes, through the SDK clients. */
export function awsPort(env: ControllerEnv, clients: ControllerClients): ControllerPort {
  return {
    observe: (nowMs, warn) => observe(env, clients, nowMs, warn),
    apply: (action) => applyOne(action, env, clients),
  };
}

const DEFAULT_POLL_INTERVAL_SECONDS = 5;
const DEFAULT_METRIC_NAMESPACE = 'HybridAlbService';
const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';
const MODE_OVERRIDES: ReadonlyArray<ModeOverride> = ['auto', 'lambda', 'fargate'];
const ALARM_STATES: ReadonlyArray<AlarmState> = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
/**
 * ALB metrics reach CloudWatch a minute or two after the minute they describe, so the last complete
 * minute usually has no datapoint yet. The most recent complete minute within this window is used.
 */
const REQUEST_COUNT_LOOKBACK_MINUTES = 5;

const REQUIRED_STRING_VARIABLES = {
  listenerArn: 'LISTENER_ARN',
  loadBalancerFullName: 'LOAD_BALANCER_FULL_NAME',
  lambdaTargetGroupArn: 'LAMBDA_TARGET_GROUP_ARN',
  fargateTargetGroupArn: 'FARGATE_TARGET_GROUP_ARN',
  clusterName: 'CLUSTER_NAME',
  serviceName: 'SERVICE_NAME',
  scaleOutAlarmName: 'SCALE_OUT_ALARM_NAME',
  scaleInAlarmName: 'SCALE_IN_ALARM_NAME',
  fargateErrorAlarmName: 'FARGATE_ERROR_ALARM_NAME',
  overloadAlarmName: 'OVERLOAD_ALARM_NAME',
  modeParameterName: 'MODE_PARAMETER_NAME',
  reconcileRuleName: 'RECONCILE_RULE_NAME',
} as const;

const CONFIG_NUMBER_FIELDS: ReadonlyArray<keyof ControllerConfig> = [
  'shiftOutPauseSeconds',
  'shiftBackPauseSeconds',
  'minTasks',
  'maxTasks',
  'requestsPerTaskPerMinute',
  'minFargateSeconds',
  'drainSeconds',
  'overflowLambdaWeight',
];
const CONFIG_STEP_FIELDS: ReadonlyArray<keyof ControllerConfig> = ['shiftOutSteps', 'shiftBackSteps'];

/**
 * Reads and checks the environment the construct sets on the controller function.
 * Throws naming the first variable that is missing or malformed.
 */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ControllerEnv {
  const strings = {} as Record<keyof typeof REQUIRED_STRING_VARIABLES, string>;
  for (const [field, variable] of Object.entries(REQUIRED_STRING_VARIABLES) as [keyof typeof REQUIRED_STRING_VARIABLES, string][]) {
    const value = env[variable]?.trim();
    if (!value) {
      throw new Error(`Controller environment variable ${variable} is missing or empty; the HybridAlbService construct sets it.`);
    }
    strings[field] = value;
  }
  return {
    ...strings,
    loadBalancerFullName: loadBalancerDimension(strings.loadBalancerFullName),
    config: parseControllerConfig(env.CONTROLLER_CONFIG),
    pollIntervalSeconds: parsePollInterval(env.POLL_INTERVAL_SECONDS),
    metricNamespace: env.METRIC_NAMESPACE?.trim() || DEFAULT_METRIC_NAMESPACE,
  };
}

/** Accepts `app/<name>/<id>` or a load balancer ARN and returns the `app/<name>/<id>` CloudWatch dimension value. */
function loadBalancerDimension(value: string): string {
  const match = /(?:^|:loadbalancer\/)(app\/[^/]+\/[^/]+)$/.exec(value);
  if (!match) {
    throw new Error(`Controller environment variable LOAD_BALANCER_FULL_NAME "${value}" is not of the form app/<name>/<id>.`);
  }
  return match[1];
}

function parseControllerConfig(raw: string | undefined): ControllerConfig {
  if (!raw?.trim()) {
    throw new Error('Controller environment variable CONTROLLER_CONFIG is missing or empty; the HybridAlbService construct sets it.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new Error(`Controller environment variable CONTROLLER_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('Controller environment variable CONTROLLER_CONFIG must be a JSON object.');
  }
  const config = parsed as Record<string, unknown>;
  for (const field of CONFIG_NUMBER_FIELDS) {
    if (typeof config[field] !== 'number' || !Number.isFinite(config[field])) {
      throw new Error(`CONTROLLER_CONFIG.${field} ${JSON.stringify(config[field])} is not a number.`);
    }
  }
  for (const field of CONFIG_STEP_FIELDS) {
    const steps = config[field];
    if (!Array.isArray(steps) || steps.length === 0 || !steps.every((step) => typeof step === 'number' && Number.isFinite(step))) {
      throw new Error(`CONTROLLER_CONFIG.${field} ${JSON.stringify(steps)} is not a non-empty list of numbers.`);
    }
  }
  return config as unknown as ControllerConfig;
}

function parsePollInterval(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') {
    return DEFAULT_POLL_INTERVAL_SECONDS;
  }
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`Controller environment variable POLL_INTERVAL_SECONDS "${raw}" is not a positive number of seconds.`);
  }
  return seconds;
}

/** Clients for the function's own region and credentials. `AWS_ENDPOINT_URL` (emulators) is honoured by the SDK. */
export function createClients(): ControllerClients {
  return {
    elbv2: new ElasticLoadBalancingV2Client({}),
    ecs: new ECSClient({}),
    cloudwatch: new CloudWatchClient({}),
    eventbridge: new EventBridgeClient({}),
    ssm: new SSMClient({}),
    autoScaling: new ApplicationAutoScalingClient({}),
  };
}

/** Reads everything one decision looks at. The calls are independent and made concurrently. */
export async function observe(
  env: ControllerEnv,
  clients: ControllerClients,
  nowMs: number,
  warn: WarningSink = logWarning,
): Promise<ObservedState> {
  const [weights, service, minCapacity, targets, alarms, requestsPerMinute, override, marks] = await Promise.all([
    observeWeights(env, clients),
    observeService(env, clients),
    observeMinCapacity(env, clients, warn),
    observeTargetHealth(env, clients),
    observeAlarms(env, clients),
    observeRequestsPerMinute(env, clients, nowMs),
    observeOverride(env, clients, warn),
    observeMarks(env, clients),
  ]);
  return {
    nowMs,
    override,
    ...weights,
    ...service,
    minCapacity,
    ...targets,
    ...alarms,
    requestsPerMinute,
    marks,
  };
}

async function observeWeights(env: ControllerEnv, clients: ControllerClients) {
  const response = await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [env.listenerArn] }));
  const forward = response.Listeners?.[0]?.DefaultActions?.find((action) => action.Type === 'forward');
  if (!forward) {
    throw new Error(`Listener ${env.listenerArn} has no forward default action; the controller only steers a forward action.`);
  }
  const weightByArn = new Map<string, number>();
  if (forward.ForwardConfig?.TargetGroups?.length) {
    for (const group of forward.ForwardConfig.TargetGroups) {
      // ALB's own default when a weight is omitted is 1.
      weightByArn.set(group.TargetGroupArn ?? '', group.Weight ?? 1);
    }
  } else if (forward.TargetGroupArn) {
    // A forward to a single group sends it everything.
    weightByArn.set(forward.TargetGroupArn, 100);
  }
  // Weights are reported as ALB holds them (relative, 0-999); decide() reads a hand edit such as 1/1 as its share.
  return {
    lambdaWeight: weightByArn.get(env.lambdaTargetGroupArn) ?? 0,
    fargateWeight: weightByArn.get(env.fargateTargetGroupArn) ?? 0,
  };
}

async function observeService(env: ControllerEnv, clients: ControllerClients) {
  const response = await clients.ecs.send(new DescribeServicesCommand({ cluster: env.clusterName, services: [env.serviceName] }));
  const service = response.services?.[0];
  if (!service) {
    const reason = response.failures?.[0]?.reason ?? 'not returned';
    throw new Error(`ECS service ${env.serviceName} in cluster ${env.clusterName}: ${reason}`);
  }
  return { desiredCount: service.desiredCount ?? 0, runningCount: service.runningCount ?? 0 };
}

async function observeMinCapacity(env: ControllerEnv, clients: ControllerClients, warn: WarningSink): Promise<number> {
  const resourceId = `service/${env.clusterName}/${env.serviceName}`;
  const response = await clients.autoScaling.send(new DescribeScalableTargetsCommand({
    ServiceNamespace: 'ecs',
    ResourceIds: [resourceId],
    ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
  }));
  const target = response.ScalableTargets?.[0];
  if (!target) {
    warn(`No scalable target for ${resourceId}; minCapacity read as 0.`);
    return 0;
  }
  return target.MinCapacity ?? 0;
}

/**
 * `healthy` counts only targets passing health checks. `unhealthy` counts `unhealthy` and `unavailable`
 * (registered but failing or not checkable). `initial` (still being checked), `draining` (leaving) and
 * `unused` are in neither count: they are not evidence for or against the Fargate side.
 */
async function observeTargetHealth(env: ControllerEnv, clients: ControllerClients) {
  const response = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: env.fargateTargetGroupArn }));
  let healthyTargets = 0;
  let unhealthyTargets = 0;
  for (const description of response.TargetHealthDescriptions ?? []) {
    const state = description.TargetHealth?.State;
    if (state === 'healthy') {
      healthyTargets++;
    } else if (state === 'unhealthy' || state === 'unavailable') {
      unhealthyTargets++;
    }
  }
  return { healthyTargets, unhealthyTargets };
}

/** An alarm that does not exist (deleted, renamed) reads as OK so it can never hold traffic on one side. */
async function observeAlarms(env: ControllerEnv, clients: ControllerClients) {
  const names = [env.scaleOutAlarmName, env.scaleInAlarmName, env.fargateErrorAlarmName, env.overloadAlarmName];
  // Metric alarms only (the default): asking for composite alarms needs cloudwatch:DescribeAlarms on '*', and the
  // role is scoped to the construct's four metric alarms.
  const response = await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
  const stateByName = new Map<string, string | undefined>();
  for (const alarm of response.MetricAlarms ?? []) {
    stateByName.set(alarm.AlarmName ?? '', alarm.StateValue);
  }
  const stateOf = (name: string): AlarmState => {
    const state = stateByName.get(name);
    return ALARM_STATES.find((known) => known === state) ?? 'OK';
  };
  return {
    scaleOutAlarm: stateOf(env.scaleOutAlarmName),
    scaleInAlarm: stateOf(env.scaleInAlarmName),
    fargateErrorAlarm: stateOf(env.fargateErrorAlarmName),
    overloadAlarm: stateOf(env.overloadAlarmName),
  };
}

async function observeRequestsPerMinute(env: ControllerEnv, clients: ControllerClients, nowMs: number): Promise<number> {
  const minuteMs = 60_000;
  const endMs = Math.floor(nowMs / minuteMs) * minuteMs;
  const response = await clients.cloudwatch.send(new GetMetricDataCommand({
    StartTime: new Date(endMs - REQUEST_COUNT_LOOKBACK_MINUTES * minuteMs),
    EndTime: new Date(endMs),
    ScanBy: 'TimestampDescending',
    MetricDataQueries: [{
      Id: 'requests',
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCount',
          Dimensions: [{ Name: 'LoadBalancer', Value: env.loadBalancerFullName }],
        },
        Period: 60,
        Stat: 'Sum',
      },
    }],
  }));
  return response.MetricDataResults?.[0]?.Values?.[0] ?? 0;
}

async function observeOverride(env: ControllerEnv, clients: ControllerClients, warn: WarningSink): Promise<ModeOverride> {
  let value: string | undefined;
  try {
    const response = await clients.ssm.send(new GetParameterCommand({ Name: env.modeParameterName }));
    value = response.Parameter?.Value;
  } catch (e) {
    if ((e as Error).name !== 'ParameterNotFound') {
      throw e;
    }
    warn(`Mode parameter ${env.modeParameterName} does not exist; using auto.`);
    return 'auto';
  }
  const normalized = value?.trim().toLowerCase();
  const override = MODE_OVERRIDES.find((mode) => mode === normalized);
  if (!override) {
    warn(`Mode parameter ${env.modeParameterName} value ${JSON.stringify(value)} is not one of ${MODE_OVERRIDES.join(', ')}; using auto.`);
    return 'auto';
  }
  return override;
}

async function observeMarks(env: ControllerEnv, clients: ControllerClients) {
  const response = await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [env.fargateTargetGroupArn] }));
  const description = response.TagDescriptions?.find((d) => d.ResourceArn === env.fargateTargetGroupArn) ?? response.TagDescriptions?.[0];
  return marksFromTags(description?.Tags ?? []);
}

/** Carries out actions in order and stops at the first failure (after the SDK's own retries). */
export async function apply(actions: ReadonlyArray<Action>, env: ControllerEnv, clients: ControllerClients): Promise<ApplyResult> {
  return applyInOrder(actions, awsPort(env, clients));
}

/** One action through the SDK. */
export async function applyOne(action: Action, env: ControllerEnv, clients: ControllerClients): Promise<void> {
  switch (action.kind) {
    case 'setWeights':
      await clients.elbv2.send(new ModifyListenerCommand({
        ListenerArn: env.listenerArn,
        DefaultActions: [{
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: env.lambdaTargetGroupArn, Weight: action.lambda },
              { TargetGroupArn: env.fargateTargetGroupArn, Weight: action.fargate },
            ],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        }],
      }));
      return;
    case 'setDesiredCount':
      await clients.ecs.send(new UpdateServiceCommand({
        cluster: env.clusterName,
        service: env.serviceName,
        desiredCount: action.count,
      }));
      return;
    case 'setMinCapacity':
      // Only MinCapacity is sent: RegisterScalableTarget on an existing target keeps the fields left out.
      await clients.autoScaling.send(new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: `service/${env.clusterName}/${env.serviceName}`,
        ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
        MinCapacity: action.min,
      }));
      return;
    case 'setMarks': {
      const tags = tagsFromMarks(action.marks);
      if (tags.length > 0) {
        await clients.elbv2.send(new AddTagsCommand({ ResourceArns: [env.fargateTargetGroupArn], Tags: tags }));
      }
      return;
    }
    case 'enableReconcile':
      await clients.eventbridge.send(new EnableRuleCommand({ Name: env.reconcileRuleName }));
      return;
    case 'disableReconcile':
      await clients.eventbridge.send(new DisableRuleCommand({ Name: env.reconcileRuleName }));
      return;
  }
}

function logWarning(message: string): void {
  console.warn(JSON.stringify({ level: 'warn', msg: message }));
}
