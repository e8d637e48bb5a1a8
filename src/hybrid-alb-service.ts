import { CfnResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbv2Targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HybridImage } from './hybrid-image';
import { acknowledgeRule } from './private/nag';
import { fargateCpuArchitecture, lambdaArchitecture } from './private/platform';
import {
  checkEnvironment,
  checkFargateSize,
  checkHealthCheckPath,
  checkIntegerRange,
  checkPort,
  fail,
} from './private/validation';
import { ScalingOptions, TrafficController } from './traffic-controller';

/** The environment variable each side receives to tell the app where it runs (`lambda` or `fargate`). */
const SIDE_ENVIRONMENT_VARIABLE = 'HYBRID_SIDE';

/** Options for the Lambda side. */
export interface LambdaSideOptions {
  /**
   * Memory of the function, in MiB (128 to 10240).
   * @default 1024
   */
  readonly memorySize?: number;

  /**
   * Function timeout. At most 15 minutes, and no longer than the load balancer idle timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;

  /**
   * Reserved concurrent executions. Caps the Lambda side; requests beyond it get 502/503 from the load balancer.
   * @default - unreserved, uses the account's concurrency pool
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Provisioned concurrency on a `live` alias. Bills by the hour even when idle.
   * @default - none (no idle cost)
   */
  readonly provisionedConcurrentExecutions?: number;

  /**
   * Extra environment variables for the Lambda side only (added to `environment`).
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * Override the image CMD for Lambda mode, e.g. `['lambda.handler']`.
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Override the image ENTRYPOINT for Lambda mode.
   * @default - the image's ENTRYPOINT
   */
  readonly entrypoint?: string[];

  /**
   * Attach the function to the VPC (for private resources). Without NAT or endpoints it then has no internet access.
   * @default false
   */
  readonly attachToVpc?: boolean;

  /**
   * Send headers and query strings to the function as multi-value maps.
   * @default true
   */
  readonly multiValueHeaders?: boolean;

  /**
   * Health-check the Lambda target group (on `fargate.healthCheckPath`, every 35 seconds). Each check is a billed
   * invocation, so it is off by default.
   * @default false
   */
  readonly healthCheck?: boolean;

  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

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
}

/** Properties of a `HybridAlbService`. */
export interface HybridAlbServiceProps {
  /** The one image both sides run. */
  readonly image: HybridImage;

  /**
   * VPC for the load balancer and the tasks.
   * @default - the VPC of `fargate.cluster` if given, else a new VPC over 2 AZs with public subnets only: no NAT gateway
   * and no interface endpoint, which bill by the hour
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Whether the load balancer is reachable from the internet. Set `false` for an internal load balancer in private subnets.
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * Certificate for an HTTPS listener. With it, port 80 redirects to HTTPS.
   * @default - HTTP listener only
   */
  readonly certificate?: acm.ICertificate;

  /**
   * TLS policy of the HTTPS listener. Requires `certificate`.
   * @default elbv2.SslPolicy.RECOMMENDED_TLS (TLS 1.3 and 1.2)
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * Port of the listener.
   * @default 443 with a certificate, 80 without
   */
  readonly listenerPort?: number;

  /**
   * Redirect HTTP (port 80) to HTTPS. Requires `certificate`.
   * @default true when a certificate is given
   */
  readonly redirectHttp?: boolean;

  /**
   * Load balancer idle timeout. Must be at least the Lambda timeout, so the load balancer never closes a connection a running invocation will answer.
   * @default Duration.seconds(60)
   */
  readonly idleTimeout?: Duration;

  /**
   * Bucket for load balancer access logs.
   * @default - access logs off
   */
  readonly accessLogBucket?: s3.IBucket;

  /**
   * Prefix for access log objects. Requires `accessLogBucket`.
   * @default - no prefix
   */
  readonly accessLogPrefix?: string;

  /**
   * Port the container listens on.
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Environment variables for both sides. Each side also gets `HYBRID_SIDE` (`lambda` or `fargate`), and Fargate gets `PORT`.
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * Lambda side options.
   * @default - see LambdaSideOptions
   */
  readonly lambda?: LambdaSideOptions;

  /**
   * Fargate side options.
   * @default - see FargateSideOptions
   */
  readonly fargate?: FargateSideOptions;

  /**
   * When and how the traffic controller moves traffic between Lambda and Fargate.
   * @default - see ScalingOptions
   */
  readonly scaling?: ScalingOptions;
}

/**
 * One container image served by AWS Lambda and by Fargate behind one Application Load Balancer,
 * with a weighted forward between the two target groups (Lambda 100 / Fargate 0 at deploy).
 */
export class HybridAlbService extends Construct {
  /** Name of the environment variable telling the app which side runs it: `lambda` or `fargate`. */
  public static readonly SIDE_ENVIRONMENT_VARIABLE = SIDE_ENVIRONMENT_VARIABLE;

  /** The VPC holding the load balancer and the tasks. */
  public readonly vpc: ec2.IVpc;
  /** The Application Load Balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The listener whose default action is the weighted forward. */
  public readonly listener: elbv2.ApplicationListener;
  /** The port-80 listener that redirects to HTTPS, when a certificate is given. */
  public readonly redirectListener?: elbv2.ApplicationListener;
  /** Security group of the load balancer. */
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The Lambda function running the image. */
  public readonly lambdaFunction: lambda.DockerImageFunction;
  /** The `live` alias, when provisioned concurrency is set. */
  public readonly lambdaAlias?: lambda.Alias;
  /** Security group of the function, when it is attached to the VPC. */
  public readonly lambdaSecurityGroup?: ec2.SecurityGroup;
  /** Target group of the Lambda side. */
  public readonly lambdaTargetGroup: elbv2.ApplicationTargetGroup;
  /** Target group (IP targets) of the Fargate side. */
  public readonly fargateTargetGroup: elbv2.ApplicationTargetGroup;
  /** The ECS cluster. */
  public readonly cluster: ecs.ICluster;
  /** The Fargate task definition running the image. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The Fargate service (desired count 0 at deploy). */
  public readonly service: ecs.FargateService;
  /** Security group of the tasks; admits only the load balancer. */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  /** ECS autoscaling of the service (target tracking on requests per target). */
  public readonly scalableTaskCount: ecs.ScalableTaskCount;
  /** The most tasks autoscaling may run. */
  public readonly maxTasks: number;
  /** The traffic controller: alarms, rules, mode parameter and function. */
  public readonly controller: TrafficController;

  constructor(scope: Construct, id: string, props: HybridAlbServiceProps) {
    super(scope, id);
    const resolved = resolveProps(props);

    const imageConfig = props.image.bind(this);

    if (props.vpc && props.fargate?.cluster && props.fargate.cluster.vpc !== props.vpc) {
      fail(`vpc ${props.vpc.node.path} differs from the VPC of fargate.cluster ${props.fargate.cluster.node.path}; `
        + 'the tasks, their security group and the target group must share one VPC: pass the cluster\'s VPC or omit vpc');
    }
    this.vpc = props.vpc ?? props.fargate?.cluster?.vpc ?? new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });
    if (!props.vpc && !props.fargate?.cluster) {
      acknowledgeRule(this.vpc, 'AwsSolutions-VPC7',
        'The VPC this construct creates has no flow logs because they bill per GB ingested even for health checks; pass your own vpc with flow logs for a network audit trail.');
    }

    // Load balancer and its security group: open to the world only when internet-facing, otherwise to the VPC.
    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `Load balancer of ${this.node.path}`,
      allowAllOutbound: false,
    });
    const clientPeer = resolved.internetFacing ? ec2.Peer.anyIpv4() : ec2.Peer.ipv4(this.vpc.vpcCidrBlock);
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: resolved.internetFacing,
      securityGroup: this.loadBalancerSecurityGroup,
      vpcSubnets: { subnetType: resolved.internetFacing ? ec2.SubnetType.PUBLIC : this.privateOrPublicSubnetType() },
      dropInvalidHeaderFields: true,
      idleTimeout: resolved.idleTimeout,
    });
    if (props.accessLogBucket) {
      if (Token.isUnresolved(Stack.of(this).region)) {
        fail('accessLogBucket needs a stack with an explicit region (env: { region }), because the bucket policy names '
          + 'the regional Elastic Load Balancing account; set the region of the stack or omit accessLogBucket');
      }
      this.loadBalancer.logAccessLogs(props.accessLogBucket, props.accessLogPrefix);
    } else {
      acknowledgeRule(this.loadBalancer, 'AwsSolutions-ELB2',
        'Access logs need an S3 bucket the user owns and retains; they are enabled by passing accessLogBucket.');
    }
    acknowledgeRule(this.loadBalancerSecurityGroup, 'AwsSolutions-EC23', resolved.internetFacing
      ? 'The load balancer is internet-facing (internetFacing: true), so it admits 0.0.0.0/0 on its listener ports and nothing else.'
      : 'The internal load balancer admits only the VPC CIDR, a CloudFormation reference that cdk-nag cannot resolve; there is no 0.0.0.0/0 rule.');

    // Lambda side.
    if (resolved.lambda.attachToVpc) {
      this.lambdaSecurityGroup = new ec2.SecurityGroup(this, 'LambdaSecurityGroup', {
        vpc: this.vpc,
        description: `Lambda side of ${this.node.path}`,
        allowAllOutbound: true,
      });
    }
    const lambdaLogGroup = new logs.LogGroup(this, 'LambdaLogs', { retention: resolved.lambda.logRetention });
    // Own role instead of AWSLambdaBasicExecutionRole: logs go only to this function's log group.
    const lambdaRole = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lambda side of ${this.node.path}`,
    });
    lambdaLogGroup.grantWrite(lambdaRole);
    this.lambdaFunction = new lambda.DockerImageFunction(this, 'Function', {
      code: lambda.DockerImageCode.fromEcr(imageConfig.repository, {
        tagOrDigest: imageConfig.tagOrDigest,
        cmd: props.lambda?.command,
        entrypoint: props.lambda?.entrypoint,
      }),
      architecture: lambdaArchitecture(imageConfig.platform),
      memorySize: resolved.lambda.memorySize,
      timeout: resolved.lambda.timeout,
      reservedConcurrentExecutions: props.lambda?.reservedConcurrentExecutions,
      environment: { ...props.environment, ...props.lambda?.environment, [SIDE_ENVIRONMENT_VARIABLE]: 'lambda' },
      logGroup: lambdaLogGroup,
      role: lambdaRole,
      vpc: resolved.lambda.attachToVpc ? this.vpc : undefined,
      vpcSubnets: resolved.lambda.attachToVpc ? { subnetType: this.privateOrPublicSubnetType() } : undefined,
      allowPublicSubnet: resolved.lambda.attachToVpc && this.privateOrPublicSubnetType() === ec2.SubnetType.PUBLIC ? true : undefined,
      securityGroups: this.lambdaSecurityGroup ? [this.lambdaSecurityGroup] : undefined,
      description: `Lambda side of ${this.node.path}`,
    });
    if (resolved.lambda.attachToVpc) {
      acknowledgeRule(lambdaRole, 'AwsSolutions-IAM4',
        'The only managed policy on this role is AWSLambdaVPCAccessExecutionRole: Lambda needs ec2:CreateNetworkInterface and related calls, which take no resource scoping, to attach to the VPC (lambda.attachToVpc: true).');
    }
    if (props.lambda?.provisionedConcurrentExecutions !== undefined) {
      this.lambdaAlias = new lambda.Alias(this, 'LiveAlias', {
        aliasName: 'live',
        version: this.lambdaFunction.currentVersion,
        provisionedConcurrentExecutions: props.lambda.provisionedConcurrentExecutions,
      });
    }
    this.lambdaTargetGroup = new elbv2.ApplicationTargetGroup(this, 'LambdaTargetGroup', {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new elbv2Targets.LambdaTarget(this.lambdaAlias ?? this.lambdaFunction)],
      healthCheck: resolved.lambda.healthCheck
        ? { enabled: true, path: resolved.fargate.healthCheckPath, interval: Duration.seconds(35), timeout: Duration.seconds(30) }
        : { enabled: false },
    });
    this.lambdaTargetGroup.setAttribute('lambda.multi_value_headers.enabled', String(resolved.lambda.multiValueHeaders));

    // Fargate side.
    if (props.fargate?.cluster) {
      this.cluster = props.fargate.cluster;
    } else {
      this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc });
      acknowledgeRule(this.cluster, 'AwsSolutions-ECS4',
        'Container Insights bills its custom metrics every month even at zero tasks, which defeats scale to zero; pass fargate.cluster with Container Insights to get it.');
    }
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: resolved.fargate.cpu,
      memoryLimitMiB: resolved.fargate.memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: fargateCpuArchitecture(imageConfig.platform),
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const containerLogGroup = new logs.LogGroup(this, 'ContainerLogs', { retention: resolved.fargate.logRetention });
    this.taskDefinition.addContainer('app', {
      image: imageConfig.asset
        ? ecs.ContainerImage.fromDockerImageAsset(imageConfig.asset)
        : ecs.ContainerImage.fromEcrRepository(imageConfig.repository, imageConfig.tagOrDigest),
      portMappings: [{ containerPort: resolved.containerPort, protocol: ecs.Protocol.TCP }],
      environment: {
        ...props.environment,
        ...props.fargate?.environment,
        [SIDE_ENVIRONMENT_VARIABLE]: 'fargate',
        PORT: String(resolved.containerPort),
      },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app', logGroup: containerLogGroup }),
    });

    acknowledgeRule(this.taskDefinition, 'AwsSolutions-ECS2',
      'The container environment holds non-secret settings only (HYBRID_SIDE, PORT and the environment prop, shared with the Lambda side); keep secrets in Secrets Manager.');
    acknowledgeRule(this.taskDefinition.obtainExecutionRole(), 'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken takes no resource scoping; image pulls and log writes are scoped to the repository and the log group.');
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: `Fargate tasks of ${this.node.path}; admits only the load balancer`,
      allowAllOutbound: true,
    });
    // Isolated subnets only when asked for: without NAT or VPC endpoints a task there cannot pull its image.
    const defaultTaskSubnetType = this.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC;
    const taskSubnets = props.fargate?.taskSubnets ?? { subnetType: defaultTaskSubnetType };
    // Tasks in public subnets need a public IP to pull the image: there is no NAT gateway to go through.
    const selectedSubnets = this.vpc.selectSubnets(taskSubnets).subnets;
    const publicTasks = selectedSubnets.length > 0 && selectedSubnets.every(s => this.vpc.publicSubnets.includes(s));
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 0,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      assignPublicIp: publicTasks,
      vpcSubnets: taskSubnets,
      securityGroups: [this.serviceSecurityGroup],
    });

    this.fargateTargetGroup = new elbv2.ApplicationTargetGroup(this, 'FargateTargetGroup', {
      vpc: this.vpc,
      targetType: elbv2.TargetType.IP,
      port: resolved.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      deregistrationDelay: resolved.fargate.deregistrationDelay,
      healthCheck: {
        path: resolved.fargate.healthCheckPath,
        interval: resolved.fargate.healthCheckInterval,
        timeout: Duration.seconds(Math.min(resolved.fargate.healthCheckInterval.toSeconds() - 1, 10)),
        healthyThresholdCount: resolved.fargate.healthyThresholdCount,
        unhealthyThresholdCount: resolved.fargate.unhealthyThresholdCount,
        healthyHttpCodes: '200-399',
      },
    });
    // Attaching the service opens the container port from the load balancer's security group only.
    this.service.attachToApplicationTargetGroup(this.fargateTargetGroup);

    // The listener: weighted forward, all traffic to Lambda at deploy.
    const weightedForward = elbv2.ListenerAction.weightedForward([
      { targetGroup: this.lambdaTargetGroup, weight: 100 },
      { targetGroup: this.fargateTargetGroup, weight: 0 },
    ]);
    this.listener = this.loadBalancer.addListener('Listener', {
      port: resolved.listenerPort,
      protocol: props.certificate ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      certificates: props.certificate ? [elbv2.ListenerCertificate.fromCertificateManager(props.certificate)] : undefined,
      sslPolicy: props.certificate ? resolved.sslPolicy : undefined,
      defaultAction: weightedForward,
      open: false,
    });
    this.loadBalancerSecurityGroup.addIngressRule(clientPeer, ec2.Port.tcp(resolved.listenerPort), 'Clients of the listener');
    if (props.certificate && resolved.redirectHttp) {
      this.redirectListener = this.loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(resolved.listenerPort), permanent: true }),
        open: false,
      });
      this.loadBalancerSecurityGroup.addIngressRule(clientPeer, ec2.Port.tcp(80), 'HTTP clients, redirected to HTTPS');
    }

    // ECS autoscaling sizes the service once it carries traffic. The minimum stays 0 at deploy;
    // the traffic controller raises it while Fargate is weighted.
    this.maxTasks = resolved.fargate.maxTasks;
    this.scalableTaskCount = this.service.autoScaleTaskCount({ minCapacity: 0, maxCapacity: resolved.fargate.maxTasks });
    this.scalableTaskCount.scaleOnRequestCount('RequestsPerTask', {
      targetGroup: this.fargateTargetGroup,
      requestsPerTarget: resolved.fargate.requestsPerTaskPerMinute,
      scaleInCooldown: Duration.seconds(60),
      scaleOutCooldown: Duration.seconds(30),
    });

    const scalableTarget = this.scalableTaskCount.node.findAll().find(c => c instanceof appscaling.CfnScalableTarget) as CfnResource;
    this.controller = new TrafficController(this, 'Controller', {
      scaling: props.scaling,
      loadBalancer: this.loadBalancer,
      listener: this.listener,
      lambdaTargetGroup: this.lambdaTargetGroup,
      fargateTargetGroup: this.fargateTargetGroup,
      service: this.service,
      maxTasks: resolved.fargate.maxTasks,
      requestsPerTaskPerMinute: resolved.fargate.requestsPerTaskPerMinute,
      deregistrationDelay: resolved.fargate.deregistrationDelay,
      watchedResources: [
        this.listener.node.defaultChild as CfnResource,
        this.service.node.defaultChild as CfnResource,
        scalableTarget,
      ],
    });
  }

  /** Requests served by the whole load balancer (both sides). */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metrics.requestCount({ period: Duration.minutes(1), ...props });
  }

  /** Requests routed to the Lambda side. */
  public metricLambdaRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.lambdaTargetGroup.metrics.requestCount({ period: Duration.minutes(1), ...props });
  }

  /** Requests routed to the Fargate side. */
  public metricFargateRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fargateTargetGroup.metrics.requestCount({ period: Duration.minutes(1), ...props });
  }

  /** Response time of the Lambda side, in seconds (p99 unless `statistic` is given). */
  public metricLambdaLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.lambdaTargetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1), ...props });
  }

  /** Response time of the Fargate side, in seconds (p99 unless `statistic` is given). */
  public metricFargateLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fargateTargetGroup.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(1), ...props });
  }

  /** 5xx responses returned by the Fargate targets. */
  public metricFargateErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fargateTargetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), ...props });
  }

  /** Errors of the Lambda function (invocations that failed). */
  public metricLambdaErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.lambdaFunction.metricErrors({ period: Duration.minutes(1), ...props });
  }

  private privateOrPublicSubnetType(): ec2.SubnetType {
    if (this.vpc.privateSubnets.length > 0) {
      return ec2.SubnetType.PRIVATE_WITH_EGRESS;
    }
    if (this.vpc.isolatedSubnets.length > 0) {
      return ec2.SubnetType.PRIVATE_ISOLATED;
    }
    return ec2.SubnetType.PUBLIC;
  }
}

interface ResolvedProps {
  readonly internetFacing: boolean;
  readonly listenerPort: number;
  readonly redirectHttp: boolean;
  readonly sslPolicy: elbv2.SslPolicy;
  readonly idleTimeout: Duration;
  readonly containerPort: number;
  readonly lambda: {
    readonly memorySize: number;
    readonly timeout: Duration;
    readonly attachToVpc: boolean;
    readonly multiValueHeaders: boolean;
    readonly healthCheck: boolean;
    readonly logRetention: logs.RetentionDays;
  };
  readonly fargate: {
    readonly cpu: number;
    readonly memoryLimitMiB: number;
    readonly maxTasks: number;
    readonly requestsPerTaskPerMinute: number;
    readonly healthCheckPath: string;
    readonly healthCheckInterval: Duration;
    readonly healthyThresholdCount: number;
    readonly unhealthyThresholdCount: number;
    readonly deregistrationDelay: Duration;
    readonly logRetention: logs.RetentionDays;
  };
}

/** Apply defaults and validate. Every error names the prop, the value and what is allowed. */
function resolveProps(props: HybridAlbServiceProps): ResolvedProps {
  if (!props.image) {
    fail('image is required; use HybridImage.fromAsset(directory) or HybridImage.fromEcr(repository, tagOrDigest)');
  }
  const hasCertificate = props.certificate !== undefined;
  if (props.sslPolicy !== undefined && !hasCertificate) {
    fail(`sslPolicy ${props.sslPolicy} requires certificate; pass certificate to get an HTTPS listener`);
  }
  if (props.redirectHttp === true && !hasCertificate) {
    fail('redirectHttp true requires certificate; an HTTP-to-HTTPS redirect needs an HTTPS listener');
  }
  if (props.accessLogPrefix !== undefined && props.accessLogBucket === undefined) {
    fail(`accessLogPrefix '${props.accessLogPrefix}' requires accessLogBucket`);
  }

  const listenerPort = props.listenerPort ?? (hasCertificate ? 443 : 80);
  checkPort('listenerPort', listenerPort);
  const redirectHttp = props.redirectHttp ?? hasCertificate;
  if (hasCertificate && redirectHttp && listenerPort === 80) {
    fail('listenerPort 80 conflicts with the HTTP-to-HTTPS redirect on port 80; use another listenerPort or redirectHttp false');
  }
  const containerPort = props.containerPort ?? 8080;
  checkPort('containerPort', containerPort);

  const idleTimeout = props.idleTimeout ?? Duration.seconds(60);
  checkIntegerRange('idleTimeout', idleTimeout.toSeconds(), 1, 4000, 'seconds');

  const lambdaProps = props.lambda ?? {};
  const memorySize = lambdaProps.memorySize ?? 1024;
  checkIntegerRange('lambda.memorySize', memorySize, 128, 10240, 'MiB');
  const timeout = lambdaProps.timeout ?? Duration.seconds(30);
  checkIntegerRange('lambda.timeout', timeout.toSeconds(), 1, 900, 'seconds (15 minutes)');
  if (!Token.isUnresolved(timeout.toSeconds()) && timeout.toSeconds() > idleTimeout.toSeconds()) {
    fail(`lambda.timeout ${timeout.toSeconds()} seconds is longer than idleTimeout ${idleTimeout.toSeconds()} seconds; `
      + 'the load balancer would close connections that a running invocation still answers. Raise idleTimeout or lower lambda.timeout');
  }
  checkIntegerRange('lambda.reservedConcurrentExecutions', lambdaProps.reservedConcurrentExecutions, 1, 100000);
  checkIntegerRange('lambda.provisionedConcurrentExecutions', lambdaProps.provisionedConcurrentExecutions, 1, 100000);
  if (lambdaProps.provisionedConcurrentExecutions !== undefined && lambdaProps.reservedConcurrentExecutions !== undefined
    && lambdaProps.provisionedConcurrentExecutions > lambdaProps.reservedConcurrentExecutions) {
    fail(`lambda.provisionedConcurrentExecutions ${lambdaProps.provisionedConcurrentExecutions} exceeds lambda.reservedConcurrentExecutions `
      + `${lambdaProps.reservedConcurrentExecutions}; use at most the reserved concurrency`);
  }
  const reserved = [SIDE_ENVIRONMENT_VARIABLE, 'PORT'];
  checkEnvironment('environment', props.environment, reserved);
  checkEnvironment('lambda.environment', lambdaProps.environment, reserved);

  const fargateProps = props.fargate ?? {};
  checkEnvironment('fargate.environment', fargateProps.environment, reserved);
  const cpu = fargateProps.cpu ?? 512;
  const memoryLimitMiB = fargateProps.memoryLimitMiB ?? 1024;
  checkFargateSize(cpu, memoryLimitMiB);
  const maxTasks = fargateProps.maxTasks ?? 10;
  checkIntegerRange('fargate.maxTasks', maxTasks, 1, 5000);
  const requestsPerTaskPerMinute = fargateProps.requestsPerTaskPerMinute ?? 3000;
  checkIntegerRange('fargate.requestsPerTaskPerMinute', requestsPerTaskPerMinute, 1, 10_000_000);
  const healthCheckPath = fargateProps.healthCheckPath ?? '/';
  checkHealthCheckPath('fargate.healthCheckPath', healthCheckPath);
  const healthCheckInterval = fargateProps.healthCheckInterval ?? Duration.seconds(5);
  checkIntegerRange('fargate.healthCheckInterval', healthCheckInterval.toSeconds(), 5, 300, 'seconds');
  const healthyThresholdCount = fargateProps.healthyThresholdCount ?? 2;
  checkIntegerRange('fargate.healthyThresholdCount', healthyThresholdCount, 2, 10);
  const unhealthyThresholdCount = fargateProps.unhealthyThresholdCount ?? 2;
  checkIntegerRange('fargate.unhealthyThresholdCount', unhealthyThresholdCount, 2, 10);
  const deregistrationDelay = fargateProps.deregistrationDelay ?? Duration.seconds(15);
  checkIntegerRange('fargate.deregistrationDelay', deregistrationDelay.toSeconds(), 0, 3600, 'seconds');

  return {
    internetFacing: props.internetFacing ?? true,
    listenerPort,
    redirectHttp,
    sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
    idleTimeout,
    containerPort,
    lambda: {
      memorySize,
      timeout,
      attachToVpc: lambdaProps.attachToVpc ?? false,
      multiValueHeaders: lambdaProps.multiValueHeaders ?? true,
      healthCheck: lambdaProps.healthCheck ?? false,
      logRetention: lambdaProps.logRetention ?? logs.RetentionDays.ONE_MONTH,
    },
    fargate: {
      cpu,
      memoryLimitMiB,
      maxTasks,
      requestsPerTaskPerMinute,
      healthCheckPath,
      healthCheckInterval,
      healthyThresholdCount,
      unhealthyThresholdCount,
      deregistrationDelay,
      logRetention: fargateProps.logRetention ?? logs.RetentionDays.ONE_MONTH,
    },
  };
}
