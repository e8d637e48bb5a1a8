/**
 * An internal load balancer in a VPC the user brings (public and private subnets, one NAT gateway): the load
 * balancer, the tasks and nothing else sit in the private subnets.
 *
 * The assertions run in Lambda functions of the assertions stack, outside the VPC, so an `httpApiCall` cannot
 * reach an internal load balancer: its DNS name resolves to private addresses only. They check instead that
 * AWS made the load balancer internal, and invoke the Lambda side directly with the event the load balancer
 * would send it.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ELBV2, HEALTH_CHECK_PATH, SAMPLE_APP_DIR, scenarioApp } from './shared';
import { HybridAlbService, HybridImage } from '../src';

const app = scenarioApp();
const stack = new Stack(app, 'HybridAlbServiceInternalVpc');
const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1 });
const service = new HybridAlbService(stack, 'Service', {
  image: HybridImage.fromAsset(SAMPLE_APP_DIR),
  vpc,
  internetFacing: false,
  fargate: { healthCheckPath: HEALTH_CHECK_PATH },
});
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'InternalVpc', { testCases: [stack] });

const internal = integ.assertions.awsApiCall(ELBV2, 'describeLoadBalancers', {
  LoadBalancerArns: [service.loadBalancer.loadBalancerArn],
}).expect(ExpectedResult.objectLike({
  LoadBalancers: [Match.objectLike({ Scheme: 'internal', Type: 'application', VpcId: vpc.vpcId })],
}));

/**
 * An ALB Lambda-target event in multi-value mode (the construct's default), as documented in
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 */
const albEvent = {
  requestContext: { elb: { targetGroupArn: service.lambdaTargetGroup.targetGroupArn } },
  httpMethod: 'GET',
  path: '/echo',
  multiValueQueryStringParameters: { x: ['1'] },
  multiValueHeaders: { 'accept': ['application/json'], 'host': ['internal.example'], 'x-forwarded-proto': ['http'] },
  body: '',
  isBase64Encoded: false,
};
const lambdaAnswers = integ.assertions.invokeFunction({
  functionName: service.lambdaFunction.functionName,
  payload: stack.toJsonString(albEvent),
}).expect(ExpectedResult.objectLike({
  StatusCode: 200,
  Payload: Match.serializedJson(Match.objectLike({
    statusCode: 200,
    body: Match.serializedJson(Match.objectLike({ side: 'lambda', path: '/echo', query: { x: '1' } })),
  })),
}));

internal.next(lambdaAnswers);
