import { Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledgeRule } from './private/nag';
import { ResolvedProps } from './private/resolve-props';
import { fail } from './private/validation';
import { privateOrPublicSubnetType } from './private/vpc';

/** The load balancer, its security group, and who may reach its listeners. */
export interface LoadBalancerPart {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  /** The world when internet-facing, otherwise the VPC's CIDR. */
  readonly clients: ec2.IPeer;
  /** The certificate of the HTTPS listener: the one given, or a DNS-validated one for `domainName`. */
  readonly certificate?: acm.ICertificate;
  /** The alias record for `domainName`. */
  readonly dnsRecord?: route53.ARecord;
}

/** The listeners: the weighted forward, and the HTTP-to-HTTPS redirect when there is a certificate. */
export interface ListenersPart {
  readonly listener: elbv2.ApplicationListener;
  readonly redirectListener?: elbv2.ApplicationListener;
}

/**
 * The load balancer and its security group, with access logs when a bucket is given, the web ACL when one is given,
 * and for `domainName` an alias record and (without `certificate`) a DNS-validated certificate. Internet-facing, it sits in
 * public subnets and admits the world; internal, it sits in the VPC's most private subnets and admits the VPC.
 */
export function buildLoadBalancer(scope: Construct, vpc: ec2.IVpc, resolved: ResolvedProps): LoadBalancerPart {
  const securityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc,
    description: `Load balancer of ${scope.node.path}`,
    allowAllOutbound: false,
  });
  const clients = resolved.internetFacing ? ec2.Peer.anyIpv4() : ec2.Peer.ipv4(vpc.vpcCidrBlock);
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc,
    internetFacing: resolved.internetFacing,
    securityGroup,
    vpcSubnets: { subnetType: resolved.internetFacing ? ec2.SubnetType.PUBLIC : privateOrPublicSubnetType(vpc) },
    dropInvalidHeaderFields: true,
    idleTimeout: resolved.idleTimeout,
    deletionProtection: resolved.deletionProtection,
  });
  if (resolved.webAclArn) {
    new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
      resourceArn: loadBalancer.loadBalancerArn,
      webAclArn: resolved.webAclArn,
    });
  }
  if (resolved.accessLogBucket) {
    if (Token.isUnresolved(Stack.of(scope).region)) {
      fail('accessLogBucket needs a stack with an explicit region (env: { region }), because the bucket policy names '
        + 'the regional Elastic Load Balancing account; set the region of the stack or omit accessLogBucket');
    }
    loadBalancer.logAccessLogs(resolved.accessLogBucket, resolved.accessLogPrefix);
  } else {
    acknowledgeRule(loadBalancer, 'AwsSolutions-ELB2',
      'Access logs need an S3 bucket the user owns and retains; they are enabled by passing accessLogBucket.');
  }
  acknowledgeRule(securityGroup, 'AwsSolutions-EC23', resolved.internetFacing
    ? 'The load balancer is internet-facing (internetFacing: true), so it admits 0.0.0.0/0 on its listener ports and nothing else.'
    : 'The internal load balancer admits only the VPC CIDR, a CloudFormation reference that cdk-nag cannot resolve; there is no 0.0.0.0/0 rule.');
  const certificate = resolved.certificate ?? (resolved.domainName
    ? new acm.Certificate(scope, 'Certificate', {
      domainName: resolved.domainName,
      validation: acm.CertificateValidation.fromDns(resolved.domainZone),
    })
    : undefined);
  const dnsRecord = resolved.domainName && resolved.domainZone
    ? new route53.ARecord(scope, 'DnsRecord', {
      zone: resolved.domainZone,
      recordName: resolved.domainName,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)),
    })
    : undefined;
  return { loadBalancer, securityGroup, clients, certificate, dnsRecord };
}

/**
 * The listener whose default action is the weighted forward, all traffic to Lambda at deploy (the traffic controller
 * moves it), and the port-80 redirect to HTTPS. Each port is opened to the clients only.
 */
export function addListeners(
  part: LoadBalancerPart,
  lambdaTargetGroup: elbv2.IApplicationTargetGroup,
  fargateTargetGroup: elbv2.IApplicationTargetGroup,
  resolved: ResolvedProps,
): ListenersPart {
  const { loadBalancer, securityGroup, clients, certificate } = part;
  const listener = loadBalancer.addListener('Listener', {
    port: resolved.listenerPort,
    protocol: certificate ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
    certificates: certificate ? [elbv2.ListenerCertificate.fromCertificateManager(certificate)] : undefined,
    sslPolicy: certificate ? resolved.sslPolicy : undefined,
    defaultAction: elbv2.ListenerAction.weightedForward([
      { targetGroup: lambdaTargetGroup, weight: 100 },
      { targetGroup: fargateTargetGroup, weight: 0 },
    ]),
    open: false,
  });
  securityGroup.addIngressRule(clients, ec2.Port.tcp(resolved.listenerPort), 'Clients of the listener');
  if (!certificate || !resolved.redirectHttp) {
    return { listener };
  }
  const redirectListener = loadBalancer.addListener('HttpRedirect', {
    port: 80,
    protocol: elbv2.ApplicationProtocol.HTTP,
    defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(resolved.listenerPort), permanent: true }),
    open: false,
  });
  securityGroup.addIngressRule(clients, ec2.Port.tcp(80), 'HTTP clients, redirected to HTTPS');
  return { listener, redirectListener };
}
