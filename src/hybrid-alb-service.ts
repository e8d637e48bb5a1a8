import { CfnResource, Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { buildFargateSide, FargateSideOptions, scaleOnRequests } from './fargate-side';
import { HybridImage } from './hybrid-image';
import { HybridSecret } from './hybrid-secret';
import { buildLambdaSide, LambdaSideOptions } from './lambda-side';
import { addListeners, buildLoadBalancer } from './load-balancer';
import { BothRolesPrincipal } from './private/both-roles-principal';
import { CONSTRUCT_VARIABLES, resolveProps, SIDE_ENVIRONMENT_VARIABLE } from './private/resolve-props';
import { checkEnvironment, checkLambdaEnvironmentSize } from './private/validation';
import { vpcFor } from './private/vpc';
import { ScalingOptions, TrafficController } from './traffic-controller';

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
   * @default - a DNS-validated certificate for `domainName` if given, else an HTTP listener only
   */
  readonly certificate?: acm.ICertificate;

  /**
   * Domain name of the service: an alias A record for the load balancer in `domainZone`, and an HTTPS listener with a
   * DNS-validated certificate for it unless `certificate` is given. Requires `domainZone`.
   * @default - no DNS record; clients use the load balancer's DNS name
   */
  readonly domainName?: string;

  /**
   * Route 53 hosted zone for `domainName`: it gets the alias record and the certificate's validation records.
   * @default - none; required with `domainName`
   */
  readonly domainZone?: route53.IHostedZone;

  /**
   * Protect the load balancer from deletion (also by a stack delete, which then fails until it is turned off).
   * @default false
   */
  readonly deletionProtection?: boolean;

  /**
   * ARN of a regional AWS WAF web ACL to associate with the load balancer, e.g. with a rate-based rule that caps
   * requests per client (see the README's security section).
   * @default - no web ACL
   */
  readonly webAclArn?: string;

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
   * Secrets both sides read, by environment variable name: each side gets the variable holding the secret's ARN
   * (Secrets Manager) or the parameter's name (SSM Parameter Store), both roles get read access, and the app fetches
   * the value at start. The values never appear in the template or the function's configuration.
   * @default - none
   */
  readonly secrets?: { [name: string]: HybridSecret };

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
export class HybridAlbService extends Construct implements iam.IGrantable, ec2.IConnectable {
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
  /** Role of the Lambda function. */
  public readonly lambdaRole: iam.IRole;
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
  /** The container running the image in the task. */
  public readonly container: ecs.ContainerDefinition;
  /** Role the app runs with on Fargate (`fargate.taskRole` or a new one). */
  public readonly taskRole: iam.IRole;
  /** Role ECS pulls the image and writes logs with (`fargate.executionRole` or a new one). */
  public readonly executionRole: iam.IRole;
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
  /** The certificate of the HTTPS listener, when there is one. */
  public readonly certificate?: acm.ICertificate;
  /** The alias record for `domainName`. */
  public readonly dnsRecord?: route53.ARecord;
  /**
   * Both roles, the Lambda function's and the Fargate task's: `table.grantReadData(service)` grants to both. A grant
   * that goes into a resource policy (a resource in another account) names both roles there.
   */
  public readonly grantPrincipal: iam.IPrincipal;
  /**
   * The tasks' security group and, with `lambda.attachToVpc`, the function's: `db.connections.allowDefaultPortFrom(service)`
   * admits both sides.
   */
  public readonly connections: ec2.Connections;

  /** The Lambda side's environment, to check Lambda's size limit at synth. */
  private readonly lambdaEnvironment: { [key: string]: string };

  constructor(scope: Construct, id: string, props: HybridAlbServiceProps) {
    super(scope, id);
    const resolved = resolveProps(props);
    const image = props.image.bind(this, { lambdaCommand: resolved.lambda.command, lambdaEntrypoint: resolved.lambda.entrypoint });
    this.vpc = vpcFor(this, resolved);

    const loadBalancer = buildLoadBalancer(this, this.vpc, resolved);
    this.loadBalancer = loadBalancer.loadBalancer;
    this.loadBalancerSecurityGroup = loadBalancer.securityGroup;
    this.certificate = loadBalancer.certificate;
    this.dnsRecord = loadBalancer.dnsRecord;

    const lambdaSide = buildLambdaSide(this, this.vpc, image, resolved);
    this.lambdaFunction = lambdaSide.function;
    this.lambdaRole = lambdaSide.role;
    this.lambdaAlias = lambdaSide.alias;
    this.lambdaSecurityGroup = lambdaSide.securityGroup;
    this.lambdaTargetGroup = lambdaSide.targetGroup;

    const fargateSide = buildFargateSide(this, this.vpc, image, resolved);
    this.cluster = fargateSide.cluster;
    this.taskDefinition = fargateSide.taskDefinition;
    this.container = fargateSide.container;
    this.taskRole = fargateSide.taskDefinition.taskRole;
    this.executionRole = fargateSide.taskDefinition.obtainExecutionRole();
    this.service = fargateSide.service;
    this.serviceSecurityGroup = fargateSide.securityGroup;
    this.fargateTargetGroup = fargateSide.targetGroup;

    this.grantPrincipal = new BothRolesPrincipal([this.lambdaRole, this.taskRole]);
    this.connections = new ec2.Connections({
      securityGroups: this.lambdaSecurityGroup ? [this.serviceSecurityGroup, this.lambdaSecurityGroup] : [this.serviceSecurityGroup],
    });
    for (const secret of Object.values(resolved.secrets)) {
      secret.grantRead(this.grantPrincipal);
    }
    this.lambdaEnvironment = { ...resolved.lambda.environment };
    this.node.addValidation({ validate: () => validateLambdaEnvironmentSize(this.lambdaEnvironment) });

    const listeners = addListeners(loadBalancer, this.lambdaTargetGroup, this.fargateTargetGroup, resolved);
    this.listener = listeners.listener;
    this.redirectListener = listeners.redirectListener;

    this.maxTasks = resolved.fargate.maxTasks;
    this.scalableTaskCount = scaleOnRequests(fargateSide, resolved);

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

  /**
   * Add an environment variable to both sides, like the `environment` prop. The name follows the same rules (Lambda's
   * reserved names, `HYBRID_SIDE` and `PORT` are refused) and must not be set already.
   */
  public addEnvironment(name: string, value: string): void {
    checkEnvironment('addEnvironment', { [name]: value }, CONSTRUCT_VARIABLES);
    if (name in this.lambdaEnvironment) {
      throw new Error(`addEnvironment ${JSON.stringify(name)} is already set (by environment, lambda.environment, secrets or an earlier `
        + 'addEnvironment); a second value would silently replace the first');
    }
    this.lambdaFunction.addEnvironment(name, value);
    this.container.addEnvironment(name, value);
    this.lambdaEnvironment[name] = value;
  }

  /** Add a statement to the policies of both roles, the Lambda function's and the Fargate task's. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.grantPrincipal.addToPrincipalPolicy(statement);
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

  /**
   * Throttled invocations of the Lambda function: it is at its reserved concurrency or the account's limit. The load
   * balancer answers those requests with an error.
   */
  public metricLambdaThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.lambdaFunction.metricThrottles({ period: Duration.minutes(1), ...props });
  }

  /**
   * 5xx responses the load balancer itself returned (no target could answer, a Lambda error or throttle, a timeout),
   * as opposed to the targets' own 5xx.
   */
  public metricLoadBalancer5xx(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(1), ...props });
  }
}

function validateLambdaEnvironmentSize(environment: { [key: string]: string }): string[] {
  try {
    checkLambdaEnvironmentSize(environment);
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}
