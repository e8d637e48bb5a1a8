import { Annotations, Duration, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbv2Targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HybridImageConfig } from './hybrid-image';
import { acknowledgeManagedPolicy } from './private/nag';
import { ResolvedProps } from './private/resolve-props';
import { privateOrPublicSubnetType } from './private/vpc';

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
   * Attach the function to the VPC (for private resources), in its private subnets if it has any. The role then gets
   * `AWSLambdaVPCAccessExecutionRole` for the network interfaces. Without NAT or endpoints the function has no internet
   * access; in a VPC with only public subnets it has none either (a synth warning says so).
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

  /**
   * Log format of the function. JSON lets Lambda filter by level, so the per-invocation START, END and REPORT lines
   * (billed as log ingestion) are left out at the default `systemLogLevel`.
   * @default lambda.LoggingFormat.JSON
   */
  readonly loggingFormat?: lambda.LoggingFormat;

  /**
   * Level of the logs Lambda itself writes (JSON format only). WARN keeps failed invocations and drops the START and
   * REPORT lines of successful ones; INFO restores them.
   * @default lambda.SystemLogLevel.WARN
   */
  readonly systemLogLevel?: lambda.SystemLogLevel;

  /**
   * Level of the app's logs that Lambda sends on (JSON format only). Lines that are not JSON count as INFO.
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;

  /**
   * Size of the function's `/tmp` (512 MiB to 10240 MiB). Above 512 MiB it bills per GB-second.
   * @default Size.mebibytes(512)
   */
  readonly ephemeralStorageSize?: Size;
}

/** What Lambda needs to create and delete the function's network interfaces in the VPC. */
const VPC_ACCESS_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';

/** What the Lambda side is made of. */
export interface LambdaSidePart {
  readonly function: lambda.DockerImageFunction;
  readonly role: iam.Role;
  readonly alias?: lambda.Alias;
  readonly securityGroup?: ec2.SecurityGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * The function running the image, with a role of its own that writes only to its log group, the `live` alias when
 * provisioned concurrency is set, and the target group (health checks off unless asked for: each is an invocation).
 */
export function buildLambdaSide(scope: Construct, vpc: ec2.IVpc, image: HybridImageConfig, resolved: ResolvedProps): LambdaSidePart {
  const options = resolved.lambda;
  const subnetType = privateOrPublicSubnetType(vpc);
  const securityGroup = options.attachToVpc
    ? new ec2.SecurityGroup(scope, 'LambdaSecurityGroup', {
      vpc,
      description: `Lambda side of ${scope.node.path}`,
      allowAllOutbound: true,
    })
    : undefined;
  const logGroup = new logs.LogGroup(scope, 'LambdaLogs', { retention: options.logRetention });
  // Own role instead of AWSLambdaBasicExecutionRole: logs go only to this function's log group.
  const role = new iam.Role(scope, 'FunctionRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Lambda side of ${scope.node.path}`,
  });
  logGroup.grantWrite(role);
  if (options.attachToVpc) {
    // CDK adds this policy only to the roles it creates; this role is the construct's own.
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(VPC_ACCESS_POLICY));
    acknowledgeManagedPolicy(role, VPC_ACCESS_POLICY,
      'The only managed policy on this role is AWSLambdaVPCAccessExecutionRole: Lambda needs ec2:CreateNetworkInterface and related calls, which take no resource scoping, to attach to the VPC (lambda.attachToVpc: true).');
    if (subnetType === ec2.SubnetType.PUBLIC) {
      Annotations.of(scope).addWarningV2('hybrid-alb-service:lambdaInPublicSubnets',
        'lambda.attachToVpc puts the function in public subnets, the only ones the VPC has: a function there gets no public IP, '
        + 'so it has no internet access. Use a VPC with private subnets and a NAT gateway, or VPC endpoints for the services it calls.');
    }
  }
  const fn = new lambda.DockerImageFunction(scope, 'Function', {
    code: image.lambdaCode,
    architecture: image.lambdaArchitecture,
    memorySize: options.memorySize,
    timeout: options.timeout,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    environment: options.environment,
    logGroup,
    role,
    vpc: options.attachToVpc ? vpc : undefined,
    vpcSubnets: options.attachToVpc ? { subnetType } : undefined,
    allowPublicSubnet: options.attachToVpc && subnetType === ec2.SubnetType.PUBLIC ? true : undefined,
    securityGroups: securityGroup ? [securityGroup] : undefined,
    description: `Lambda side of ${scope.node.path}`,
    loggingFormat: options.loggingFormat,
    systemLogLevelV2: options.systemLogLevel,
    applicationLogLevelV2: options.applicationLogLevel,
    ephemeralStorageSize: options.ephemeralStorageSize,
  });
  const alias = options.provisionedConcurrentExecutions !== undefined
    ? new lambda.Alias(scope, 'LiveAlias', {
      aliasName: 'live',
      version: fn.currentVersion,
      provisionedConcurrentExecutions: options.provisionedConcurrentExecutions,
    })
    : undefined;
  const targetGroup = new elbv2.ApplicationTargetGroup(scope, 'LambdaTargetGroup', {
    targetType: elbv2.TargetType.LAMBDA,
    targets: [new elbv2Targets.LambdaTarget(alias ?? fn)],
    healthCheck: options.healthCheck
      ? { enabled: true, path: resolved.fargate.healthCheckPath, interval: Duration.seconds(35), timeout: Duration.seconds(30) }
      : { enabled: false },
  });
  targetGroup.setAttribute('lambda.multi_value_headers.enabled', String(options.multiValueHeaders));
  return { function: fn, role, alias, securityGroup, targetGroup };
}
