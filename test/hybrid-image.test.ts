import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HybridImage, HybridPlatform } from '../src';
import { FIXTURE_IMAGE_DIR, TEST_ENV, build, resourceOf } from './helpers';

describe('HybridImage', () => {
  test('fromAsset: Lambda and the task use the same asset image', () => {
    const { template, stack } = build();
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))[0];
    const task = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))[0];
    const lambdaUri = JSON.stringify(stack.resolve(fn.Properties.Code.ImageUri));
    const taskUri = JSON.stringify(stack.resolve(task.Properties.ContainerDefinitions[0].Image));
    const hash = /:([0-9a-f]{64})/.exec(lambdaUri)?.[1];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(taskUri).toContain(hash!);
    // one asset in the cloud assembly, not two
    const assets = stack.node.findAll().filter(c => c instanceof ecrAssets.DockerImageAsset);
    expect(assets).toHaveLength(1);
  });

  test('fromAsset passes build args, target and platform to the asset', () => {
    const { app, stack } = build({
      image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR, { buildArgs: { NODE_ENV: 'production' }, target: 'runtime', platform: HybridPlatform.LINUX_ARM64 }),
    });
    const assembly = app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
    const images = Object.values<any>(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerBuildArgs: { NODE_ENV: 'production' }, dockerBuildTarget: 'runtime', platform: 'linux/arm64' });
  });

  test('fromEcr: both sides pull the given digest from the repository', () => {
    const digest = 'sha256:' + 'a'.repeat(64);
    const built = build({}, stack => ({
      image: HybridImage.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'my-app'), digest, { platform: HybridPlatform.LINUX_ARM64 }),
    }));
    const fn = resourceOf(built, built.service.lambdaFunction).Properties;
    const task = resourceOf(built, built.service.taskDefinition).Properties;
    expect(JSON.stringify(fn.Code.ImageUri)).toContain(`my-app@${digest}`);
    expect(JSON.stringify(task.ContainerDefinitions[0].Image)).toContain(`my-app@${digest}`);
    expect(fn.Architectures).toEqual(['arm64']);
    expect(task.RuntimePlatform.CpuArchitecture).toBe('ARM64');
  });

  test.each([
    ['sha256:abc', /tagOrDigest "sha256:abc" is not a digest; a digest is "sha256:" followed by 64 lowercase hex digits/],
    ['sha256:' + 'A'.repeat(64), /is not a digest/],
    ['my tag', /tagOrDigest "my tag" is neither a tag nor a digest/],
    ['v1@sha256', /is neither a tag nor a digest/],
    ['', /tagOrDigest "" is neither a tag nor a digest/],
  ])('fromEcr rejects %j', (tagOrDigest, message) => {
    const stack = new Stack(new App(), 'S', { env: TEST_ENV });
    expect(() => HybridImage.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'my-app'), tagOrDigest)).toThrow(message);
  });

  test('fromEcr with a tag', () => {
    const { template } = build({}, stack => ({
      image: HybridImage.fromEcr(ecr.Repository.fromRepositoryName(stack, 'Repo', 'my-app'), 'v1.2.3'),
    }));
    const json = JSON.stringify(template.toJSON());
    expect(json.match(/my-app:v1\.2\.3/g)?.length).toBe(2);
  });

  test('bind gives each side what it runs: Lambda code with the Lambda-mode command, a container image, one architecture', () => {
    const stack = new Stack(new App(), 'S', { env: TEST_ENV });
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'my-app');
    const config = HybridImage.fromEcr(repository, 'v1', { platform: HybridPlatform.LINUX_ARM64 })
      .bind(stack, { lambdaCommand: ['lambda.handler'], lambdaEntrypoint: ['/entry.sh'] });
    expect(config.lambdaArchitecture).toBe(lambda.Architecture.ARM_64);
    expect(config.fargateCpuArchitecture).toBe(ecs.CpuArchitecture.ARM64);
    new lambda.DockerImageFunction(stack, 'Fn', { code: config.lambdaCode });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Code: { ImageUri: stack.resolve(repository.repositoryUriForTagOrDigest('v1')) },
      ImageConfig: { Command: ['lambda.handler'], EntryPoint: ['/entry.sh'] },
    });
    expect(config.containerImage).toBeInstanceOf(ecs.ContainerImage);
  });

  test('bind of an asset image builds one asset for both sides, on amd64 unless told', () => {
    const stack = new Stack(new App(), 'S', { env: TEST_ENV });
    const config = HybridImage.fromAsset(FIXTURE_IMAGE_DIR).bind(stack);
    expect(config.lambdaArchitecture).toBe(lambda.Architecture.X86_64);
    expect(config.fargateCpuArchitecture).toBe(ecs.CpuArchitecture.X86_64);
    const asset = stack.node.findAll().filter(c => c instanceof ecrAssets.DockerImageAsset) as ecrAssets.DockerImageAsset[];
    expect(asset).toHaveLength(1);
    new lambda.DockerImageFunction(stack, 'Fn', { code: config.lambdaCode });
    const fn = Object.values<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    expect(JSON.stringify(fn.Properties.Code.ImageUri)).toContain(`:${asset[0].assetHash}`);
  });
});
