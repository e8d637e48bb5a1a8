import { Size, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HybridAlbServiceProps, HybridSecret } from '../src';
import { build } from './helpers';

function findings(configure: (stack: Stack) => Partial<HybridAlbServiceProps>): string[] {
  const { stack } = build({}, configure);
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${(r as any).constructPath ?? r.resourceLogicalId}`));
}

describe('cdk-nag AwsSolutions', () => {
  test('default stack has zero unacknowledged findings', () => {
    expect(findings(() => ({}))).toEqual([]);
  });

  test('internal load balancer in a user VPC with HTTPS and the Lambda side in the VPC has zero findings', () => {
    expect(findings(stack => ({
      vpc: new ec2.Vpc(stack, 'UserVpc', { natGateways: 1, flowLogs: { all: {} } }),
      internetFacing: false,
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
      lambda: { attachToVpc: true },
    }))).toEqual([]);
  });

  test('domain, web ACL, secrets, ECS Exec and extra storage have zero findings', () => {
    expect(findings(stack => ({
      domainName: 'app.example.com',
      domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' }),
      deletionProtection: true,
      webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/rate-limit/a1b2c3d4',
      secrets: { DB_SECRET_ARN: HybridSecret.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Db', 'db')) },
      fargate: { enableExecuteCommand: true, ephemeralStorageSize: Size.gibibytes(30) },
    }))).toEqual([]);
  });

  test('acknowledgements are not blanket: a public 0.0.0.0/0 rule added by the user is still reported', () => {
    const result = findings(stack => {
      const sg = new ec2.SecurityGroup(stack, 'Extra', { vpc: new ec2.Vpc(stack, 'V', { natGateways: 0 }) });
      sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
      return {};
    });
    expect(result).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-EC23 TestStack\/Extra/)]));
  });
});
