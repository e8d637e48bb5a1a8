import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { HybridAlbService, HybridAlbServiceProps, HybridImage } from '../src';

/** A Dockerfile-only directory: images are hashed at synth, never built in tests. */
export const FIXTURE_IMAGE_DIR = path.join(__dirname, 'fixtures', 'image');

export const TEST_ENV = { account: '111111111111', region: 'us-east-1' };

export interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly service: HybridAlbService;
  readonly template: Template;
}

/** Build a stack holding one HybridAlbService with the fixture image and the given props, then call `afterwards`. */
export function build(
  props: Partial<HybridAlbServiceProps> = {},
  configure?: (stack: Stack) => Partial<HybridAlbServiceProps>,
  afterwards?: (service: HybridAlbService, stack: Stack) => void,
): Built {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: TEST_ENV });
  const extra = configure ? configure(stack) : {};
  const service = new HybridAlbService(stack, 'Service', {
    image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR),
    ...props,
    ...extra,
  });
  afterwards?.(service, stack);
  return { app, stack, service, template: Template.fromStack(stack) };
}

/** A function that builds the stack with these props, for `expect(buildError(props)).toThrow(/message/)`. */
export function buildError(props: Partial<HybridAlbServiceProps>): () => void {
  return () => build(props);
}

/** Count resources by CloudFormation type. */
export function resourceCounts(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values<{ Type: string }>(template.toJSON().Resources)) {
    counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
  }
  return counts;
}

/** The template resource of a construct (its default child), picked by logical ID: `{ Type, Properties, ... }`. */
export function resourceOf(built: Pick<Built, 'stack' | 'template'>, construct: IConstruct): any {
  const logicalId = built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const resource = built.template.toJSON().Resources[logicalId];
  if (!resource) {
    throw new Error(`no resource ${logicalId} in the template`);
  }
  return resource;
}

/** The statements of the policies attached to a role of the template, picked by the role's logical ID. */
export function statementsOfRole(built: Pick<Built, 'stack' | 'template'>, role: IConstruct): any[] {
  const roleId = built.stack.getLogicalId(role.node.defaultChild as CfnElement);
  const policies = Object.values<any>(built.template.findResources('AWS::IAM::Policy'))
    .filter(p => (p.Properties.Roles as any[]).some(r => r.Ref === roleId));
  return policies.flatMap(p => p.Properties.PolicyDocument.Statement);
}
