import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HybridAlbService, HybridImage } from '../../src';
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
  new HybridAlbService(stack, 'Service', {
    image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR),
    lambda: { memorySize: 2048 },
    fargate: { maxTasks: 4 },
  });
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

  test('is the TypeScript template, asset hashes aside', () => {
    expect(withoutAssetHashes(consumer)).toEqual(withoutAssetHashes(typescript));
  });
});

test('Python and Java synthesize the very same template, asset hashes included', () => {
  expect(consumerTemplate('Java').toJSON()).toEqual(consumerTemplate('Python').toJSON());
});
