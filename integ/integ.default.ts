/**
 * The default service around the sample app, and one full round trip of the traffic controller:
 * Lambda answers at deploy; the scale-out alarm moves all traffic to healthy Fargate tasks; the scale-in
 * alarm moves it back to Lambda and the service scales to zero.
 *
 * Ordering: at zero traffic the scale-in alarm is in ALARM by itself (a minute without requests is low
 * load: missing data is breaching), and `setAlarmState` lasts only until the alarm's next evaluation, one
 * minute later. So once the forced scale-out alarm falls back to OK, only `minFargateDuration` keeps traffic
 * on Fargate. It must outlast the scale-out (task start, health checks, the shift-out steps) plus the
 * Fargate-side assertions, or traffic would be on its way back before they run: a value of 0 would make the
 * scenario fail, not finish sooner. The short pauses keep the shifts themselves quick.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import { ECHO_PATH, echoFrom, ELBV2, forwardsWeight, HEALTH_CHECK_PATH, SAMPLE_APP_DIR, scenarioApp } from './shared';
import { HybridAlbService, HybridImage } from '../src';

const app = scenarioApp();
const stack = new Stack(app, 'HybridAlbServiceDefault');
const service = new HybridAlbService(stack, 'Service', {
  image: HybridImage.fromAsset(SAMPLE_APP_DIR),
  fargate: { healthCheckPath: HEALTH_CHECK_PATH },
  scaling: {
    minFargateDuration: Duration.minutes(10),
    shiftOutPause: Duration.seconds(10),
    shiftBackPause: Duration.seconds(10),
  },
});
// Log groups are retained by default; a test run leaves nothing behind.
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'Default', {
  testCases: [stack],
  // The controller's bundle is what the assertions below exercise: a new bundle is a new test.
  diffAssets: true,
});

const url = `http://${service.loadBalancer.loadBalancerDnsName}${ECHO_PATH}`;
// A new load balancer's DNS name takes a little while to resolve everywhere.
const firstAnswer = { totalTimeout: Duration.minutes(3), interval: Duration.seconds(10) };
const controllerStep = { totalTimeout: Duration.minutes(10), interval: Duration.seconds(15) };

function setAlarmState(alarmName: string, stateValue: 'OK' | 'ALARM') {
  return integ.assertions.awsApiCall('CloudWatch', 'setAlarmState', {
    AlarmName: alarmName,
    StateValue: stateValue,
    StateReason: 'integ: forced by integ.default.ts',
  });
}

function listenerWeight(targetGroupArn: string, weight: number) {
  return integ.assertions.awsApiCall(ELBV2, 'describeListeners', { ListenerArns: [service.listener.listenerArn] })
    .expect(forwardsWeight(targetGroupArn, weight));
}

const lambdaAtDeploy = integ.assertions.httpApiCall(url).expect(echoFrom('lambda')).waitForAssertions(firstAnswer);

const scaleOut = setAlarmState(service.controller.scaleOutAlarm.alarmName, 'ALARM');
const fargateHealthy = integ.assertions.awsApiCall(ELBV2, 'describeTargetHealth', {
  TargetGroupArn: service.fargateTargetGroup.targetGroupArn,
}).expect(ExpectedResult.objectLike({
  TargetHealthDescriptions: Match.arrayWith([Match.objectLike({ TargetHealth: Match.objectLike({ State: 'healthy' }) })]),
})).waitForAssertions(controllerStep);
const allOnFargate = listenerWeight(service.fargateTargetGroup.targetGroupArn, 100).waitForAssertions(controllerStep);
const fargateAnswers = integ.assertions.httpApiCall(url).expect(echoFrom('fargate')).waitForAssertions(firstAnswer);

const loadEnds = setAlarmState(service.controller.scaleOutAlarm.alarmName, 'OK');
const scaleIn = setAlarmState(service.controller.scaleInAlarm.alarmName, 'ALARM');
// Waits out what is left of minFargateDuration, then the shift-back steps.
const allOnLambda = listenerWeight(service.lambdaTargetGroup.targetGroupArn, 100)
  .waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });
const scaledToZero = integ.assertions.awsApiCall('ECS', 'describeServices', {
  cluster: service.cluster.clusterName,
  services: [service.service.serviceName],
}).expect(ExpectedResult.objectLike({ services: [Match.objectLike({ desiredCount: 0 })] })).waitForAssertions(controllerStep);
const lambdaAgain = integ.assertions.httpApiCall(url).expect(echoFrom('lambda')).waitForAssertions(firstAnswer);

lambdaAtDeploy
  .next(scaleOut)
  .next(fargateHealthy)
  .next(allOnFargate)
  .next(fargateAnswers)
  .next(loadEnds)
  .next(scaleIn)
  .next(allOnLambda)
  .next(scaledToZero)
  .next(lambdaAgain);
