import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { build, buildError } from './helpers';

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
