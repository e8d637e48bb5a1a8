/**
 * What a synthesized stack costs in a month in which it serves no request at all: the resources
 * that bill by the hour or by the month just for existing. Traffic-driven charges (LCUs, requests,
 * GB processed, on-demand Lambda duration) are zero at idle and are left out.
 *
 * Pure arithmetic over CloudFormation JSON: no AWS SDK, no CDK constructs.
 */
import pricesJson from './prices.json';

/** AWS list prices in USD, as held in `prices.json` (the `_sources` list there names where each came from). */
export interface Prices {
  readonly region: string;
  readonly alb: { readonly hourUsd: number; readonly lcuHourUsd: number };
  readonly publicIpv4: { readonly hourUsd: number };
  readonly natGateway: { readonly hourUsd: number; readonly gbProcessedUsd: number };
  readonly interfaceEndpoint: { readonly azHourUsd: number; readonly gbProcessedUsd: number };
  readonly fargate: { readonly x86: FargateRates; readonly arm64: FargateRates };
  readonly lambda: {
    readonly requestsPerMillionUsd: number;
    readonly x86: LambdaRates;
    readonly arm64: LambdaRates;
  };
  readonly cloudwatch: {
    readonly standardAlarmMetricMonthUsd: number;
    readonly highResolutionAlarmMetricMonthUsd: number;
    readonly compositeAlarmMonthUsd: number;
    /** Per GB (2^30 bytes) written to a Standard class log group. */
    readonly logsStandardIngestionGbUsd: number;
    /** Per 1,000 metrics requested with GetMetricData. */
    readonly getMetricDataPer1000MetricsUsd: number;
    /** Per custom metric for a month of receiving data (prorated by the hour). */
    readonly customMetricMonthUsd: number;
  };
}

export interface FargateRates {
  readonly vcpuHourUsd: number;
  readonly gbHourUsd: number;
}

export interface LambdaRates {
  readonly gbSecondUsd: number;
  readonly provisionedGbSecondUsd: number;
  readonly provisionedDurationGbSecondUsd: number;
}

export const DEFAULT_PRICES: Prices = pricesJson;

/** AWS's own convention for a month in its pricing examples. */
export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** What an item of the report is for. */
export const IdleCostKind = {
  LOAD_BALANCER: 'load-balancer',
  LOAD_BALANCER_PUBLIC_IPV4: 'load-balancer-public-ipv4',
  NAT_GATEWAY: 'nat-gateway',
  NAT_GATEWAY_PUBLIC_IPV4: 'nat-gateway-public-ipv4',
  ELASTIC_IP: 'elastic-ip',
  INTERFACE_ENDPOINT: 'interface-endpoint',
  FARGATE_TASKS: 'fargate-tasks',
  FARGATE_TASK_PUBLIC_IPV4: 'fargate-task-public-ipv4',
  LAMBDA_PROVISIONED_CONCURRENCY: 'lambda-provisioned-concurrency',
  ALARM_METRICS: 'cloudwatch-alarm-metrics',
  HIGH_RESOLUTION_ALARM_METRICS: 'cloudwatch-high-resolution-alarm-metrics',
  COMPOSITE_ALARMS: 'cloudwatch-composite-alarms',
  TARGET_TRACKING_ALARMS: 'target-tracking-alarms',
  /** An always-enabled schedule invoking a function of the template (the controller's heartbeat). */
  SCHEDULED_INVOCATIONS: 'scheduled-lambda-invocations',
  /** Bills while idle, but this model has no price for it: shown so that it is not silently missed. */
  UNPRICED: 'unpriced',
} as const;

export interface IdleCostItem {
  readonly kind: string;
  /** The resource billed; absent on items that add up many resources (alarms). */
  readonly logicalId?: string;
  readonly quantity: number;
  readonly unitMonthlyUsd: number;
  readonly monthlyUsd: number;
  readonly note: string;
}

export interface IdleCostReport {
  readonly monthlyUsd: number;
  readonly items: IdleCostItem[];
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: { readonly [key: string]: any };
  readonly Condition?: string;
}

type Resources = { readonly [logicalId: string]: CfnResource };

/** Types that bill by the hour or the month while idle and that this model does not price. */
const UNPRICED_IDLE_TYPES: ReadonlySet<string> = new Set([
  'AWS::EC2::Instance',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::OpenSearchService::Domain',
  'AWS::EKS::Cluster',
  'AWS::EC2::TransitGatewayAttachment',
  'AWS::EC2::VPNConnection',
  'AWS::EC2::ClientVpnEndpoint',
  'AWS::GlobalAccelerator::Accelerator',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::CloudWatch::Dashboard',
  'AWS::Route53::HostedZone',
  'AWS::WAFv2::WebACL',
]);

/**
 * Estimate the monthly cost of a synthesized CloudFormation template at zero traffic (us-east-1 list prices).
 */
export function estimateIdleCost(template: object, prices: Prices = DEFAULT_PRICES): IdleCostReport {
  const resources: Resources = (template as { Resources?: Resources }).Resources ?? {};
  const natEips = eipsUsedByNatGateways(resources);
  const items: IdleCostItem[] = [];

  for (const [logicalId, resource] of Object.entries(resources)) {
    items.push(...itemsFor(logicalId, resource, resources, natEips, prices));
  }
  items.push(...alarmItems(resources, prices));

  const billed = items.filter(i => i.quantity > 0);
  return { monthlyUsd: sum(billed.map(i => i.monthlyUsd)), items: billed };
}

function itemsFor(logicalId: string, resource: CfnResource, resources: Resources, natEips: Set<string>, prices: Prices): IdleCostItem[] {
  const props = resource.Properties ?? {};
  const items = ((): IdleCostItem[] => {
    switch (resource.Type) {
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': return loadBalancerItems(logicalId, props, prices);
      case 'AWS::EC2::NatGateway': return natGatewayItems(logicalId, props, prices);
      case 'AWS::EC2::EIP': return elasticIpItems(logicalId, natEips, prices);
      case 'AWS::EC2::VPCEndpoint': return vpcEndpointItems(logicalId, props, prices);
      case 'AWS::ECS::Service': return ecsServiceItems(logicalId, props, resources, prices);
      case 'AWS::Lambda::Alias':
      case 'AWS::Lambda::Version': return provisionedConcurrencyItems(logicalId, resource, resources, prices);
      case 'AWS::AutoScaling::AutoScalingGroup': return autoScalingGroupItems(logicalId, props);
      case 'AWS::Events::Rule': return scheduledInvocationItems(logicalId, props, resources, prices);
      default: return UNPRICED_IDLE_TYPES.has(resource.Type) ? [unpriced(logicalId, resource.Type)] : [];
    }
  })();
  return resource.Condition ? items.map(i => ({ ...i, note: `${i.note}; only if condition ${resource.Condition} holds` })) : items;
}

function loadBalancerItems(logicalId: string, props: any, prices: Prices): IdleCostItem[] {
  const type = props.Type ?? 'application';
  if (type !== 'application') {
    return [unpriced(logicalId, `AWS::ElasticLoadBalancingV2::LoadBalancer (${type})`)];
  }
  const items = [item(IdleCostKind.LOAD_BALANCER, logicalId, 1, prices.alb.hourUsd * HOURS_PER_MONTH,
    'Application Load Balancer hours; LCU charge is 0 at zero traffic')];

  const internetFacing = (props.Scheme ?? 'internet-facing') === 'internet-facing';
  const publicIpv4 = props.IpAddressType !== 'dualstack-without-public-ipv4';
  if (internetFacing && publicIpv4) {
    const counted = listLength(props.SubnetMappings) ?? listLength(props.Subnets);
    // An ALB needs subnets in at least two Availability Zones, so two is the floor when the list is a token.
    const azs = counted ?? 2;
    items.push(item(IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4, logicalId, azs, prices.publicIpv4.hourUsd * HOURS_PER_MONTH,
      counted === undefined
        ? 'internet-facing: one public IPv4 per Availability Zone; subnets are a token, assumed the minimum of 2'
        : 'internet-facing: one public IPv4 per Availability Zone (subnet)'));
  }
  return items;
}

function natGatewayItems(logicalId: string, props: any, prices: Prices): IdleCostItem[] {
  const connectivity = props.ConnectivityType ?? 'public';
  return [item(IdleCostKind.NAT_GATEWAY, logicalId, 1, prices.natGateway.hourUsd * HOURS_PER_MONTH,
    `${connectivity} NAT gateway hours; data processing is 0 at zero traffic`)];
}

/** EIPs are billed as public IPv4 addresses whether or not they are associated; the NAT gateway's are named as such. */
function elasticIpItems(logicalId: string, natEips: Set<string>, prices: Prices): IdleCostItem[] {
  const usedByNat = natEips.has(logicalId);
  return [item(usedByNat ? IdleCostKind.NAT_GATEWAY_PUBLIC_IPV4 : IdleCostKind.ELASTIC_IP, logicalId, 1,
    prices.publicIpv4.hourUsd * HOURS_PER_MONTH,
    usedByNat ? 'Elastic IP of a NAT gateway (public IPv4)' : 'Elastic IP (public IPv4), billed associated or not')];
}

function eipsUsedByNatGateways(resources: Resources): Set<string> {
  const eips = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::EC2::NatGateway') continue;
    const props = resource.Properties ?? {};
    for (const allocation of [props.AllocationId, ...(Array.isArray(props.SecondaryAllocationIds) ? props.SecondaryAllocationIds : [])]) {
      const eip = referencedLogicalId(allocation);
      if (eip) eips.add(eip);
    }
  }
  return eips;
}

function vpcEndpointItems(logicalId: string, props: any, prices: Prices): IdleCostItem[] {
  const type = props.VpcEndpointType ?? 'Gateway';
  if (type === 'Gateway') return [];
  if (type !== 'Interface') return [unpriced(logicalId, `AWS::EC2::VPCEndpoint (${type})`)];

  const counted = listLength(props.SubnetIds);
  return [item(IdleCostKind.INTERFACE_ENDPOINT, logicalId, counted ?? 1, prices.interfaceEndpoint.azHourUsd * HOURS_PER_MONTH,
    counted === undefined
      ? 'interface endpoint, billed per Availability Zone; subnets are a token, counted as 1'
      : 'interface endpoint hours, one per Availability Zone (subnet)')];
}

function ecsServiceItems(logicalId: string, props: any, resources: Resources, prices: Prices): IdleCostItem[] {
  const taskDefinition = resources[referencedLogicalId(props.TaskDefinition) ?? '']?.Properties ?? {};
  if (!runsOnFargate(props, taskDefinition)) return [];

  const tasks = idleTaskCount(logicalId, props, resources);
  if (tasks.count === 0) return [];
  const cpuUnits = numberOf(taskDefinition.Cpu);
  const memoryMiB = numberOf(taskDefinition.Memory);
  if (cpuUnits === undefined || memoryMiB === undefined) {
    return [unpriced(logicalId, `Fargate service of ${tasks.count} task(s) whose task definition size is not in the template`)];
  }

  const arm = taskDefinition.RuntimePlatform?.CpuArchitecture === 'ARM64';
  const rates = arm ? prices.fargate.arm64 : prices.fargate.x86;
  const perTaskHour = (cpuUnits / 1024) * rates.vcpuHourUsd + (memoryMiB / 1024) * rates.gbHourUsd;
  const os = String(taskDefinition.RuntimePlatform?.OperatingSystemFamily ?? 'LINUX');
  const caveats = [
    ...os.startsWith('WINDOWS') ? ['Windows license fee not included'] : [],
    ...usesFargateSpot(props) ? ['priced at on-demand rates, Spot is cheaper'] : [],
  ];
  const items = [item(IdleCostKind.FARGATE_TASKS, logicalId, tasks.count, perTaskHour * HOURS_PER_MONTH,
    [`${tasks.why}; ${cpuUnits} CPU units / ${memoryMiB} MiB ${arm ? 'arm64' : 'x86_64'} per task`, ...caveats].join('; '))];

  if (props.NetworkConfiguration?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED') {
    items.push(item(IdleCostKind.FARGATE_TASK_PUBLIC_IPV4, logicalId, tasks.count, prices.publicIpv4.hourUsd * HOURS_PER_MONTH,
      'AssignPublicIp ENABLED: one public IPv4 per running task'));
  }
  return items;
}

function runsOnFargate(service: any, taskDefinition: any): boolean {
  if (service.LaunchType) return service.LaunchType === 'FARGATE';
  const strategy = service.CapacityProviderStrategy;
  if (Array.isArray(strategy) && strategy.length > 0) {
    return strategy.some((s: any) => s.CapacityProvider === 'FARGATE' || s.CapacityProvider === 'FARGATE_SPOT');
  }
  // No launch type: the cluster's default strategy decides; the task definition says what it can run on.
  return Array.isArray(taskDefinition.RequiresCompatibilities) && taskDefinition.RequiresCompatibilities.includes('FARGATE');
}

function usesFargateSpot(service: any): boolean {
  return Array.isArray(service.CapacityProviderStrategy)
    && service.CapacityProviderStrategy.some((s: any) => s.CapacityProvider === 'FARGATE_SPOT');
}

/**
 * Tasks running once traffic has stopped. A service under a target-tracking policy that may scale in
 * settles at its scalable target's MinCapacity; otherwise it keeps DesiredCount (1 when absent, as
 * CloudFormation creates it).
 */
function idleTaskCount(serviceId: string, props: any, resources: Resources): { count: number; why: string } {
  const targetId = Object.keys(resources).find(id => isScalableTargetOf(resources[id], serviceId));
  if (targetId && hasScaleInPolicy(targetId, resources)) {
    const min = numberOf(resources[targetId].Properties?.MinCapacity);
    if (min !== undefined) {
      return { count: min, why: `idle tasks = MinCapacity ${min} of ${targetId} (target tracking scales in at idle)` };
    }
  }
  if (props.DesiredCount === undefined) {
    return { count: 1, why: 'DesiredCount absent: CloudFormation starts 1 task' };
  }
  const desired = numberOf(props.DesiredCount);
  return desired === undefined
    ? { count: 1, why: 'DesiredCount is a token, assumed 1' }
    : { count: desired, why: `DesiredCount ${desired}` };
}

function isScalableTargetOf(resource: CfnResource, serviceId: string): boolean {
  return resource.Type === 'AWS::ApplicationAutoScaling::ScalableTarget'
    && resource.Properties?.ScalableDimension === 'ecs:service:DesiredCount'
    && mentions(resource.Properties?.ResourceId, serviceId);
}

function hasScaleInPolicy(targetId: string, resources: Resources): boolean {
  return Object.values(resources).some(r => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy'
    && referencedLogicalId(r.Properties?.ScalingTargetId) === targetId
    && r.Properties?.TargetTrackingScalingPolicyConfiguration !== undefined
    && r.Properties.TargetTrackingScalingPolicyConfiguration.DisableScaleIn !== true);
}

function provisionedConcurrencyItems(logicalId: string, resource: CfnResource, resources: Resources, prices: Prices): IdleCostItem[] {
  const props = resource.Properties ?? {};
  const executions = numberOf(props.ProvisionedConcurrencyConfig?.ProvisionedConcurrentExecutions) ?? 0;
  if (executions === 0) return [];

  const functionId = referencedLogicalId(props.FunctionName);
  const fn = functionId ? resources[functionId]?.Properties : undefined;
  // Lambda's own defaults for a function this template does not define.
  const memoryMb = numberOf(fn?.MemorySize) ?? 128;
  const arm = Array.isArray(fn?.Architectures) && fn.Architectures.includes('arm64');
  const rates = arm ? prices.lambda.arm64 : prices.lambda.x86;
  const where = fn ? `function ${functionId}` : 'function not in this template, assumed';
  return [item(IdleCostKind.LAMBDA_PROVISIONED_CONCURRENCY, logicalId, executions,
    (memoryMb / 1024) * rates.provisionedGbSecondUsd * SECONDS_PER_MONTH,
    `${resource.Type} provisioned concurrency; ${where} ${memoryMb} MB ${arm ? 'arm64' : 'x86_64'} per environment`)];
}

/** Seconds one scheduled invocation is assumed to run (the controller's decision at rest takes about one). */
const SCHEDULED_INVOCATION_SECONDS = 1;

/**
 * An enabled `rate(...)` schedule that invokes a function of this template bills its invocations even with no
 * traffic: requests plus duration at the function's memory, for an assumed second each.
 */
function scheduledInvocationItems(logicalId: string, props: any, resources: Resources, prices: Prices): IdleCostItem[] {
  const perMonth = invocationsPerMonth(props.ScheduleExpression);
  if (perMonth === undefined || (props.State !== undefined && props.State !== 'ENABLED')) {
    return [];
  }
  const targets: unknown[] = Array.isArray(props.Targets) ? props.Targets : [];
  return targets.flatMap((target) => {
    const functionId = referencedLogicalId((target as { Arn?: unknown }).Arn);
    const fn = functionId ? resources[functionId] : undefined;
    if (!fn || fn.Type !== 'AWS::Lambda::Function') {
      return [];
    }
    const memoryGb = (numberOf(fn.Properties?.MemorySize) ?? 128) / 1024;
    const rates = fn.Properties?.Architectures?.[0] === 'arm64' ? prices.lambda.arm64 : prices.lambda.x86;
    const perInvocation = prices.lambda.requestsPerMillionUsd / 1e6 + memoryGb * SCHEDULED_INVOCATION_SECONDS * rates.gbSecondUsd;
    return [item(IdleCostKind.SCHEDULED_INVOCATIONS, logicalId, Math.round(perMonth), perInvocation,
      `${props.ScheduleExpression} invokes ${functionId} (${round(memoryGb * 1024)} MB, ${SCHEDULED_INVOCATION_SECONDS} s assumed each); before Lambda's free tier`)];
  });
}

function invocationsPerMonth(expression: unknown): number | undefined {
  const match = typeof expression === 'string' ? /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression) : null;
  if (!match) {
    return undefined;
  }
  const minutes = Number(match[1]) * (match[2].startsWith('minute') ? 1 : match[2].startsWith('hour') ? 60 : 1440);
  return (HOURS_PER_MONTH * 60) / minutes;
}

function round(value: number): number {
  return Math.round(value);
}

function autoScalingGroupItems(logicalId: string, props: any): IdleCostItem[] {
  const instances = numberOf(props.DesiredCapacity) ?? numberOf(props.MinSize);
  return instances === 0 ? [] : [unpriced(logicalId, 'AWS::AutoScaling::AutoScalingGroup (EC2 instances)')];
}

/** Alarms bill per metric they evaluate: a metric math alarm counts every metric in its expression. */
function alarmItems(resources: Resources, prices: Prices): IdleCostItem[] {
  let alarms = 0;
  let standardMetrics = 0;
  let highResolutionAlarms = 0;
  let highResolutionMetrics = 0;
  let composites = 0;
  for (const resource of Object.values(resources)) {
    if (resource.Type === 'AWS::CloudWatch::CompositeAlarm') composites += 1;
    if (resource.Type !== 'AWS::CloudWatch::Alarm') continue;
    const { metrics, highResolution } = alarmMetrics(resource.Properties ?? {});
    if (highResolution) {
      highResolutionAlarms += 1;
      highResolutionMetrics += metrics;
    } else {
      alarms += 1;
      standardMetrics += metrics;
    }
  }
  return [
    item(IdleCostKind.ALARM_METRICS, undefined, standardMetrics, prices.cloudwatch.standardAlarmMetricMonthUsd,
      `${alarms} standard resolution alarm(s), billed per metric`),
    item(IdleCostKind.HIGH_RESOLUTION_ALARM_METRICS, undefined, highResolutionMetrics, prices.cloudwatch.highResolutionAlarmMetricMonthUsd,
      `${highResolutionAlarms} high resolution alarm(s) (period under 60 s), billed per metric`),
    item(IdleCostKind.COMPOSITE_ALARMS, undefined, composites, prices.cloudwatch.compositeAlarmMonthUsd, 'composite alarms'),
    item(IdleCostKind.TARGET_TRACKING_ALARMS, undefined, targetTrackingAlarms(resources), prices.cloudwatch.standardAlarmMetricMonthUsd,
      'alarms Application Auto Scaling creates for target tracking policies (high, and low unless scale-in is disabled)'),
  ];
}

/** Target tracking policies are not alarms in the template, but AWS creates and bills their alarms. */
function targetTrackingAlarms(resources: Resources): number {
  let count = 0;
  for (const resource of Object.values(resources)) {
    const props = resource.Properties ?? {};
    const isTargetTracking = (resource.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' && props.PolicyType === 'TargetTrackingScaling')
      || (resource.Type === 'AWS::AutoScaling::ScalingPolicy' && props.PolicyType === 'TargetTrackingScaling');
    if (isTargetTracking) {
      const config = props.TargetTrackingScalingPolicyConfiguration ?? props.TargetTrackingConfiguration ?? {};
      count += config.DisableScaleIn === true ? 1 : 2;
    }
  }
  return count;
}

function alarmMetrics(props: any): { metrics: number; highResolution: boolean } {
  if (Array.isArray(props.Metrics)) {
    const stats = props.Metrics.filter((m: any) => m.MetricStat !== undefined);
    return {
      metrics: stats.length,
      highResolution: stats.some((m: any) => (numberOf(m.MetricStat.Period) ?? 60) < 60),
    };
  }
  return { metrics: 1, highResolution: (numberOf(props.Period) ?? 60) < 60 };
}

function unpriced(logicalId: string, what: string): IdleCostItem {
  return item(IdleCostKind.UNPRICED, logicalId, 1, 0, `${what} bills while idle; no price in prices.json`);
}

function item(kind: string, logicalId: string | undefined, quantity: number, unitMonthlyUsd: number, note: string): IdleCostItem {
  return { kind, ...logicalId ? { logicalId } : {}, quantity, unitMonthlyUsd, monthlyUsd: quantity * unitMonthlyUsd, note };
}

/** `{ Ref: X }` or `{ 'Fn::GetAtt': [X, attr] }` → X. */
function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { 'Ref'?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Whether an expression (e.g. an `Fn::Join` building a ResourceId) references the resource. */
function mentions(value: unknown, logicalId: string): boolean {
  if (referencedLogicalId(value) === logicalId) return true;
  if (Array.isArray(value)) return value.some(v => mentions(v, logicalId));
  if (typeof value === 'object' && value !== null) return Object.values(value).some(v => mentions(v, logicalId));
  return false;
}

/** Length of a literal list (its items may be tokens); undefined when the list itself is a token. */
function listLength(value: unknown): number | undefined {
  return Array.isArray(value) ? value.length : undefined;
}

/** CloudFormation writes many numbers as strings ("512"); tokens give undefined. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
