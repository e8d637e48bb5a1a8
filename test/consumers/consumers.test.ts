import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { HybridAlbService, HybridImage, HybridSecret } from '../../src';
import { FIXTURE_IMAGE_DIR, resourceCounts } from '../helpers';

/**
 * The stack synthesized from Python and from Java, through the packages jsii-pacmak built, must be the
 * stack TypeScript synthesizes. scripts/consumers.sh (`npx projen test:consumers`) builds the packages
 * and writes the two templates; this file only reads them.
 */

const CONSUMERS: Record<string, string> = {
  Python: path.join(__dirname, 'python', 'build', 'cdk.out', 'ConsumerStack.template.json'),
  Java: path.join(__dirname, 'java', 'build', 'cdk.out', 'ConsumerStack.template.json'),
};

/** test/consumers/python/app.py and java/.../App.java, in TypeScript. */
function typescriptTemplate(): Template {
  const app = new App();
  const stack = new Stack(app, 'ConsumerStack');
  // The same props as python/app.py and java/.../App.java: nested options must cross jsii too.
  const dbSecret = new secretsmanager.Secret(stack, 'DbSecret');
  const service = new HybridAlbService(stack, 'Service', {
    image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR),
    lambda: { memorySize: 2048 },
    fargate: { maxTasks: 4 },
    secrets: { DB_SECRET_ARN: HybridSecret.fromSecretsManager(dbSecret) },
  });
  // grantPrincipal, connections and secrets must cross jsii: a grant, a connection and a secret from each language.
  new s3.Bucket(stack, 'Data').grantRead(service);
  new s3.Bucket(stack, 'Uploads').grantPut(service.grantPrincipal);
  const database = new ec2.SecurityGroup(stack, 'Database', { vpc: service.vpc });
  new ec2.Connections({ securityGroups: [database], defaultPort: ec2.Port.tcp(5432) }).allowDefaultPortFrom(service);
  service.connections.allowTo(database, ec2.Port.tcp(6379), 'cache');
  return Template.fromStack(stack);
}

const SRC_DIR = path.join(__dirname, '..', '..', 'src');
const RERUN = 'run `bash scripts/consumers.sh` (npx projen test:consumers)';

/** When a file under src/ last changed: a template older than that was built from other sources. */
function newestSourceChangeMs(): number {
  return readdirSync(SRC_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0);
}

function consumerTemplate(language: string): Template {
  const file = CONSUMERS[language];
  const shown = path.relative(process.cwd(), file);
  if (!existsSync(file)) {
    throw new Error(`${shown} is missing: ${RERUN} first`);
  }
  if (statSync(file).mtimeMs < newestSourceChangeMs()) {
    throw new Error(`${shown} is older than src/: ${RERUN} again`);
  }
  return Template.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Asset hashes (64 hex digits) in S3 keys and image tags. The in-process stack bundles the controller
 * from the working tree, which may be newer than the packages; the Python and Java templates, built
 * from the same packages, are also compared with their hashes left in.
 */
function withoutAssetHashes(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

interface Resource {
  readonly Properties: Record<string, any>;
}

function resourcesOfType(template: Template, type: string): Resource[] {
  return Object.values(template.findResources(type)) as Resource[];
}

function listenerForwardWeights(template: Template): number[][] {
  return resourcesOfType(template, 'AWS::ElasticLoadBalancingV2::Listener').flatMap((listener) =>
    (listener.Properties.DefaultActions as Array<{ Type: string; ForwardConfig?: { TargetGroups: Array<{ Weight: number }> } }>)
      .filter((action) => action.Type === 'forward' && action.ForwardConfig)
      .map((action) => action.ForwardConfig!.TargetGroups.map((group) => group.Weight)));
}

describe.each(Object.keys(CONSUMERS))('the stack synthesized from %s', (language) => {
  let typescript: Template;
  let consumer: Template;

  beforeAll(() => {
    typescript = typescriptTemplate();
    consumer = consumerTemplate(language);
  });

  test('holds the same resources, by type and count, as the TypeScript stack', () => {
    expect(resourceCounts(consumer)).toEqual(resourceCounts(typescript));
    expect(Object.keys(resourceCounts(consumer)).length).toBeGreaterThan(10);
  });

  test('starts all traffic on Lambda: the listener forwards with weights [100, 0]', () => {
    expect(listenerForwardWeights(consumer)).toEqual([[100, 0]]);
    expect(listenerForwardWeights(typescript)).toEqual([[100, 0]]);
  });

  test('starts the Fargate service at zero tasks', () => {
    const services = resourcesOfType(consumer, 'AWS::ECS::Service');
    expect(services.map((service) => service.Properties.DesiredCount)).toEqual([0]);
  });

  test('the grants reach both roles, and the database admits the tasks: grantPrincipal and connections crossed jsii', () => {
    const policies = resourcesOfType(consumer, 'AWS::IAM::Policy');
    const grantedRoles = (action: string) => policies
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(action))
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref)).sort();
    const roles = grantedRoles('s3:GetObject*');
    expect(roles).toHaveLength(2);
    expect(roles.some((role) => role.startsWith('ServiceFunctionRole'))).toBe(true);
    expect(roles.some((role) => role.startsWith('ServiceTaskDefinitionTaskRole'))).toBe(true);
    expect(grantedRoles('s3:PutObject')).toEqual(roles);
    expect(grantedRoles('secretsmanager:GetSecretValue')).toEqual(roles);
    const ports = resourcesOfType(consumer, 'AWS::EC2::SecurityGroupIngress').map((rule) => rule.Properties.FromPort).sort();
    expect(ports).toEqual([5432, 6379, 8080]);
  });

  test('the secret reaches both sides as its ARN', () => {
    const functions = resourcesOfType(consumer, 'AWS::Lambda::Function').filter((fn) => fn.Properties.PackageType === 'Image');
    expect(functions[0].Properties.Environment.Variables.DB_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^DbSecret/) });
    const container = resourcesOfType(consumer, 'AWS::ECS::TaskDefinition')[0].Properties.ContainerDefinitions[0];
    expect(container.Environment).toEqual(expect.arrayContaining([{ Name: 'DB_SECRET_ARN', Value: { Ref: expect.stringMatching(/^DbSecret/) } }]));
  });

  test('is the TypeScript template, asset hashes aside', () => {
    expect(withoutAssetHashes(consumer)).toEqual(withoutAssetHashes(typescript));
  });
});

test('Python and Java synthesize the very same template, asset hashes included', () => {
  expect(consumerTemplate('Java').toJSON()).toEqual(consumerTemplate('Python').toJSON());
});
