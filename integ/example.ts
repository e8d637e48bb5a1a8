/**
 * `npm run example`: synthesize the default HybridAlbService around the sample app in integ/app and
 * print what it made, how traffic is split at deploy, and what it costs a month with no traffic.
 *
 * The cloud assembly goes to CDK_OUTDIR when set, otherwise to a new temporary directory, and is kept.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HybridAlbService, HybridImage } from '../src';
import { estimateIdleCost } from '../src/cost/idle-cost';

const LINE_WIDTH = 110;

const outdir = process.env.CDK_OUTDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-alb-service-example-'));
const app = new App({ outdir });
const stack = new Stack(app, 'HybridAlbServiceExample');
const service = new HybridAlbService(stack, 'Service', {
  image: HybridImage.fromAsset(path.join(__dirname, 'app')),
});
const template = app.synth().getStackByName(stack.stackName).template;
const resources: { [id: string]: { Type: string; Properties?: any } } = template.Resources ?? {};

function logicalIdOf(construct: Construct): string {
  return stack.resolve((construct.node.defaultChild as CfnElement).logicalId);
}

/** "A 2, B 1, C 1" wrapped to the line width, indented. */
function wrapped(parts: string[], indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    const next = line ? `${line}, ${part}` : part;
    if (indent.length + next.length > LINE_WIDTH && line) {
      lines.push(`${indent}${line},`);
      line = part;
    } else {
      line = next;
    }
  }
  return line ? [...lines, `${indent}${line}`] : lines;
}

function resourceSummary(): string[] {
  const counts = new Map<string, number>();
  for (const r of Object.values(resources)) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  const sorted = [...counts].sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
  return [
    `resources: ${Object.keys(resources).length} of ${counts.size} types`,
    ...wrapped(sorted.map(([type, n]) => `${type.replace(/^AWS::/, '')} ${n}`), '  '),
  ];
}

function weightedForward(): string {
  const listener = resources[logicalIdOf(service.listener)].Properties;
  const sides = new Map([[logicalIdOf(service.lambdaTargetGroup), 'Lambda'], [logicalIdOf(service.fargateTargetGroup), 'Fargate']]);
  const groups: any[] = listener.DefaultActions?.find((a: any) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
  const weights = groups.map(g => `${sides.get(stack.resolve(g.TargetGroupArn).Ref) ?? 'other'} ${g.Weight ?? 1}`);
  return `listener ${listener.Protocol} :${listener.Port} weighted forward: ${weights.join(' / ') || 'none'}`;
}

function fargateService(): string {
  const props = resources[logicalIdOf(service.service)].Properties;
  const task = resources[logicalIdOf(service.taskDefinition)].Properties;
  return `Fargate service desired count: ${props.DesiredCount ?? '1 (absent)'} (task ${task.Cpu} CPU units / ${task.Memory} MiB, up to ${service.maxTasks} tasks)`;
}

function idleCost(): string[] {
  const report = estimateIdleCost(template);
  return [
    `idle cost: $${report.monthlyUsd.toFixed(2)}/month (us-east-1 list prices, 730 h, no traffic)`,
    ...report.items.map(i => `  ${i.kind.padEnd(28)} x${String(i.quantity).padEnd(3)} $${i.monthlyUsd.toFixed(2).padStart(7)}  ${i.note}`),
  ];
}

console.log([
  `${stack.stackName} synthesized to ${outdir}`,
  ...resourceSummary(),
  weightedForward(),
  fargateService(),
  ...idleCost(),
].join('\n'));
