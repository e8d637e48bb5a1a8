/**
 * The controller's only contact with AWS: read an `ObservedState` and carry out `Action`s.
 * No decisions are made here; see `decision.ts`.
 */
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  MetricDataQuery,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  Action as ListenerAction,
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  TargetGroupTuple,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marksFromTags, tagsFromMarks, taskDefinitionIdentity } from './marks';
import { needsTraffic } from '../decision';
import { applyInOrder, ApplyResult, ControllerDependencies, ControllerPort, TRAFFIC_REUSE_MS, TRAFFIC_WINDOW_MINUTES, WarningSink } from '../invocation';
import { CONTROLLER_DEFAULTS, validateControllerConfig } from '../tunables';
import { Action, AlarmState, ControllerConfig, ModeOverride, ObservedState, SideMetrics, TrafficMetrics } from '../types';

/** What the construct tells the controller through the function's environment. */
export interface ControllerEnv {
  readonly listenerArn: string;
  /** `app/<name>/<id>`, the value of the CloudWatch `LoadBalancer` dimension. */
  readonly loadBalancerFullName: string;
  readonly lambdaTargetGroupArn: string;
  readonly fargateTargetGroupArn: string;
  /** `targetgroup/<name>/<id>`, the value of the CloudWatch `TargetGroup` dimension of the Lambda target group. */
  readonly lambdaTargetGroupFullName: string;
  /** `targetgroup/<name>/<id>`, the value of the CloudWatch `TargetGroup` dimension of the Fargate target group. */
  readonly fargateTargetGroupFullName: string;
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

/**
 * The controller's port to AWS: what `runController` reads and writes, through the SDK clients. The port reuses the
 * metrics it read for TRAFFIC_REUSE_MS, as the simulator's port does: datapoints are per minute and published once.
 */
export function awsPort(env: ControllerEnv, clients: ControllerClients): ControllerPort {
  const readTraffic = reusedFor(TRAFFIC_REUSE_MS, (nowMs) => observeTraffic(env, clients, nowMs));
  return {
    observe: (nowMs, warn) => observeWith(env, clients, nowMs, warn, readTraffic),
    apply: (action) => applyOne(action, env, clients),
  };
}

/** A reader that answers again from its last read for `reuseMs` after it (and afresh if the clock went back). */
function reusedFor<T>(reuseMs: number, read: (nowMs: number) => Promise<T>): (nowMs: number) => Promise<T> {
  let last: { readonly atMs: number; readonly value: T } | undefined;
  return async (nowMs) => {
    if (!last || nowMs < last.atMs || nowMs - last.atMs >= reuseMs) {
      last = { atMs: nowMs, value: await read(nowMs) };
    }
    return last.value;
  };
}

const DEFAULT_POLL_INTERVAL_SECONDS = 5;
const DEFAULT_METRIC_NAMESPACE = 'HybridAlbService';
const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';
const MODE_OVERRIDES: ReadonlyArray<ModeOverride> = ['auto', 'lambda', 'fargate'];
const ALARM_STATES: ReadonlyArray<AlarmState> = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const MINUTE_MS = 60_000;
/** Published minutes kept in `TrafficMetrics.requestsPerMinute`, and those the side sums cover. */
const REQUEST_MINUTES_KEPT = 3;
const SIDE_MINUTES_SUMMED = 2;
/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_TASKS_LIMIT = 100;

const REQUIRED_STRING_VARIABLES = {
  listenerArn: 'LISTENER_ARN',
  loadBalancerFullName: 'LOAD_BALANCER_FULL_NAME',
  lambdaTargetGroupArn: 'LAMBDA_TARGET_GROUP_ARN',
  fargateTargetGroupArn: 'FARGATE_TARGET_GROUP_ARN',
  lambdaTargetGroupFullName: 'LAMBDA_TARGET_GROUP_FULL_NAME',
  fargateTargetGroupFullName: 'FARGATE_TARGET_GROUP_FULL_NAME',
  clusterName: 'CLUSTER_NAME',
  serviceName: 'SERVICE_NAME',
  scaleOutAlarmName: 'SCALE_OUT_ALARM_NAME',
  scaleInAlarmName: 'SCALE_IN_ALARM_NAME',
  fargateErrorAlarmName: 'FARGATE_ERROR_ALARM_NAME',
  overloadAlarmName: 'OVERLOAD_ALARM_NAME',
  modeParameterName: 'MODE_PARAMETER_NAME',
  reconcileRuleName: 'RECONCILE_RULE_NAME',
} as const;

/**
 * Reads and checks the environment the construct sets on the controller function.
 * Throws naming the first variable that is missing or malformed, and every problem of CONTROLLER_CONFIG.
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
    lambdaTargetGroupFullName: targetGroupDimension(strings.lambdaTargetGroupFullName, REQUIRED_STRING_VARIABLES.lambdaTargetGroupFullName),
    fargateTargetGroupFullName: targetGroupDimension(strings.fargateTargetGroupFullName, REQUIRED_STRING_VARIABLES.fargateTargetGroupFullName),
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

/** Accepts `targetgroup/<name>/<id>` or a target group ARN and returns the `targetgroup/<name>/<id>` dimension value. */
function targetGroupDimension(value: string, variable: string): string {
  const match = /(?:^|:)(targetgroup\/[^/]+\/[^/]+)$/.exec(value);
  if (!match) {
    throw new Error(`Controller environment variable ${variable} "${value}" is not of the form targetgroup/<name>/<id>.`);
  }
  return match[1];
}

/**
 * CONTROLLER_CONFIG must carry every ControllerConfig field with the type of its default in tunables.ts; a config
 * whose types are right must then pass validateControllerConfig. The error names the variable and every problem.
 */
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
  const given = parsed as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  const typeProblems: string[] = [];
  for (const [field, defaultValue] of Object.entries(CONTROLLER_DEFAULTS)) {
    const problem = typeProblem(given[field], defaultValue);
    if (problem) {
      typeProblems.push(`CONTROLLER_CONFIG.${field} ${problem}`);
    }
    config[field] = given[field];
  }
  // Range checks assume the types are right, so they run once the types are.
  const problems = typeProblems.length > 0 ? typeProblems : validateControllerConfig(config as unknown as ControllerConfig);
  if (problems.length > 0) {
    throw new Error(`Controller environment variable CONTROLLER_CONFIG is not a usable controller config: ${problems.join('; ')}.`);
  }
  return config as unknown as ControllerConfig;
}

/** Why a config value does not have the type of the field's default, or undefined when it does. */
function typeProblem(value: unknown, defaultValue: unknown): string | undefined {
  if (value === undefined) {
    return 'is missing';
  }
  const shown = JSON.stringify(value);
  if (Array.isArray(defaultValue)) {
    const isNumberList = Array.isArray(value) && value.every((step) => typeof step === 'number' && Number.isFinite(step));
    return isNumberList ? undefined : `${shown} is not a list of numbers`;
  }
  const sameType = typeof value === typeof defaultValue && (typeof value !== 'number' || Number.isFinite(value));
  return sameType ? undefined : `${shown} is not a ${typeof defaultValue}`;
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

/**
 * Reads everything one decision looks at, in two steps: the describe calls, made concurrently; then, only when
 * `needsTraffic` says the decision needs them, the recent metrics in one GetMetricData call. At rest an invocation
 * reads no metrics.
 */
export async function observe(
  env: ControllerEnv,
  clients: ControllerClients,
  nowMs: number,
  warn: WarningSink = logWarning,
): Promise<ObservedState> {
  return observeWith(env, clients, nowMs, warn, (atMs) => observeTraffic(env, clients, atMs));
}

async function observeWith(
  env: ControllerEnv,
  clients: ControllerClients,
  nowMs: number,
  warn: WarningSink,
  readTraffic: (nowMs: number) => Promise<TrafficMetrics>,
): Promise<ObservedState> {
  const basic = await observeResources(env, clients, nowMs, warn);
  if (!needsTraffic(basic)) {
    return basic;
  }
  const traffic = await readTraffic(nowMs);
  return { ...basic, requestsPerMinute: traffic.requestsPerMinute[0] ?? 0, traffic };
}

async function observeResources(env: ControllerEnv, clients: ControllerClients, nowMs: number, warn: WarningSink): Promise<ObservedState> {
  const [weights, service, minCapacity, targets, tasks, alarms, override, marks] = await Promise.all([
    observeWeights(env, clients),
    observeService(env, clients),
    observeMinCapacity(env, clients, warn),
    observeTargetHealth(env, clients),
    observeTaskAddresses(env, clients),
    observeAlarms(env, clients),
    observeOverride(env, clients, warn),
    observeMarks(env, clients),
  ]);
  const health = countTargets(targets, tasks);
  return {
    nowMs,
    override,
    ...weights,
    ...service,
    minCapacity,
    healthyTargets: health.healthyTargets,
    unhealthyTargets: health.unhealthyTargets,
    deadTargets: health.deadTargets,
    ...alarms,
    requestsPerMinute: 0,
    marks,
  };
}

async function describeListener(env: ControllerEnv, clients: ControllerClients) {
  const response = await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [env.listenerArn] }));
  const listener = response.Listeners?.[0];
  if (!listener) {
    throw new Error(`Listener ${env.listenerArn} was not returned by DescribeListeners.`);
  }
  return listener;
}

/** The default action list's forward; the controller only steers a forward. */
function forwardAction(actions: ReadonlyArray<ListenerAction>, listenerArn: string): ListenerAction {
  const forward = actions.find((action) => action.Type === 'forward');
  if (!forward) {
    throw new Error(`Listener ${listenerArn} has no forward default action; the controller only steers a forward action.`);
  }
  return forward;
}

async function observeWeights(env: ControllerEnv, clients: ControllerClients) {
  const listener = await describeListener(env, clients);
  const forward = forwardAction(listener.DefaultActions ?? [], env.listenerArn);
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
  return {
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    ...(service.taskDefinition ? { taskDefinition: taskDefinitionIdentity(service.taskDefinition) } : {}),
  };
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

async function observeTargetHealth(env: ControllerEnv, clients: ControllerClients): Promise<TargetHealthDescription[]> {
  const response = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: env.fargateTargetGroupArn }));
  return response.TargetHealthDescriptions ?? [];
}

/** The private IPv4 addresses (the Ids of their targets in the IP target group) of the service's live tasks. */
interface TaskAddresses {
  /** Of tasks ECS reports RUNNING and means to keep running. */
  readonly running: ReadonlySet<string>;
  /** Of tasks ECS means to run that are not RUNNING yet (PENDING, ACTIVATING): neither alive nor dead. */
  readonly starting: ReadonlySet<string>;
}

/**
 * ListTasks with desiredStatus RUNNING leaves out the tasks ECS is stopping (a crashed task's desired status turns
 * STOPPED at once); DescribeTasks, at most 100 tasks a call, gives their addresses and confirms their status.
 */
async function observeTaskAddresses(env: ControllerEnv, clients: ControllerClients): Promise<TaskAddresses> {
  const taskArns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.ecs.send(new ListTasksCommand({
      cluster: env.clusterName,
      serviceName: env.serviceName,
      desiredStatus: 'RUNNING',
      nextToken,
    }));
    taskArns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  const batches = chunk(taskArns, DESCRIBE_TASKS_LIMIT);
  const described = await Promise.all(batches.map((tasks) =>
    clients.ecs.send(new DescribeTasksCommand({ cluster: env.clusterName, tasks }))));
  const running = new Set<string>();
  const starting = new Set<string>();
  for (const task of described.flatMap((response) => response.tasks ?? [])) {
    if (task.desiredStatus === 'RUNNING') {
      const addresses = task.lastStatus === 'RUNNING' ? running : starting;
      taskAddresses(task).forEach((address) => addresses.add(address));
    }
  }
  return { running, starting };
}

/** The `privateIPv4Address` of the task's elastic network interface (awsvpc network mode, as on Fargate). */
function taskAddresses(task: Task): string[] {
  return (task.attachments ?? [])
    .filter((attachment) => attachment.type === 'ElasticNetworkInterface')
    .flatMap((attachment) => attachment.details ?? [])
    .filter((detail) => detail.name === 'privateIPv4Address' && detail.value)
    .map((detail) => detail.value!);
}

/**
 * `healthy` counts targets passing health checks whose task is running. A task that crashed stays healthy for the
 * load balancer until its checks fail: a healthy target whose address belongs to no live task is `dead`. `unhealthy`
 * counts `unhealthy` and `unavailable` (registered but failing or not checkable). `initial` (still being checked),
 * `draining` (leaving), `unused`, and a healthy target of a task still starting are in no count: they are not evidence
 * for or against the Fargate side.
 */
function countTargets(descriptions: ReadonlyArray<TargetHealthDescription>, tasks: TaskAddresses) {
  let healthyTargets = 0;
  let deadTargets = 0;
  let unhealthyTargets = 0;
  for (const description of descriptions) {
    const state = description.TargetHealth?.State;
    const address = description.Target?.Id ?? '';
    if (state === 'healthy') {
      if (tasks.running.has(address)) {
        healthyTargets++;
      } else if (!tasks.starting.has(address)) {
        deadTargets++;
      }
    } else if (state === 'unhealthy' || state === 'unavailable') {
      unhealthyTargets++;
    }
  }
  return { healthyTargets, unhealthyTargets, deadTargets };
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

/** The GetMetricData query ids, one per metric read; ids must start with a lower-case letter. */
const QUERY = {
  loadBalancerRequests: 'lbRequests',
  fargateRequests: 'fargateRequests',
  fargate5xx: 'fargateTarget5xx',
  fargateConnectionErrors: 'fargateConnectionErrors',
  fargateResponseTime: 'fargateResponseTime',
  lambdaRequests: 'lambdaRequests',
  lambda5xx: 'lambdaTarget5xx',
  lambdaUserErrors: 'lambdaUserErrors',
  lambdaInternalErrors: 'lambdaInternalErrors',
  lambdaResponseTime: 'lambdaResponseTime',
} as const;

/** The queries of one traffic read: the load balancer's requests and each target group's requests, errors and latency. */
function trafficQueries(env: Pick<ControllerEnv, 'loadBalancerFullName' | 'lambdaTargetGroupFullName' | 'fargateTargetGroupFullName'>): MetricDataQuery[] {
  const loadBalancer = [{ Name: 'LoadBalancer', Value: env.loadBalancerFullName }];
  const fargate = [{ Name: 'TargetGroup', Value: env.fargateTargetGroupFullName }, ...loadBalancer];
  const lambda = [{ Name: 'TargetGroup', Value: env.lambdaTargetGroupFullName }, ...loadBalancer];
  const query = (Id: string, MetricName: string, Dimensions: typeof loadBalancer, Stat: 'Sum' | 'Average'): MetricDataQuery => ({
    Id,
    ReturnData: true,
    MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions }, Period: 60, Stat },
  });
  return [
    query(QUERY.loadBalancerRequests, 'RequestCount', loadBalancer, 'Sum'),
    query(QUERY.fargateRequests, 'RequestCount', fargate, 'Sum'),
    query(QUERY.fargate5xx, 'HTTPCode_Target_5XX_Count', fargate, 'Sum'),
    query(QUERY.fargateConnectionErrors, 'TargetConnectionErrorCount', fargate, 'Sum'),
    query(QUERY.fargateResponseTime, 'TargetResponseTime', fargate, 'Average'),
    query(QUERY.lambdaRequests, 'RequestCount', lambda, 'Sum'),
    query(QUERY.lambda5xx, 'HTTPCode_Target_5XX_Count', lambda, 'Sum'),
    query(QUERY.lambdaUserErrors, 'LambdaUserError', lambda, 'Sum'),
    query(QUERY.lambdaInternalErrors, 'LambdaInternalError', lambda, 'Sum'),
    query(QUERY.lambdaResponseTime, 'TargetResponseTime', lambda, 'Average'),
  ];
}

/** One GetMetricData call (more only if CloudWatch pages the answer) over the last whole minutes. */
async function observeTraffic(env: ControllerEnv, clients: ControllerClients, nowMs: number): Promise<TrafficMetrics> {
  const endMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const response = await clients.cloudwatch.send(new GetMetricDataCommand({
      StartTime: new Date(endMs - TRAFFIC_WINDOW_MINUTES * MINUTE_MS),
      EndTime: new Date(endMs),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: trafficQueries(env),
      NextToken: nextToken,
    }));
    results.push(...(response.MetricDataResults ?? []));
    nextToken = response.NextToken;
  } while (nextToken);
  return trafficFromMetricData(results);
}

/**
 * TrafficMetrics from GetMetricData results, whatever their order. The published minutes are those with a load
 * balancer datapoint, newest first; the sides are summed over the newest two of them (the older one begins the
 * window, `windowStartMs`), a metric without a datapoint
 * in such a minute counting 0 (ALB publishes nothing for a minute without requests or errors). A minute with no load
 * balancer datapoint is skipped rather than read as 0: it may be a minute CloudWatch has not published yet.
 */
function trafficFromMetricData(results: ReadonlyArray<MetricDataResult>): TrafficMetrics {
  const series = seriesById(results);
  const valueAt = (id: string, minuteMs: number) => series.get(id)?.get(minuteMs);
  const published = [...(series.get(QUERY.loadBalancerRequests) ?? new Map<number, number>()).entries()]
    .filter(([, requests]) => requests > 0)
    .sort(([a], [b]) => b - a)
    .slice(0, REQUEST_MINUTES_KEPT);
  const summed = published.slice(0, SIDE_MINUTES_SUMMED).map(([minuteMs]) => minuteMs);
  const sum = (...ids: string[]) => summed.reduce((total, minuteMs) =>
    total + ids.reduce((subtotal, id) => subtotal + (valueAt(id, minuteMs) ?? 0), 0), 0);
  const side = (requestsId: string, errorIds: string[], responseTimeId: string): SideMetrics => {
    const responseTimeMs = weightedResponseTimeMs(summed.map((minuteMs) => ({
      requests: valueAt(requestsId, minuteMs) ?? 0,
      averageSeconds: valueAt(responseTimeId, minuteMs),
    })));
    return {
      requests: sum(requestsId),
      errors: sum(...errorIds),
      ...(responseTimeMs === undefined ? {} : { responseTimeMs }),
    };
  };
  return {
    requestsPerMinute: published.map(([, requests]) => requests),
    ...(published.length > 0 ? { latestMinuteStartMs: published[0][0], windowStartMs: summed[summed.length - 1] } : {}),
    fargate: side(QUERY.fargateRequests, [QUERY.fargate5xx, QUERY.fargateConnectionErrors], QUERY.fargateResponseTime),
    lambda: side(QUERY.lambdaRequests, [QUERY.lambda5xx, QUERY.lambdaUserErrors, QUERY.lambdaInternalErrors], QUERY.lambdaResponseTime),
  };
}

/** Each result's datapoints by the start of their minute (epoch ms), results with the same id merged (pages). */
function seriesById(results: ReadonlyArray<MetricDataResult>): Map<string, Map<number, number>> {
  const series = new Map<string, Map<number, number>>();
  for (const result of results) {
    const byMinute = series.get(result.Id ?? '') ?? new Map<number, number>();
    (result.Timestamps ?? []).forEach((timestamp, i) => {
      const value = result.Values?.[i];
      if (value !== undefined && Number.isFinite(value)) {
        byMinute.set(Math.floor(new Date(timestamp).getTime() / MINUTE_MS) * MINUTE_MS, value);
      }
    });
    series.set(result.Id ?? '', byMinute);
  }
  return series;
}

/** The request-weighted average of per-minute TargetResponseTime averages, in milliseconds; undefined without requests. */
function weightedResponseTimeMs(minutes: ReadonlyArray<{ requests: number; averageSeconds?: number }>): number | undefined {
  let requests = 0;
  let weightedSeconds = 0;
  for (const minute of minutes) {
    if (minute.requests > 0 && minute.averageSeconds !== undefined) {
      requests += minute.requests;
      weightedSeconds += minute.requests * minute.averageSeconds;
    }
  }
  return requests > 0 ? (weightedSeconds / requests) * 1000 : undefined;
}

/** Carries out actions in order and stops at the first failure (after the SDK's own retries). */
export async function apply(actions: ReadonlyArray<Action>, env: ControllerEnv, clients: ControllerClients): Promise<ApplyResult> {
  return applyInOrder(actions, awsPort(env, clients));
}

/** One action through the SDK. */
export async function applyOne(action: Action, env: ControllerEnv, clients: ControllerClients): Promise<void> {
  switch (action.kind) {
    case 'setWeights':
      await setWeights(action.lambda, action.fargate, env, clients);
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

/**
 * ModifyListener replaces the whole default action list, so the list is read first and written back with only the
 * forward's weights changed: an authentication step before it, its stickiness and its order are kept.
 */
async function setWeights(lambdaWeight: number, fargateWeight: number, env: ControllerEnv, clients: ControllerClients): Promise<void> {
  const listener = await describeListener(env, clients);
  const weights = new Map([[env.lambdaTargetGroupArn, lambdaWeight], [env.fargateTargetGroupArn, fargateWeight]]);
  await clients.elbv2.send(new ModifyListenerCommand({
    ListenerArn: env.listenerArn,
    DefaultActions: defaultActionsWithWeights(listener.DefaultActions ?? [], weights, env.listenerArn),
  }));
}

/**
 * The default actions as DescribeListeners returned them, made fit to write back, with `weights` (target group ARN to
 * weight) in the forward. Every other action is kept as it was, with its Order.
 */
function defaultActionsWithWeights(
  actions: ReadonlyArray<ListenerAction>,
  weights: ReadonlyMap<string, number>,
  listenerArn: string,
): ListenerAction[] {
  forwardAction(actions, listenerArn);
  return actions.map((action) => {
    switch (action.Type) {
      case 'forward':
        return forwardWithWeights(action, weights);
      case 'authenticate-oidc':
        return oidcKeepingClientSecret(action);
      default:
        return action;
    }
  });
}

/**
 * The forward as a ForwardConfig (a single `TargetGroupArn` becomes a one-group list first) with the given groups'
 * weights set, missing ones added, others and the stickiness config kept. TargetGroupArn is dropped: ModifyListener
 * accepts it next to a ForwardConfig only when that lists that one group.
 */
function forwardWithWeights(forward: ListenerAction, weights: ReadonlyMap<string, number>): ListenerAction {
  const { TargetGroupArn: single, ForwardConfig: config, ...rest } = forward;
  const listed: TargetGroupTuple[] = config?.TargetGroups?.length
    ? config.TargetGroups
    // The single group had all the traffic only because nothing else was listed; the weights written now decide.
    : single ? [{ TargetGroupArn: single, Weight: weights.get(single) ?? 0 }] : [];
  const groups = listed.map((group) => {
    const weight = weights.get(group.TargetGroupArn ?? '');
    return weight === undefined ? group : { ...group, Weight: weight };
  });
  for (const [arn, weight] of weights) {
    if (!groups.some((group) => group.TargetGroupArn === arn)) {
      groups.push({ TargetGroupArn: arn, Weight: weight });
    }
  }
  return { ...rest, ForwardConfig: { ...config, TargetGroups: groups } };
}

/** DescribeListeners never returns the OIDC client secret; ModifyListener keeps the stored one when told to. */
function oidcKeepingClientSecret(action: ListenerAction): ListenerAction {
  if (!action.AuthenticateOidcConfig) {
    return action;
  }
  const { ClientSecret: _omitted, ...config } = action.AuthenticateOidcConfig;
  return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}

function logWarning(message: string): void {
  console.warn(JSON.stringify({ level: 'warn', msg: message }));
}
