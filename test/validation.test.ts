import { CfnParameter, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { build, buildError, resourceOf } from './helpers';
import { HybridAlbServiceProps, HybridSecret } from '../src';

const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

// Every invalid prop fails at synth with a message naming the prop, the value and what is allowed.
describe('props validation', () => {
  test.each([
    ['listenerPort', { listenerPort: 0 }, /listenerPort 0 is not allowed; use an integer from 1 to 65535/],
    ['listenerPort', { listenerPort: 70000 }, /listenerPort 70000 is not allowed; use an integer from 1 to 65535/],
    ['containerPort', { containerPort: 8080.5 }, /containerPort 8080.5 is not allowed; use an integer from 1 to 65535/],
    ['idleTimeout', { idleTimeout: Duration.seconds(4001) }, /idleTimeout 4001 is not allowed; use an integer from 1 to 4000 seconds/],
    ['lambda.memorySize low', { lambda: { memorySize: 64 } }, /lambda.memorySize 64 is not allowed; use an integer from 128 to 10240 MiB/],
    ['lambda.memorySize high', { lambda: { memorySize: 10241 } }, /lambda.memorySize 10241 is not allowed; use an integer from 128 to 10240 MiB/],
    ['lambda.timeout', { idleTimeout: Duration.seconds(1000), lambda: { timeout: Duration.minutes(16) } }, /lambda.timeout 960 is not allowed; use an integer from 1 to 900 seconds \(15 minutes\)/],
    ['lambda.timeout > idleTimeout', { lambda: { timeout: Duration.seconds(61) } }, /lambda.timeout 61 seconds is longer than idleTimeout 60 seconds/],
    ['lambda.reservedConcurrentExecutions', { lambda: { reservedConcurrentExecutions: 0 } }, /lambda.reservedConcurrentExecutions 0 is not allowed; use an integer from 1/],
    ['lambda.provisionedConcurrentExecutions', { lambda: { provisionedConcurrentExecutions: -1 } }, /lambda.provisionedConcurrentExecutions -1 is not allowed/],
    ['provisioned > reserved', { lambda: { provisionedConcurrentExecutions: 5, reservedConcurrentExecutions: 2 } }, /lambda.provisionedConcurrentExecutions 5 exceeds lambda.reservedConcurrentExecutions 2/],
    ['fargate.cpu', { fargate: { cpu: 300 } }, /fargate.cpu 300 is not a Fargate size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384/],
    ['fargate.memoryLimitMiB small list', { fargate: { cpu: 256, memoryLimitMiB: 4096 } }, /fargate.memoryLimitMiB 4096 is not allowed with fargate.cpu 256; use 512, 1024, 2048/],
    ['fargate.memoryLimitMiB range', { fargate: { cpu: 1024, memoryLimitMiB: 1024 } }, /fargate.memoryLimitMiB 1024 is not allowed with fargate.cpu 1024; use 2048 to 8192 in steps of 1024/],
    ['fargate.maxTasks', { fargate: { maxTasks: 0 } }, /fargate.maxTasks 0 is not allowed; use an integer from 1 to 5000/],
    ['fargate.requestsPerTaskPerMinute', { fargate: { requestsPerTaskPerMinute: 0 } }, /fargate.requestsPerTaskPerMinute 0 is not allowed/],
    ['fargate.healthCheckPath', { fargate: { healthCheckPath: 'healthz' } }, /fargate.healthCheckPath "healthz" is not a valid health check path/],
    ['fargate.healthCheckPath space', { fargate: { healthCheckPath: '/health z' } }, /fargate.healthCheckPath "\/health z" is not a valid health check path/],
    ['fargate.healthCheckInterval', { fargate: { healthCheckInterval: Duration.seconds(2) } }, /fargate.healthCheckInterval 2 is not allowed; use an integer from 5 to 300 seconds/],
    ['fargate.healthyThresholdCount', { fargate: { healthyThresholdCount: 1 } }, /fargate.healthyThresholdCount 1 is not allowed; use an integer from 2 to 10/],
    ['fargate.unhealthyThresholdCount', { fargate: { unhealthyThresholdCount: 11 } }, /fargate.unhealthyThresholdCount 11 is not allowed; use an integer from 2 to 10/],
    ['fargate.deregistrationDelay', { fargate: { deregistrationDelay: Duration.hours(2) } }, /fargate.deregistrationDelay 7200 is not allowed; use an integer from 0 to 3600 seconds/],
    ['sslPolicy without certificate', { sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }, /sslPolicy "ELBSecurityPolicy-TLS13-1-2-2021-06" requires certificate or domainName/],
    ['redirectHttp without certificate', { redirectHttp: true }, /redirectHttp true requires certificate or domainName/],
    ['accessLogPrefix without bucket', { accessLogPrefix: 'x' }, /accessLogPrefix "x" requires accessLogBucket/],
    ['environment reserved AWS_', { environment: { AWS_REGION: 'x' } }, /environment key "AWS_REGION" is reserved/],
    ['environment reserved side', { lambda: { environment: { HYBRID_SIDE: 'x' } } }, /lambda.environment key "HYBRID_SIDE" is reserved/],
    ['environment reserved PORT', { fargate: { environment: { PORT: '1' } } }, /fargate.environment key "PORT" is reserved/],
    ['environment invalid name', { environment: { '1BAD': 'x' } }, /environment key "1BAD" is not a valid variable name/],
  ])('%s', (_name, props, message) => {
    expect(buildError(props as any)).toThrow(message);
  });

  test('HTTPS on port 80 conflicts with the redirect listener', () => {
    expect(() => build({ listenerPort: 80 }, stack => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'C', CERT_ARN) })))
      .toThrow(/listenerPort 80 conflicts with the HTTP-to-HTTPS redirect on port 80/);
  });

  test('valid edge values are accepted', () => {
    const { template } = build({
      listenerPort: 65535,
      idleTimeout: Duration.seconds(900),
      lambda: { memorySize: 10240, timeout: Duration.minutes(15) },
      fargate: { cpu: 16384, memoryLimitMiB: 122880, healthCheckInterval: Duration.seconds(300), deregistrationDelay: Duration.seconds(0) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 10240, Timeout: 900 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '16384', Memory: '122880' });
  });
});

// A prop either works with a token or fails up front naming it and saying it must be known at synth.
describe('tokens', () => {
  const number = (stack: Stack) => new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
  const seconds = (stack: Stack) => Duration.seconds(number(stack));

  test.each<[string, (stack: Stack) => Partial<HybridAlbServiceProps>, RegExp]>([
    ['fargate.maxTasks', s => ({ fargate: { maxTasks: number(s) } }), /fargate.maxTasks is a token; it must be known at synth, because it is written into the traffic controller's configuration/],
    ['fargate.requestsPerTaskPerMinute', () => ({ fargate: { requestsPerTaskPerMinute: Lazy.number({ produce: () => 100 }) } }), /fargate.requestsPerTaskPerMinute is a token; it must be known at synth/],
    ['fargate.deregistrationDelay', s => ({ fargate: { deregistrationDelay: seconds(s) } }), /fargate.deregistrationDelay is a token; it must be known at synth, because the traffic controller's drain window is derived from it/],
    ['fargate.healthCheckInterval', s => ({ fargate: { healthCheckInterval: seconds(s) } }), /fargate.healthCheckInterval is a token; it must be known at synth, because the health check timeout is derived from it/],
    ['idleTimeout', s => ({ idleTimeout: seconds(s) }), /idleTimeout is a token; it must be known at synth, because it is checked against lambda.timeout/],
    ['lambda.timeout', s => ({ lambda: { timeout: Duration.minutes(number(s)) } }), /lambda.timeout is a token; it must be known at synth, because it is checked against idleTimeout/],
    ['lambda.provisionedConcurrentExecutions', s => ({ lambda: { provisionedConcurrentExecutions: number(s) } }), /lambda.provisionedConcurrentExecutions is a token; it must be known at synth/],
  ])('%s from a token fails naming the prop', (_prop, configure, message) => {
    expect(() => build({}, configure)).toThrow(message);
  });

  test('scaling.scaleOutRequestsPerMinute from a token becomes the scale-out alarm threshold', () => {
    const built = build({}, stack => ({ scaling: { scaleOutRequestsPerMinute: number(stack) } }));
    expect(resourceOf(built, built.service.controller.scaleOutAlarm).Properties.Threshold).toEqual({ Ref: 'P' });
  });

  test('lambda.memorySize and lambda.reservedConcurrentExecutions from tokens reach the function', () => {
    const built = build({}, stack => ({
      lambda: {
        memorySize: new CfnParameter(stack, 'Memory', { type: 'Number' }).valueAsNumber,
        reservedConcurrentExecutions: new CfnParameter(stack, 'Reserved', { type: 'Number' }).valueAsNumber,
      },
    }));
    expect(resourceOf(built, built.service.lambdaFunction).Properties).toMatchObject({
      MemorySize: { Ref: 'Memory' },
      ReservedConcurrentExecutions: { Ref: 'Reserved' },
    });
  });

  test('fargate.healthCheckGracePeriod from a token reaches the service', () => {
    const built = build({}, stack => ({ fargate: { healthCheckGracePeriod: seconds(stack) } }));
    expect(resourceOf(built, built.service.service).Properties.HealthCheckGracePeriodSeconds).toEqual({ Ref: 'P' });
  });
});

describe('durations that are not whole seconds name the prop', () => {
  test.each<[string, Partial<HybridAlbServiceProps>]>([
    ['idleTimeout', { idleTimeout: Duration.millis(60500) }],
    ['lambda.timeout', { lambda: { timeout: Duration.millis(1500) } }],
    ['fargate.deregistrationDelay', { fargate: { deregistrationDelay: Duration.millis(1500) } }],
    ['fargate.healthCheckInterval', { fargate: { healthCheckInterval: Duration.millis(5500) } }],
    ['fargate.healthCheckGracePeriod', { fargate: { healthCheckGracePeriod: Duration.millis(500) } }],
  ])('%s', (prop, props) => {
    expect(buildError(props)).toThrow(new RegExp(`^${prop.replace('.', '\\.')} "[^"]+" is not a whole number of seconds`));
  });
});

describe('messages', () => {
  test('a string where a number belongs shows as a string', () => {
    expect(buildError({ fargate: { cpu: '512' as any } })).toThrow(/fargate.cpu "512" is not a Fargate size/);
    expect(buildError({ lambda: { memorySize: '1024' as any } })).toThrow(/lambda.memorySize "1024" is not allowed/);
  });

  test('a newline in a value is visible', () => {
    expect(buildError({ fargate: { healthCheckPath: '/health\n' } })).toThrow(/fargate.healthCheckPath "\/health\\n" is not a valid health check path/);
  });

  test('a defaulted value is named as the default', () => {
    expect(buildError({ lambda: { timeout: Duration.seconds(61) } })).toThrow(/lambda.timeout 61 seconds is longer than idleTimeout 60 seconds \(the default\)/);
    expect(buildError({ idleTimeout: Duration.seconds(20) })).toThrow(/lambda.timeout 30 seconds \(the default\) is longer than idleTimeout 20 seconds;/);
    expect(buildError({ fargate: { cpu: 2048 } })).toThrow(/fargate.memoryLimitMiB 1024 \(the default\) is not allowed with fargate.cpu 2048/);
  });
});

describe('VPC', () => {
  test('internetFacing with a VPC that has no public subnets names internetFacing and vpc', () => {
    expect(() => build({}, stack => ({
      vpc: new ec2.Vpc(stack, 'Private', { natGateways: 0, subnetConfiguration: [{ name: 'Iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] }),
    }))).toThrow(/internetFacing true needs public subnets, and vpc TestStack\/Private has none/);
  });

  test('two imports of one VPC are the same VPC: compared by vpcId', () => {
    const attributes = { vpcId: 'vpc-1234', availabilityZones: ['us-east-1a'], publicSubnetIds: ['subnet-1'], privateSubnetIds: ['subnet-2'] };
    const built = build({}, stack => ({
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'A', attributes),
      fargate: { cluster: ecs.Cluster.fromClusterAttributes(stack, 'C', { clusterName: 'shared', vpc: ec2.Vpc.fromVpcAttributes(stack, 'B', attributes) }) },
    }));
    expect(resourceOf(built, built.service.fargateTargetGroup).Properties.VpcId).toBe('vpc-1234');
  });
});

describe('environment', () => {
  test.each(['_HANDLER', '_X_AMZN_TRACE_ID', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'TZ', 'AWS_LAMBDA_FUNCTION_NAME'])('%s is reserved', name => {
    expect(buildError({ environment: { [name]: 'x' } })).toThrow(new RegExp(`environment key "${name}" is reserved`));
  });

  test('a value that is not a string is rejected', () => {
    expect(buildError({ environment: { COUNT: 3 as any } })).toThrow(/environment "COUNT" has the value 3; environment values must be strings/);
  });

  test('more than 4 KB of Lambda environment fails at synth', () => {
    expect(buildError({ environment: { A: 'x'.repeat(2000) }, lambda: { environment: { B: 'y'.repeat(2100) } } }))
      .toThrow(/The Lambda side's environment .* is 41\d\d bytes; Lambda allows 4096 bytes/);
  });

  test('addEnvironment counts towards the 4 KB and follows the same rules', () => {
    expect(() => build().service.addEnvironment('_HANDLER', 'x')).toThrow(/addEnvironment key "_HANDLER" is reserved/);
    expect(() => build({ environment: { MODE: 'a' } }).service.addEnvironment('MODE', 'b')).toThrow(/addEnvironment "MODE" is already set/);
    const { service } = build({ environment: { A: 'x'.repeat(4000) } });
    expect(service.node.validate()).toEqual([]);
    service.addEnvironment('B', 'y'.repeat(100));
    expect(service.node.validate()).toEqual([expect.stringMatching(/The Lambda side's environment .* is 41\d\d bytes/)]);
  });
});

describe('new props', () => {
  test.each<[string, Partial<HybridAlbServiceProps>, RegExp]>([
    ['lambda.ephemeralStorageSize low', { lambda: { ephemeralStorageSize: Size.mebibytes(256) } }, /lambda.ephemeralStorageSize 256 MiB is not allowed; use a whole number of MiB from 512 to 10240/],
    ['lambda.ephemeralStorageSize high', { lambda: { ephemeralStorageSize: Size.gibibytes(11) } }, /lambda.ephemeralStorageSize 11264 MiB is not allowed/],
    ['fargate.ephemeralStorageSize low', { fargate: { ephemeralStorageSize: Size.gibibytes(20) } }, /fargate.ephemeralStorageSize 20 GiB is not allowed; use a whole number of GiB from 21 to 200/],
    ['fargate.ephemeralStorageSize fraction', { fargate: { ephemeralStorageSize: Size.mebibytes(30000) } }, /fargate.ephemeralStorageSize 29.296875 GiB is not allowed/],
    ['fargate.containerName', { fargate: { containerName: 'my app' } }, /fargate.containerName "my app" is not allowed/],
    ['log levels with Text', { lambda: { loggingFormat: lambda.LoggingFormat.TEXT, systemLogLevel: lambda.SystemLogLevel.INFO } }, /lambda.systemLogLevel and lambda.applicationLogLevel need lambda.loggingFormat JSON/],
    ['webAclArn', { webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/1' }, /webAclArn "arn:aws:wafv2:us-east-1:111111111111:global\/webacl\/x\/1" is not the ARN of a regional AWS WAF web ACL/],
    ['domainName without domainZone', { domainName: 'app.example.com' }, /domainName "app.example.com" requires domainZone/],
    ['secrets reserved', { secrets: { _HANDLER: {} as any } }, /secrets key "_HANDLER" is reserved/],
    ['secrets not a HybridSecret', { secrets: { DB: 'arn' as any } }, /secrets "DB" is not a HybridSecret/],
  ])('%s', (_name, props, message) => {
    expect(buildError(props)).toThrow(message);
  });

  test('domainZone without domainName', () => {
    expect(() => build({}, stack => ({ domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z', { hostedZoneId: 'Z1', zoneName: 'example.com' }) })))
      .toThrow(/domainZone requires domainName/);
  });

  test('domainName that is not a domain name', () => {
    expect(() => build({ domainName: 'not a domain' }, stack => ({ domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z', { hostedZoneId: 'Z1', zoneName: 'example.com' }) })))
      .toThrow(/domainName "not a domain" is not a domain name/);
  });

  test('a secret and an environment variable of the same name', () => {
    expect(() => build({ environment: { DB: 'x' } }, stack => ({
      secrets: { DB: HybridSecret.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'db')) },
    }))).toThrow(/secrets key "DB" is also set by environment/);
  });
});
