/**
 * What the integ scenarios share: their app, the sample app in integ/app, and what they expect of it and of the
 * load balancer, as integ-tests matchers. Not a scenario itself: integ-runner only runs files named `integ.*.ts`.
 */
import * as path from 'path';
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';

/**
 * The app of a scenario. It records no creation stack traces: they would put absolute paths and line numbers
 * into the snapshot's metadata files, which then change with every checkout and every edit.
 */
export function scenarioApp(): App {
  return new App({ stackTraces: false, context: { [cxapi.DISABLE_CREATION_STACK_TRACES]: true } });
}

/** The sample app: one image serving HTTP on Fargate and ALB events on Lambda. */
export const SAMPLE_APP_DIR = path.join(__dirname, 'app');

/** The sample app's health route (`200 { status: 'ok' }` on both sides). */
export const HEALTH_CHECK_PATH = '/healthz';

/** The request the scenarios send through the load balancer. */
export const ECHO_PATH = '/echo?x=1';

/**
 * The service name for `awsApiCall` on Elastic Load Balancing v2. integ-tests derives both the SDK client and the
 * IAM action prefix from it: `ELBv2` gives `@aws-sdk/client-elastic-load-balancing-v2` and
 * `elasticloadbalancing:*`, while `ElasticLoadBalancingV2` gives a client that does not exist and an
 * `elasticloadbalancingv2:*` action that IAM does not know (cfn-lint W3037 reports it).
 */
export const ELBV2 = 'ELBv2';

/** Which side of the service answered. */
export type Side = 'lambda' | 'fargate';

/** An `httpApiCall` result: the sample app's answer to `GET /echo?x=1`, from `side`. */
export function echoFrom(side: Side): ExpectedResult {
  return ExpectedResult.objectLike({
    status: 200,
    headers: Match.objectLike({ 'x-served-by': [side] }),
    body: Match.objectLike({ side, method: 'GET', path: '/echo', query: { x: '1' } }),
  });
}

/** A `describeListeners` result for one listener whose weighted forward gives `weight` to `targetGroupArn`. */
export function forwardsWeight(targetGroupArn: string, weight: number): ExpectedResult {
  return ExpectedResult.objectLike({
    Listeners: [Match.objectLike({
      DefaultActions: [Match.objectLike({
        Type: 'forward',
        ForwardConfig: Match.objectLike({
          TargetGroups: Match.arrayWith([Match.objectLike({ TargetGroupArn: targetGroupArn, Weight: weight })]),
        }),
      })],
    })],
  });
}
