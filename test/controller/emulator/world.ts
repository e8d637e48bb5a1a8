/**
 * Builds, inside an AWS API emulator, the resources the HybridAlbService construct would create for the
 * controller, and returns the controller's environment pointing at them.
 */
import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  Task,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ControllerClients } from '../../../src/controller/runtime/aws-adapter';
import { ControllerConfig } from '../../../src/controller/types';

export const REGION = 'us-east-1';

/** The listener's sign-in step. */
export const OIDC = {
  Issuer: 'https://idp.example.com',
  AuthorizationEndpoint: 'https://idp.example.com/authorize',
  TokenEndpoint: 'https://idp.example.com/token',
  UserInfoEndpoint: 'https://idp.example.com/userinfo',
  ClientId: 'web',
  ClientSecret: 'written-once-at-deploy',
};
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** SDK clients aimed at the emulator with dummy credentials, as `AWS_ENDPOINT_URL` would in the function. */
export function emulatorClients(endpoint: string): ControllerClients {
  const config = { endpoint, region: REGION, credentials: CREDENTIALS };
  return {
    elbv2: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    cloudwatch: new CloudWatchClient(config),
    eventbridge: new EventBridgeClient(config),
    ssm: new SSMClient(config),
    autoScaling: new ApplicationAutoScalingClient(config),
  };
}

export interface World {
  /** The controller's environment variables, as the construct would set them. */
  readonly variables: Record<string, string>;
  readonly vpcId: string;
  readonly listenerArn: string;
  readonly lambdaTargetGroupArn: string;
  readonly fargateTargetGroupArn: string;
  readonly cluster: string;
  readonly service: string;
  readonly taskDefinition: string;
  readonly network: { readonly subnetIds: string[]; readonly securityGroupId: string };
  readonly ruleName: string;
  readonly alarms: { readonly scaleOut: string; readonly scaleIn: string; readonly fargateError: string; readonly overload: string };
}

/** Creates VPC, load balancer, both target groups, the weighted listener, the ECS service and its scaling, alarms, rule and mode parameter. */
export async function createWorld(endpoint: string, clients: ControllerClients, config: ControllerConfig): Promise<World> {
  await keepTasksRunning(endpoint);
  const { vpcId, subnetIds, securityGroupId } = await createNetwork(endpoint);

  const loadBalancer = (await clients.elbv2.send(new CreateLoadBalancerCommand({
    Name: 'web',
    Subnets: subnetIds,
    Type: 'application',
    Scheme: 'internet-facing',
  }))).LoadBalancers![0];
  const lambdaTargetGroupArn = (await clients.elbv2.send(new CreateTargetGroupCommand({
    Name: 'web-lambda',
    TargetType: 'lambda',
  }))).TargetGroups![0].TargetGroupArn!;
  const fargateTargetGroupArn = (await clients.elbv2.send(new CreateTargetGroupCommand({
    Name: 'web-fargate',
    TargetType: 'ip',
    Protocol: 'HTTP',
    Port: 8080,
    VpcId: vpcId,
    HealthCheckPath: '/health',
  }))).TargetGroups![0].TargetGroupArn!;
  const listenerArn = (await clients.elbv2.send(new CreateListenerCommand({
    LoadBalancerArn: loadBalancer.LoadBalancerArn,
    Protocol: 'HTTP',
    Port: 80,
    // A user's sign-in step before the forward, and group stickiness: the controller must keep both. AWS takes an
    // authenticate action on HTTPS listeners only; moto does not check.
    DefaultActions: [
      { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: OIDC },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: lambdaTargetGroupArn, Weight: 100 },
            { TargetGroupArn: fargateTargetGroupArn, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 },
        },
      },
    ],
  }))).Listeners![0].ListenerArn!;

  const cluster = 'web-cluster';
  const service = 'web-service';
  await clients.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const taskDefinition = (await clients.ecs.send(new RegisterTaskDefinitionCommand({
    family: 'web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    // moto's RunTask sums container-level memory (a TypeError without it); ECS accepts it on Fargate too.
    containerDefinitions: [{ name: 'web', image: 'public.ecr.aws/nginx/nginx:latest', memory: 512, portMappings: [{ containerPort: 8080 }] }],
  }))).taskDefinition!.taskDefinitionArn!;
  await clients.ecs.send(new CreateServiceCommand({
    cluster,
    serviceName: service,
    taskDefinition,
    desiredCount: 0,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: subnetIds, securityGroups: [securityGroupId], assignPublicIp: 'DISABLED' } },
  }));
  await clients.autoScaling.send(new RegisterScalableTargetCommand({
    ServiceNamespace: 'ecs',
    ResourceId: `service/${cluster}/${service}`,
    ScalableDimension: 'ecs:service:DesiredCount',
    MinCapacity: 0,
    MaxCapacity: config.maxTasks,
  }));

  const alarms = { scaleOut: 'web-scale-out', scaleIn: 'web-scale-in', fargateError: 'web-fargate-error', overload: 'web-overload' };
  const loadBalancerDimension = loadBalancer.LoadBalancerArn!.split(':loadbalancer/')[1];
  for (const alarmName of Object.values(alarms)) {
    await clients.cloudwatch.send(new PutMetricAlarmCommand({
      AlarmName: alarmName,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'RequestCount',
      Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancerDimension }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 3,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    }));
  }

  const ruleName = 'web-reconcile';
  await clients.eventbridge.send(new PutRuleCommand({ Name: ruleName, ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' }));
  const modeParameter = '/web/mode';
  await clients.ssm.send(new PutParameterCommand({ Name: modeParameter, Value: 'auto', Type: 'String' }));

  return {
    vpcId,
    listenerArn,
    lambdaTargetGroupArn,
    fargateTargetGroupArn,
    cluster,
    service,
    taskDefinition,
    network: { subnetIds, securityGroupId },
    ruleName,
    alarms,
    variables: {
      LISTENER_ARN: listenerArn,
      LOAD_BALANCER_FULL_NAME: loadBalancerDimension,
      LAMBDA_TARGET_GROUP_ARN: lambdaTargetGroupArn,
      FARGATE_TARGET_GROUP_ARN: fargateTargetGroupArn,
      // As the construct sets them: targetGroupFullName, the CloudWatch TargetGroup dimension.
      LAMBDA_TARGET_GROUP_FULL_NAME: targetGroupFullName(lambdaTargetGroupArn),
      FARGATE_TARGET_GROUP_FULL_NAME: targetGroupFullName(fargateTargetGroupArn),
      CLUSTER_NAME: cluster,
      SERVICE_NAME: service,
      SCALE_OUT_ALARM_NAME: alarms.scaleOut,
      SCALE_IN_ALARM_NAME: alarms.scaleIn,
      FARGATE_ERROR_ALARM_NAME: alarms.fargateError,
      OVERLOAD_ALARM_NAME: alarms.overload,
      MODE_PARAMETER_NAME: modeParameter,
      RECONCILE_RULE_NAME: ruleName,
      CONTROLLER_CONFIG: JSON.stringify(config),
      POLL_INTERVAL_SECONDS: '5',
    },
  };
}

/**
 * Stands in for the ECS service scheduler, which moto does not run: moto's services start no tasks and ListTasks
 * ignores `serviceName`. Tasks are started with RunTask (moto gives each an ENI attachment with a private IPv4
 * address, as Fargate does) until the desired count runs, the extra ones stopped, and the target group made to hold
 * exactly the running tasks' addresses, as ECS registers and deregisters them. moto reports every registered IP target
 * healthy. Returns the running tasks.
 */
export async function actAsEcs(world: World, clients: ControllerClients): Promise<Task[]> {
  const service = (await clients.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [world.service] }))).services![0];
  const desired = service.desiredCount ?? 0;
  let running = await runningTasks(world, clients);
  if (running.length < desired) {
    await clients.ecs.send(new RunTaskCommand({
      cluster: world.cluster,
      taskDefinition: world.taskDefinition,
      count: desired - running.length,
      launchType: 'FARGATE',
      group: `service:${world.service}`,
      networkConfiguration: {
        awsvpcConfiguration: { subnets: world.network.subnetIds, securityGroups: [world.network.securityGroupId], assignPublicIp: 'DISABLED' },
      },
    }));
  }
  for (const task of running.slice(desired)) {
    await clients.ecs.send(new StopTaskCommand({ cluster: world.cluster, task: task.taskArn, reason: 'Scaling activity initiated by (emulator)' }));
  }
  running = await runningTasks(world, clients);

  const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
  const registered = new Set((health.TargetHealthDescriptions ?? []).map((d) => d.Target!.Id!));
  const wanted = running.map(privateAddress);
  const toRegister = wanted.filter((ip) => !registered.has(ip));
  const toDeregister = [...registered].filter((ip) => !wanted.includes(ip));
  if (toRegister.length > 0) {
    await clients.elbv2.send(new RegisterTargetsCommand({
      TargetGroupArn: world.fargateTargetGroupArn,
      Targets: toRegister.map((Id) => ({ Id, Port: 8080 })),
    }));
  }
  if (toDeregister.length > 0) {
    await clients.elbv2.send(new DeregisterTargetsCommand({
      TargetGroupArn: world.fargateTargetGroupArn,
      Targets: toDeregister.map((Id) => ({ Id, Port: 8080 })),
    }));
  }
  return running;
}

/** The tasks ECS means to keep running, described. */
export async function runningTasks(world: World, clients: ControllerClients): Promise<Task[]> {
  const taskArns = (await clients.ecs.send(new ListTasksCommand({ cluster: world.cluster, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  if (taskArns.length === 0) {
    return [];
  }
  return (await clients.ecs.send(new DescribeTasksCommand({ cluster: world.cluster, tasks: taskArns }))).tasks ?? [];
}

/** The private IPv4 address of a task's ENI, its target Id in the IP target group. */
export function privateAddress(task: Task): string {
  const detail = task.attachments?.flatMap((a) => a.details ?? []).find((d) => d.name === 'privateIPv4Address');
  if (!detail?.value) {
    throw new Error(`Task ${task.taskArn} has no privateIPv4Address attachment detail`);
  }
  return detail.value;
}

/**
 * moto moves a task one step along RUNNING -> DEACTIVATING -> ... -> STOPPED each time DescribeTasks returns it (its
 * default "manual" progression, once per describe). Real tasks stay RUNNING until stopped: with this transition a
 * task only leaves RUNNING through StopTask.
 */
async function keepTasksRunning(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'ecs::task', transition: { progression: 'manual', times: 1_000_000 } }),
  });
  if (!response.ok) {
    throw new Error(`moto set-transition for ecs::task failed with ${response.status}: ${await response.text()}`);
  }
}

/** `targetgroup/<name>/<id>` from a target group ARN, as CDK's targetGroupFullName. */
function targetGroupFullName(arn: string): string {
  return arn.split(':').pop()!;
}

/**
 * A VPC with DNS hostnames and two subnets in two zones, which an application load balancer requires, and a security
 * group for the service (moto 5.2.5 fails CreateService with a network configuration that names none).
 * `@aws-sdk/client-ec2` is not a dependency of this library, so the EC2 query API is called directly;
 * moto routes the request by the service named in the Authorization header's credential scope.
 */
async function createNetwork(endpoint: string): Promise<{ vpcId: string; subnetIds: string[]; securityGroupId: string }> {
  const vpcId = firstMatch(await ec2(endpoint, 'CreateVpc', { CidrBlock: '10.0.0.0/16' }), /<vpcId>(vpc-[0-9a-f]+)<\/vpcId>/);
  // As CDK's Vpc does; moto's RunTask also needs it (it names the task's ENI by its private DNS name).
  await ec2(endpoint, 'ModifyVpcAttribute', { 'VpcId': vpcId, 'EnableDnsHostnames.Value': 'true' });
  const subnetIds: string[] = [];
  for (const [index, zone] of [`${REGION}a`, `${REGION}b`].entries()) {
    const response = await ec2(endpoint, 'CreateSubnet', { VpcId: vpcId, CidrBlock: `10.0.${index}.0/24`, AvailabilityZone: zone });
    subnetIds.push(firstMatch(response, /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/));
  }
  const securityGroup = await ec2(endpoint, 'CreateSecurityGroup', { GroupName: 'web-tasks', GroupDescription: 'web tasks', VpcId: vpcId });
  return { vpcId, subnetIds, securityGroupId: firstMatch(securityGroup, /<groupId>(sg-[0-9a-f]+)<\/groupId>/) };
}

async function ec2(endpoint: string, action: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'Authorization': `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20240101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`EC2 ${action} failed with ${response.status}: ${text}`);
  }
  return text;
}

function firstMatch(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (!match) {
    throw new Error(`No ${pattern} in ${text}`);
  }
  return match[1];
}
