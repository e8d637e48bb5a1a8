/**
 * The Lambda side attached to a VPC the user brings (`lambda.attachToVpc`), with a NAT gateway so the
 * function keeps its outbound internet access. The load balancer stays internet-facing, so the request goes
 * the whole way: client, load balancer, Lambda target group, the function's network interfaces in the
 * private subnets.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ECHO_PATH, echoFrom, HEALTH_CHECK_PATH, SAMPLE_APP_DIR, scenarioApp } from './shared';
import { HybridAlbService, HybridImage } from '../src';

const app = scenarioApp();
const stack = new Stack(app, 'HybridAlbServiceLambdaInVpc');
const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1 });
const service = new HybridAlbService(stack, 'Service', {
  image: HybridImage.fromAsset(SAMPLE_APP_DIR),
  vpc,
  lambda: { attachToVpc: true },
  fargate: { healthCheckPath: HEALTH_CHECK_PATH },
});
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'LambdaInVpc', { testCases: [stack] });

const inVpc = integ.assertions.awsApiCall('Lambda', 'getFunctionConfiguration', {
  FunctionName: service.lambdaFunction.functionName,
}).expect(ExpectedResult.objectLike({
  State: 'Active',
  VpcConfig: Match.objectLike({
    VpcId: vpc.vpcId,
    SecurityGroupIds: [service.lambdaSecurityGroup!.securityGroupId],
  }),
}));

const answers = integ.assertions.httpApiCall(`http://${service.loadBalancer.loadBalancerDnsName}${ECHO_PATH}`)
  .expect(echoFrom('lambda'))
  .waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(10) });

inVpc.next(answers);
