/**
 * The CloudFormation templates the validators check: the construct in the configurations the unit tests
 * synthesize, and the stacks of the integ scenarios as committed in their snapshots.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { App, Size, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { HybridAlbService, HybridAlbServiceProps, HybridImage, HybridPlatform, HybridSecret } from '../../src';
import { FIXTURE_IMAGE_DIR, TEST_ENV } from '../helpers';

const INTEG_DIR = path.join(__dirname, '..', '..', 'integ');

/** One template to validate. */
export interface NamedTemplate {
  /** Unique, usable as a file name: `unit.<configuration>` or `integ.<scenario>.<stack>`. */
  readonly name: string;
  readonly template: object;
  /** A stack that integ-tests generates to run a scenario's assertions, not the construct's output. */
  readonly assertionStack: boolean;
}

type Configure = (stack: Stack) => Partial<HybridAlbServiceProps>;

const UNIT_CONFIGURATIONS: { [name: string]: Configure } = {
  'default': () => ({}),
  'internal-user-vpc': stack => ({
    vpc: new ec2.Vpc(stack, 'UserVpc', { natGateways: 1 }),
    internetFacing: false,
  }),
  'https': stack => ({
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:us-east-1:111111111111:certificate/abc'),
  }),
  'lambda-in-vpc': stack => ({
    vpc: new ec2.Vpc(stack, 'UserVpc', { natGateways: 1 }),
    lambda: { attachToVpc: true },
  }),
  'provisioned-concurrency': () => ({
    lambda: { provisionedConcurrentExecutions: 2 },
  }),
  'arm64': () => ({
    image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR, { platform: HybridPlatform.LINUX_ARM64 }),
  }),
  'domain-waf-secrets': stack => ({
    domainName: 'app.example.com',
    domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' }),
    deletionProtection: true,
    webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/rate-limit/a1b2c3d4-5678-90ab-cdef-111111111111',
    secrets: {
      DB_SECRET_ARN: HybridSecret.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'app/db')),
      API_KEY_PARAMETER: HybridSecret.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ApiKey', { parameterName: '/app/api-key' })),
    },
    fargate: { enableExecuteCommand: true, ephemeralStorageSize: Size.gibibytes(30) },
    lambda: { ephemeralStorageSize: Size.gibibytes(1) },
  }),
};

/**
 * What a `cdk synth` with credentials would have looked up: real zone names rather than CDK's `dummy1a` stand-ins,
 * so the validators see the template a user deploys.
 */
const AVAILABILITY_ZONES_CONTEXT = {
  [`availability-zones:account=${TEST_ENV.account}:region=${TEST_ENV.region}`]: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
};

/** The construct synthesized in each configuration, in the unit tests' account and region. */
export function unitTemplates(): NamedTemplate[] {
  return Object.entries(UNIT_CONFIGURATIONS).map(([name, configure]) => {
    const app = new App({ context: AVAILABILITY_ZONES_CONTEXT });
    const stack = new Stack(app, 'ValidatedStack', { env: TEST_ENV });
    new HybridAlbService(stack, 'Service', { image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR), ...configure(stack) });
    return { name: `unit.${name}`, template: app.synth().getStackByName(stack.stackName).template, assertionStack: false };
  });
}

/**
 * Every stack template in the committed integ snapshots (integ/integ.*.snapshot/), each marked as a scenario's
 * stack or as its assertions stack according to the snapshot's integ.json.
 */
export function integTemplates(): NamedTemplate[] {
  return readdirSync(INTEG_DIR).filter(entry => entry.endsWith('.snapshot')).sort().flatMap(snapshot => {
    const dir = path.join(INTEG_DIR, snapshot);
    const scenario = snapshot.replace(/^integ\./, '').replace(/\.[jt]s\.snapshot$/, '');
    const assertionStacks = assertionStackNames(dir);
    return readdirSync(dir).filter(file => file.endsWith('.template.json')).sort().map(file => {
      const stackName = file.replace(/\.template\.json$/, '');
      return {
        name: `integ.${scenario}.${stackName}`,
        template: JSON.parse(readFileSync(path.join(dir, file), 'utf-8')),
        assertionStack: assertionStacks.has(stackName),
      };
    });
  });
}

function assertionStackNames(snapshotDir: string): Set<string> {
  const manifest = JSON.parse(readFileSync(path.join(snapshotDir, 'integ.json'), 'utf-8'));
  return new Set(Object.values<{ assertionStackName?: string }>(manifest.testCases)
    .map(testCase => testCase.assertionStackName)
    .filter((name): name is string => name !== undefined));
}
