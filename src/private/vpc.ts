import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledgeRule } from './nag';
import { ResolvedProps } from './resolve-props';

/**
 * The VPC the user gave (directly or through `fargate.cluster`), else a new one over 2 AZs with public subnets only:
 * no NAT gateway and no interface endpoint, which bill by the hour.
 */
export function vpcFor(scope: Construct, resolved: ResolvedProps): ec2.IVpc {
  if (resolved.vpc) {
    return resolved.vpc;
  }
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
  });
  acknowledgeRule(vpc, 'AwsSolutions-VPC7',
    'The VPC this construct creates has no flow logs because they bill per GB ingested even for health checks; pass your own vpc with flow logs for a network audit trail.');
  return vpc;
}

/** The most private subnet type the VPC has: private with egress, else isolated, else public. */
export function privateOrPublicSubnetType(vpc: ec2.IVpc): ec2.SubnetType {
  if (vpc.privateSubnets.length > 0) {
    return ec2.SubnetType.PRIVATE_WITH_EGRESS;
  }
  if (vpc.isolatedSubnets.length > 0) {
    return ec2.SubnetType.PRIVATE_ISOLATED;
  }
  return ec2.SubnetType.PUBLIC;
}
