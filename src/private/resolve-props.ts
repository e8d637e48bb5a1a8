import { Duration, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  checkEnvironment,
  checkFargateSize,
  checkHealthCheckPath,
  checkIntegerRange,
  checkPort,
  fail,
} from './validation';
import type { HybridAlbServiceProps } from '../hybrid-alb-service';
import type { HybridImage } from '../hybrid-image';

/** The environment variable each side receives to tell the app where it runs (`lambda` or `fargate`). */
export const SIDE_ENVIRONMENT_VARIABLE = 'HYBRID_SIDE';

/** The props with every default applied, validated: what the builders of the parts read. */
export interface ResolvedProps {
  readonly image: HybridImage;
  /** The VPC the user gave, directly or through `fargate.cluster`. */
  readonly vpc?: ec2.IVpc;
  readonly internetFacing: boolean;
  readonly certificate?: acm.ICertificate;
  readonly listenerPort: number;
  readonly redirectHttp: boolean;
  readonly sslPolicy: elbv2.SslPolicy;
  readonly idleTimeout: Duration;
  readonly accessLogBucket?: s3.IBucket;
  readonly accessLogPrefix?: string;
  readonly containerPort: number;
  readonly lambda: {
    readonly memorySize: number;
    readonly timeout: Duration;
    readonly reservedConcurrentExecutions?: number;
    readonly provisionedConcurrentExecutions?: number;
    /** The shared environment, the Lambda side's own, and the side variable. */
    readonly environment: { [key: string]: string };
    readonly command?: string[];
    readonly entrypoint?: string[];
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
    /** The shared environment, the Fargate side's own, the side variable and `PORT`. */
    readonly environment: { [key: string]: string };
    readonly cluster?: ecs.ICluster;
    readonly taskSubnets?: ec2.SubnetSelection;
    readonly healthCheckPath: string;
    readonly healthCheckInterval: Duration;
    readonly healthyThresholdCount: number;
    readonly unhealthyThresholdCount: number;
    readonly deregistrationDelay: Duration;
    readonly logRetention: logs.RetentionDays;
  };
}

/** Apply defaults and validate. Every error names the prop, the value and what is allowed. */
export function resolveProps(props: HybridAlbServiceProps): ResolvedProps {
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
  if (props.vpc && props.fargate?.cluster && props.fargate.cluster.vpc !== props.vpc) {
    fail(`vpc ${props.vpc.node.path} differs from the VPC of fargate.cluster ${props.fargate.cluster.node.path}; `
      + 'the tasks, their security group and the target group must share one VPC: pass the cluster\'s VPC or omit vpc');
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
    image: props.image,
    vpc: props.vpc ?? fargateProps.cluster?.vpc,
    internetFacing: props.internetFacing ?? true,
    certificate: props.certificate,
    listenerPort,
    redirectHttp,
    sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
    idleTimeout,
    accessLogBucket: props.accessLogBucket,
    accessLogPrefix: props.accessLogPrefix,
    containerPort,
    lambda: {
      memorySize,
      timeout,
      reservedConcurrentExecutions: lambdaProps.reservedConcurrentExecutions,
      provisionedConcurrentExecutions: lambdaProps.provisionedConcurrentExecutions,
      environment: { ...props.environment, ...lambdaProps.environment, [SIDE_ENVIRONMENT_VARIABLE]: 'lambda' },
      command: lambdaProps.command,
      entrypoint: lambdaProps.entrypoint,
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
      environment: {
        ...props.environment,
        ...fargateProps.environment,
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
    },
  };
}
