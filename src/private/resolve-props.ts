import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  checkEnvironment,
  checkEnvironmentName,
  checkFargateSize,
  checkHealthCheckPath,
  checkIntegerRange,
  checkKnown,
  checkPort,
  checkSize,
  durationSeconds,
  fail,
  show,
} from './validation';
import { SIZING_DEFAULTS } from '../controller/tunables';
import type { HybridAlbServiceProps } from '../hybrid-alb-service';
import type { HybridImage } from '../hybrid-image';
import type { HybridSecret } from '../hybrid-secret';

/** The environment variable each side receives to tell the app where it runs (`lambda` or `fargate`). */
export const SIDE_ENVIRONMENT_VARIABLE = 'HYBRID_SIDE';

/** Names the construct sets on both sides (Fargate also gets `PORT`), so props may not set them. */
export const CONSTRUCT_VARIABLES = [SIDE_ENVIRONMENT_VARIABLE, 'PORT'];

/** The props with every default applied, validated: what the builders of the parts read. */
export interface ResolvedProps {
  readonly image: HybridImage;
  /** The VPC the user gave, directly or through `fargate.cluster`. */
  readonly vpc?: ec2.IVpc;
  readonly internetFacing: boolean;
  /** Whether the listener is HTTPS: a certificate was given, or one is made for `domainName`. */
  readonly https: boolean;
  readonly certificate?: acm.ICertificate;
  readonly domainName?: string;
  readonly domainZone?: route53.IHostedZone;
  readonly listenerPort: number;
  readonly redirectHttp: boolean;
  readonly sslPolicy: elbv2.SslPolicy;
  readonly idleTimeout: Duration;
  readonly accessLogBucket?: s3.IBucket;
  readonly accessLogPrefix?: string;
  readonly deletionProtection: boolean;
  readonly webAclArn?: string;
  readonly containerPort: number;
  readonly secrets: { [name: string]: HybridSecret };
  readonly lambda: {
    readonly memorySize: number;
    readonly timeout: Duration;
    readonly reservedConcurrentExecutions?: number;
    readonly provisionedConcurrentExecutions?: number;
    /** The shared environment, the Lambda side's own, the secrets' references and the side variable. */
    readonly environment: { [key: string]: string };
    readonly command?: string[];
    readonly entrypoint?: string[];
    readonly attachToVpc: boolean;
    readonly multiValueHeaders: boolean;
    readonly healthCheck: boolean;
    readonly logRetention: logs.RetentionDays;
    readonly loggingFormat: lambda.LoggingFormat;
    /** Unset with the Text format, which has no log levels. */
    readonly systemLogLevel?: lambda.SystemLogLevel;
    readonly applicationLogLevel?: lambda.ApplicationLogLevel;
    readonly ephemeralStorageSize?: Size;
  };
  readonly fargate: {
    readonly cpu: number;
    readonly memoryLimitMiB: number;
    readonly maxTasks: number;
    readonly requestsPerTaskPerMinute: number;
    /** The shared environment, the Fargate side's own, the secrets' references, the side variable and `PORT`. */
    readonly environment: { [key: string]: string };
    readonly cluster?: ecs.ICluster;
    readonly taskSubnets?: ec2.SubnetSelection;
    readonly healthCheckPath: string;
    readonly healthCheckInterval: Duration;
    readonly healthyThresholdCount: number;
    readonly unhealthyThresholdCount: number;
    readonly deregistrationDelay: Duration;
    readonly logRetention: logs.RetentionDays;
    readonly taskRole?: iam.IRole;
    readonly executionRole?: iam.IRole;
    readonly enableExecuteCommand: boolean;
    readonly healthCheckGracePeriod: Duration;
    readonly containerName: string;
    readonly ephemeralStorageGiB?: number;
  };
}

/** Apply defaults and validate. Every error names the prop, the value and what is allowed. */
export function resolveProps(props: HybridAlbServiceProps): ResolvedProps {
  if (!props.image) {
    fail('image is required; use HybridImage.fromAsset(directory) or HybridImage.fromEcr(repository, tagOrDigest)');
  }
  checkDomain(props);
  const hasCertificate = props.certificate !== undefined || props.domainName !== undefined;
  if (props.sslPolicy !== undefined && !hasCertificate) {
    fail(`sslPolicy ${show(props.sslPolicy)} requires certificate or domainName; either gives an HTTPS listener`);
  }
  if (props.redirectHttp === true && !hasCertificate) {
    fail('redirectHttp true requires certificate or domainName; an HTTP-to-HTTPS redirect needs an HTTPS listener');
  }
  if (props.accessLogPrefix !== undefined && props.accessLogBucket === undefined) {
    fail(`accessLogPrefix ${show(props.accessLogPrefix)} requires accessLogBucket`);
  }
  checkWebAclArn(props.webAclArn);
  const vpc = checkVpc(props);

  const listenerPort = props.listenerPort ?? (hasCertificate ? 443 : 80);
  checkPort('listenerPort', listenerPort);
  const redirectHttp = props.redirectHttp ?? hasCertificate;
  if (hasCertificate && redirectHttp && listenerPort === 80) {
    fail('listenerPort 80 conflicts with the HTTP-to-HTTPS redirect on port 80; use another listenerPort or redirectHttp false');
  }
  const containerPort = props.containerPort ?? 8080;
  checkPort('containerPort', containerPort);

  const idleTimeout = props.idleTimeout ?? Duration.seconds(60);
  const idleSeconds = durationSeconds('idleTimeout', idleTimeout, 1, 4000, 'it is checked against lambda.timeout');

  const lambdaProps = props.lambda ?? {};
  const memorySize = lambdaProps.memorySize ?? 1024;
  checkIntegerRange('lambda.memorySize', memorySize, 128, 10240, 'MiB');
  const timeout = lambdaProps.timeout ?? Duration.seconds(30);
  const timeoutSeconds = durationSeconds('lambda.timeout', timeout, 1, 900, 'it is checked against idleTimeout', 'seconds (15 minutes)');
  if (timeoutSeconds > idleSeconds) {
    fail(`lambda.timeout ${timeoutSeconds} seconds${lambdaProps.timeout ? '' : ' (the default)'} is longer than idleTimeout `
      + `${idleSeconds} seconds${props.idleTimeout ? '' : ' (the default)'}; the load balancer would close connections that a running `
      + 'invocation still answers. Raise idleTimeout or lower lambda.timeout');
  }
  const reserved = lambdaProps.reservedConcurrentExecutions;
  const provisioned = lambdaProps.provisionedConcurrentExecutions;
  checkIntegerRange('lambda.reservedConcurrentExecutions', reserved, 1, 100000);
  checkKnown('lambda.provisionedConcurrentExecutions', provisioned, 'CDK checks it when it creates the live alias');
  checkIntegerRange('lambda.provisionedConcurrentExecutions', provisioned, 1, 100000);
  if (provisioned !== undefined && reserved !== undefined && !Token.isUnresolved(reserved) && provisioned > reserved) {
    fail(`lambda.provisionedConcurrentExecutions ${provisioned} exceeds lambda.reservedConcurrentExecutions ${reserved}; use at most the reserved concurrency`);
  }
  const logging = resolveLogging(lambdaProps);
  checkSize('lambda.ephemeralStorageSize', lambdaProps.ephemeralStorageSize, 512, 10240, 'MiB');

  const fargateProps = props.fargate ?? {};
  checkEnvironment('environment', props.environment, CONSTRUCT_VARIABLES);
  checkEnvironment('lambda.environment', lambdaProps.environment, CONSTRUCT_VARIABLES);
  checkEnvironment('fargate.environment', fargateProps.environment, CONSTRUCT_VARIABLES);
  const secrets = props.secrets ?? {};
  const secretReferences = resolveSecretReferences(secrets, props);

  const cpu = fargateProps.cpu ?? 512;
  const memoryLimitMiB = fargateProps.memoryLimitMiB ?? 1024;
  checkFargateSize(cpu, memoryLimitMiB, fargateProps.memoryLimitMiB === undefined);
  const maxTasks = fargateProps.maxTasks ?? SIZING_DEFAULTS.maxTasks;
  checkKnown('fargate.maxTasks', maxTasks, 'it is written into the traffic controller\'s configuration');
  checkIntegerRange('fargate.maxTasks', maxTasks, 1, 5000);
  const requestsPerTaskPerMinute = fargateProps.requestsPerTaskPerMinute ?? SIZING_DEFAULTS.requestsPerTaskPerMinute;
  checkKnown('fargate.requestsPerTaskPerMinute', requestsPerTaskPerMinute, 'it is written into the traffic controller\'s configuration');
  checkIntegerRange('fargate.requestsPerTaskPerMinute', requestsPerTaskPerMinute, 1, 10_000_000);
  const healthCheckPath = fargateProps.healthCheckPath ?? '/';
  checkHealthCheckPath('fargate.healthCheckPath', healthCheckPath);
  const healthCheckInterval = fargateProps.healthCheckInterval ?? Duration.seconds(5);
  durationSeconds('fargate.healthCheckInterval', healthCheckInterval, 5, 300, 'the health check timeout is derived from it');
  const healthyThresholdCount = fargateProps.healthyThresholdCount ?? 2;
  checkIntegerRange('fargate.healthyThresholdCount', healthyThresholdCount, 2, 10);
  const unhealthyThresholdCount = fargateProps.unhealthyThresholdCount ?? 2;
  checkIntegerRange('fargate.unhealthyThresholdCount', unhealthyThresholdCount, 2, 10);
  const deregistrationDelay = fargateProps.deregistrationDelay ?? Duration.seconds(15);
  durationSeconds('fargate.deregistrationDelay', deregistrationDelay, 0, 3600, 'the traffic controller\'s drain window is derived from it');
  const healthCheckGracePeriod = fargateProps.healthCheckGracePeriod ?? Duration.seconds(60);
  if (!healthCheckGracePeriod.isUnresolved()) {
    durationSeconds('fargate.healthCheckGracePeriod', healthCheckGracePeriod, 0, 2147483647, '');
  }
  const containerName = fargateProps.containerName ?? 'app';
  if (!Token.isUnresolved(containerName) && !/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/.test(containerName)) {
    fail(`fargate.containerName ${show(containerName)} is not allowed; use up to 255 letters, digits, hyphens and underscores`);
  }
  checkSize('fargate.ephemeralStorageSize', fargateProps.ephemeralStorageSize, 21, 200, 'GiB');

  return {
    image: props.image,
    vpc,
    internetFacing: props.internetFacing ?? true,
    https: hasCertificate,
    certificate: props.certificate,
    domainName: props.domainName,
    domainZone: props.domainZone,
    listenerPort,
    redirectHttp,
    sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
    idleTimeout,
    accessLogBucket: props.accessLogBucket,
    accessLogPrefix: props.accessLogPrefix,
    deletionProtection: props.deletionProtection ?? false,
    webAclArn: props.webAclArn,
    containerPort,
    secrets,
    lambda: {
      memorySize,
      timeout,
      reservedConcurrentExecutions: reserved,
      provisionedConcurrentExecutions: provisioned,
      environment: { ...props.environment, ...lambdaProps.environment, ...secretReferences, [SIDE_ENVIRONMENT_VARIABLE]: 'lambda' },
      command: lambdaProps.command,
      entrypoint: lambdaProps.entrypoint,
      attachToVpc: lambdaProps.attachToVpc ?? false,
      multiValueHeaders: lambdaProps.multiValueHeaders ?? true,
      healthCheck: lambdaProps.healthCheck ?? false,
      logRetention: lambdaProps.logRetention ?? logs.RetentionDays.ONE_MONTH,
      ...logging,
      ephemeralStorageSize: lambdaProps.ephemeralStorageSize,
    },
    fargate: {
      cpu,
      memoryLimitMiB,
      maxTasks,
      requestsPerTaskPerMinute,
      environment: {
        ...props.environment,
        ...fargateProps.environment,
        ...secretReferences,
        [SIDE_ENVIRONMENT_VARIABLE]: 'fargate',
        PORT: String(containerPort),
      },
      cluster: fargateProps.cluster,
      taskSubnets: fargateProps.taskSubnets,
      healthCheckPath,
      healthCheckInterval,
      healthyThresholdCount,
      unhealthyThresholdCount,
      deregistrationDelay,
      logRetention: fargateProps.logRetention ?? logs.RetentionDays.ONE_MONTH,
      taskRole: fargateProps.taskRole,
      executionRole: fargateProps.executionRole,
      enableExecuteCommand: fargateProps.enableExecuteCommand ?? false,
      healthCheckGracePeriod,
      containerName,
      ephemeralStorageGiB: fargateProps.ephemeralStorageSize?.toGibibytes(),
    },
  };
}

function checkDomain(props: HybridAlbServiceProps): void {
  if (props.domainName !== undefined && props.domainZone === undefined) {
    fail(`domainName ${show(props.domainName)} requires domainZone, the hosted zone that gets the alias record `
      + '(and the DNS validation records of the certificate when no certificate is given)');
  }
  if (props.domainZone !== undefined && props.domainName === undefined) {
    fail('domainZone requires domainName, the name of the alias record for the load balancer');
  }
  if (props.domainName !== undefined && !Token.isUnresolved(props.domainName)
    && !/^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}\.?$/.test(props.domainName)) {
    fail(`domainName ${show(props.domainName)} is not a domain name; use a fully qualified name such as "app.example.com"`);
  }
}

function checkWebAclArn(webAclArn: string | undefined): void {
  if (webAclArn === undefined || Token.isUnresolved(webAclArn)) {
    return;
  }
  if (!/^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[\w-]+\/[\w-]+$/.test(webAclArn)) {
    fail(`webAclArn ${show(webAclArn)} is not the ARN of a regional AWS WAF web ACL; use `
      + '"arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>" (a CLOUDFRONT-scoped web ACL cannot protect a load balancer)');
  }
}

/**
 * The VPC the user gave, directly or through `fargate.cluster`. Two imports of one VPC are the same VPC: they are
 * compared by `vpcId`.
 */
function checkVpc(props: HybridAlbServiceProps): ec2.IVpc | undefined {
  const clusterVpc = props.fargate?.cluster?.vpc;
  if (props.vpc && clusterVpc && props.vpc !== clusterVpc && !sameVpcId(props.vpc, clusterVpc)) {
    fail(`vpc ${props.vpc.node.path} differs from the VPC of fargate.cluster ${props.fargate!.cluster!.node.path}; `
      + 'the tasks, their security group and the target group must share one VPC: pass the cluster\'s VPC or omit vpc');
  }
  const vpc = props.vpc ?? clusterVpc;
  if (vpc && (props.internetFacing ?? true) && vpc.publicSubnets.length === 0) {
    fail(`internetFacing true needs public subnets, and vpc ${vpc.node.path} has none; add public subnets to vpc, `
      + 'or set internetFacing false for an internal load balancer');
  }
  return vpc;
}

function sameVpcId(a: ec2.IVpc, b: ec2.IVpc): boolean {
  const idOf = (vpc: ec2.IVpc) => JSON.stringify(Stack.of(vpc).resolve(vpc.vpcId));
  return idOf(a) === idOf(b);
}

/** One variable per secret, holding its reference; the names follow the environment's rules and do not collide. */
function resolveSecretReferences(secrets: { [name: string]: HybridSecret }, props: HybridAlbServiceProps): { [name: string]: string } {
  const references: { [name: string]: string } = {};
  const environmentNames = new Set([
    ...Object.keys(props.environment ?? {}),
    ...Object.keys(props.lambda?.environment ?? {}),
    ...Object.keys(props.fargate?.environment ?? {}),
  ]);
  for (const [name, secret] of Object.entries(secrets)) {
    checkEnvironmentName('secrets', name, CONSTRUCT_VARIABLES);
    if (environmentNames.has(name)) {
      fail(`secrets key ${show(name)} is also set by environment, lambda.environment or fargate.environment; use one of them`);
    }
    if (!secret || typeof secret.reference !== 'string') {
      fail(`secrets ${show(name)} is not a HybridSecret; use HybridSecret.fromSecretsManager(secret) or HybridSecret.fromSsmParameter(parameter)`);
    }
    references[name] = secret.reference;
  }
  return references;
}

interface Logging {
  readonly loggingFormat: lambda.LoggingFormat;
  readonly systemLogLevel?: lambda.SystemLogLevel;
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
}

/**
 * JSON logs with the system level at WARN, so Lambda's per-invocation platform lines are not ingested; the app's
 * lines stay at INFO (lines that are not JSON count as INFO, so plain-text logging still arrives).
 */
function resolveLogging(options: NonNullable<HybridAlbServiceProps['lambda']>): Logging {
  const loggingFormat = options.loggingFormat ?? lambda.LoggingFormat.JSON;
  if (loggingFormat === lambda.LoggingFormat.TEXT) {
    if (options.systemLogLevel !== undefined || options.applicationLogLevel !== undefined) {
      fail('lambda.systemLogLevel and lambda.applicationLogLevel need lambda.loggingFormat JSON; Lambda filters log levels only in the JSON format');
    }
    return { loggingFormat };
  }
  return {
    loggingFormat,
    systemLogLevel: options.systemLogLevel ?? lambda.SystemLogLevel.WARN,
    applicationLogLevel: options.applicationLogLevel ?? lambda.ApplicationLogLevel.INFO,
  };
}
