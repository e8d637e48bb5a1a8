import { Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HybridImageConfig } from './hybrid-image';
import { acknowledgeRule } from './private/nag';
import { ResolvedProps } from './private/resolve-props';

/** Options for the Fargate side. */
export interface FargateSideOptions {
  /**
   * Task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384).
   * @default 512
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB; must be allowed for `cpu`.
   * @default 1024
   */
  readonly memoryLimitMiB?: number;

  /**
   * The most tasks ECS autoscaling may run.
   * @default 10
   */
  readonly maxTasks?: number;

  /**
   * Requests per minute per task that ECS target tracking aims for (`ALBRequestCountPerTarget`).
   * @default 3000
   */
  readonly requestsPerTaskPerMinute?: number;

  /**
   * Extra environment variables for the Fargate side only (added to `environment`).
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * ECS cluster to run in.
   * @default - a new cluster in the VPC
   */
  readonly cluster?: ecs.ICluster;

  /**
   * Subnets for the tasks. Isolated subnets need VPC endpoints for ECR, S3 and CloudWatch Logs to pull the image.
   * @default - private subnets with egress if the VPC has them, otherwise public subnets with a public IP
   */
  readonly taskSubnets?: ec2.SubnetSelection;

  /**
   * Path the target group health check requests.
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * Interval between health checks (5 to 300 seconds).
   * @default Duration.seconds(5)
   */
  readonly healthCheckInterval?: Duration;

  /**
   * Consecutive successful checks before a target is healthy (2 to 10).
   * @default 2
   */
  readonly healthyThresholdCount?: number;

  /**
   * Consecutive failed checks before a target is unhealthy (2 to 10).
   * @default 2
   */
  readonly unhealthyThresholdCount?: number;

  /**
   * Time the load balancer keeps in-flight requests to a deregistering task (0 to 3600 seconds).
   * @default Duration.seconds(15)
   */
  readonly deregistrationDelay?: Duration;

  /**
   * Retention of the container log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Role the app's code runs with on Fargate. `grant*` calls on the service reach it and the Lambda role together.
   * @default - a new role
   */
  readonly taskRole?: iam.IRole;

  /**
   * Role ECS uses to pull the image and write the container's logs.
   * @default - a new role with the pull and log permissions
   */
  readonly executionRole?: iam.IRole;

  /**
   * Allow ECS Exec (`aws ecs execute-command`) into running tasks. Adds the SSM messages permissions to the task role.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * Time ECS ignores failed load balancer health checks of a new task, while the app starts.
   * @default Duration.seconds(60)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * Name of the container in the task definition.
   * @default 'app'
   */
  readonly containerName?: string;

  /**
   * Ephemeral storage of a task (21 GiB to 200 GiB). Above 20 GiB it bills per GB-hour.
   * @default - 20 GiB, the Fargate default
   */
  readonly ephemeralStorageSize?: Size;
}

/** What the Fargate side is made of. */
export interface FargateSidePart {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * The service running the image, at 0 tasks on deploy, in a security group that admits only the load balancer, and
 * its IP target group. The traffic controller and ECS autoscaling size it later.
 */
export function buildFargateSide(scope: Construct, vpc: ec2.IVpc, image: HybridImageConfig, resolved: ResolvedProps): FargateSidePart {
  const options = resolved.fargate;
  const cluster = options.cluster ?? newCluster(scope, vpc);
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
    cpu: options.cpu,
    memoryLimitMiB: options.memoryLimitMiB,
    runtimePlatform: {
      cpuArchitecture: image.fargateCpuArchitecture,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
    taskRole: options.taskRole,
    executionRole: options.executionRole,
    ephemeralStorageGiB: options.ephemeralStorageGiB,
  });
  const logGroup = new logs.LogGroup(scope, 'ContainerLogs', { retention: options.logRetention });
  const container = taskDefinition.addContainer(options.containerName, {
    image: image.containerImage,
    portMappings: [{ containerPort: resolved.containerPort, protocol: ecs.Protocol.TCP }],
    environment: options.environment,
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app', logGroup }),
  });
  acknowledgeRule(taskDefinition, 'AwsSolutions-ECS2',
    'The container environment holds non-secret settings only (HYBRID_SIDE, PORT, the environment prop shared with the Lambda side, and the ARNs or names of the secrets prop, whose values the app fetches at start).');
  acknowledgeRule(taskDefinition.obtainExecutionRole(), 'AwsSolutions-IAM5[Resource::*]',
    'ecr:GetAuthorizationToken takes no resource scoping; image pulls and log writes are scoped to the repository and the log group.');

  if (options.enableExecuteCommand) {
    acknowledgeRule(taskDefinition.taskRole, 'AwsSolutions-IAM5[Resource::*]',
      'ECS Exec (fargate.enableExecuteCommand) needs ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel, which take no resource scoping.');
  }
  const securityGroup = new ec2.SecurityGroup(scope, 'ServiceSecurityGroup', {
    vpc,
    description: `Fargate tasks of ${scope.node.path}; admits only the load balancer`,
    allowAllOutbound: true,
  });
  const taskSubnets = options.taskSubnets ?? { subnetType: defaultTaskSubnetType(vpc) };
  const service = new ecs.FargateService(scope, 'Service', {
    cluster,
    taskDefinition,
    desiredCount: 0,
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    circuitBreaker: { rollback: true },
    assignPublicIp: inPublicSubnetsOnly(vpc, taskSubnets),
    vpcSubnets: taskSubnets,
    securityGroups: [securityGroup],
    enableExecuteCommand: options.enableExecuteCommand,
    healthCheckGracePeriod: options.healthCheckGracePeriod,
  });

  const targetGroup = new elbv2.ApplicationTargetGroup(scope, 'FargateTargetGroup', {
    vpc,
    targetType: elbv2.TargetType.IP,
    port: resolved.containerPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    deregistrationDelay: options.deregistrationDelay,
    healthCheck: {
      path: options.healthCheckPath,
      interval: options.healthCheckInterval,
      timeout: Duration.seconds(Math.min(options.healthCheckInterval.toSeconds() - 1, 10)),
      healthyThresholdCount: options.healthyThresholdCount,
      unhealthyThresholdCount: options.unhealthyThresholdCount,
      healthyHttpCodes: '200-399',
    },
  });
  // Attaching the service opens the container port from the load balancer's security group only.
  service.attachToApplicationTargetGroup(targetGroup);
  return { cluster, taskDefinition, container, service, securityGroup, targetGroup };
}

/**
 * ECS target tracking on requests per task once the service carries traffic. The minimum stays 0 at deploy; the
 * traffic controller raises it while Fargate is weighted. Needs the target group attached to a listener.
 */
export function scaleOnRequests(part: FargateSidePart, resolved: ResolvedProps): ecs.ScalableTaskCount {
  const scalableTaskCount = part.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: resolved.fargate.maxTasks });
  scalableTaskCount.scaleOnRequestCount('RequestsPerTask', {
    targetGroup: part.targetGroup,
    requestsPerTarget: resolved.fargate.requestsPerTaskPerMinute,
    scaleInCooldown: Duration.seconds(60),
    scaleOutCooldown: Duration.seconds(30),
  });
  return scalableTaskCount;
}

function newCluster(scope: Construct, vpc: ec2.IVpc): ecs.Cluster {
  const cluster = new ecs.Cluster(scope, 'Cluster', { vpc });
  acknowledgeRule(cluster, 'AwsSolutions-ECS4',
    'Container Insights bills its custom metrics every month even at zero tasks, which defeats scale to zero; pass fargate.cluster with Container Insights to get it.');
  return cluster;
}

/** Isolated subnets only when asked for: without NAT or VPC endpoints a task there cannot pull its image. */
function defaultTaskSubnetType(vpc: ec2.IVpc): ec2.SubnetType {
  return vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC;
}

/** Tasks in public subnets need a public IP to pull the image: there is no NAT gateway to go through. */
function inPublicSubnetsOnly(vpc: ec2.IVpc, selection: ec2.SubnetSelection): boolean {
  const subnets = vpc.selectSubnets(selection).subnets;
  return subnets.length > 0 && subnets.every(s => vpc.publicSubnets.includes(s));
}
