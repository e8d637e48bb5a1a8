/**
 * HTTPS with a certificate the user brings, imported by ARN: an HTTPS listener on 443 with the recommended
 * TLS policy, and port 80 answering with a permanent redirect to it.
 *
 * The certificate comes from the context key `certificateArn` (`cdk deploy -c certificateArn=...`), or from
 * the environment variable HYBRID_INTEG_CERTIFICATE_ARN, which is how to pass it through integ-runner (it has
 * no context option). Without either, a placeholder ARN keeps the committed snapshot the same on every
 * machine; a deployment needs a real, issued certificate in the deployment's account and region.
 *
 * The assertions read the listeners back from the load balancer rather than call it over HTTPS: the
 * certificate's domain is not the load balancer's DNS name, so a TLS client would reject the connection,
 * and following the redirect from port 80 ends in that same connection.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { ELBV2, HEALTH_CHECK_PATH, SAMPLE_APP_DIR, scenarioApp } from './shared';
import { HybridAlbService, HybridImage } from '../src';

/** Documented placeholder; it names no real certificate, so a deployment with it fails at the listener. */
const PLACEHOLDER_CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';

const app = scenarioApp();
const certificateArn: string = app.node.tryGetContext('certificateArn')
  ?? process.env.HYBRID_INTEG_CERTIFICATE_ARN
  ?? PLACEHOLDER_CERTIFICATE_ARN;

const stack = new Stack(app, 'HybridAlbServiceHttps');
const service = new HybridAlbService(stack, 'Service', {
  image: HybridImage.fromAsset(SAMPLE_APP_DIR),
  certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', certificateArn),
  fargate: { healthCheckPath: HEALTH_CHECK_PATH },
});
RemovalPolicies.of(stack).destroy();

const integ = new IntegTest(app, 'Https', { testCases: [stack] });

const httpsListener = integ.assertions.awsApiCall(ELBV2, 'describeListeners', {
  ListenerArns: [service.listener.listenerArn],
}).expect(ExpectedResult.objectLike({
  Listeners: [Match.objectLike({
    Port: 443,
    Protocol: 'HTTPS',
    SslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    Certificates: [Match.objectLike({ CertificateArn: certificateArn })],
  })],
}));

const redirect = integ.assertions.awsApiCall(ELBV2, 'describeListeners', {
  ListenerArns: [service.redirectListener!.listenerArn],
}).expect(ExpectedResult.objectLike({
  Listeners: [Match.objectLike({
    Port: 80,
    Protocol: 'HTTP',
    DefaultActions: [Match.objectLike({
      Type: 'redirect',
      RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }),
    })],
  })],
}));

httpsListener.next(redirect);
