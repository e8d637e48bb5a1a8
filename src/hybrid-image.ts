import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * CPU architecture of the image. It sets the Docker build platform, the Lambda architecture
 * and the Fargate task's runtime platform together, so the two sides can never disagree.
 */
export enum HybridPlatform {
  /** linux/amd64: Lambda x86_64, Fargate X86_64. */
  LINUX_AMD64 = 'linux/amd64',
  /** linux/arm64: Lambda arm64, Fargate ARM64 (Graviton, about 20% cheaper on both sides). */
  LINUX_ARM64 = 'linux/arm64',
}

/** Options for `HybridImage.fromAsset`. */
export interface HybridImageAssetOptions {
  /**
   * Build arguments passed to `docker build`.
   * @default - no build arguments
   */
  readonly buildArgs?: { [key: string]: string };

  /**
   * Target stage of a multi-stage Dockerfile.
   * @default - the last stage
   */
  readonly target?: string;

  /**
   * Path to the Dockerfile, relative to the directory.
   * @default 'Dockerfile'
   */
  readonly file?: string;

  /**
   * Platform the image is built for.
   * @default HybridPlatform.LINUX_AMD64
   */
  readonly platform?: HybridPlatform;
}

/** Options for `HybridImage.fromEcr`. */
export interface HybridImageEcrOptions {
  /**
   * Platform the image was built for.
   * @default HybridPlatform.LINUX_AMD64
   */
  readonly platform?: HybridPlatform;
}

/** What the Lambda side asks of the image when it binds it. */
export interface HybridImageBindOptions {
  /**
   * Override the image CMD for Lambda mode.
   * @default - the image's CMD
   */
  readonly lambdaCommand?: string[];

  /**
   * Override the image ENTRYPOINT for Lambda mode.
   * @default - the image's ENTRYPOINT
   */
  readonly lambdaEntrypoint?: string[];
}

/** What a `HybridImage` resolves to when bound to a construct: what each side needs to run it. */
export interface HybridImageConfig {
  /** Code of the Lambda function: the image, with the Lambda-mode command and entrypoint. */
  readonly lambdaCode: lambda.DockerImageCode;
  /** Architecture of the Lambda function. */
  readonly lambdaArchitecture: lambda.Architecture;
  /** Image of the Fargate task's container. */
  readonly containerImage: ecs.ContainerImage;
  /** CPU architecture of the Fargate task. */
  readonly fargateCpuArchitecture: ecs.CpuArchitecture;
}

/**
 * The one container image run by both the Lambda function and the Fargate task.
 */
export abstract class HybridImage {
  /**
   * Build the image from a local directory with a Dockerfile. One `DockerImageAsset` serves both
   * sides, so Lambda and Fargate always run the same digest.
   */
  public static fromAsset(directory: string, options: HybridImageAssetOptions = {}): HybridImage {
    return new AssetHybridImage(directory, options);
  }

  /**
   * Use an image built elsewhere and pushed to ECR.
   * @param tagOrDigest an image tag, or a digest `sha256:...` (a digest pins both sides to the same bytes)
   */
  public static fromEcr(repository: ecr.IRepository, tagOrDigest: string, options: HybridImageEcrOptions = {}): HybridImage {
    checkTagOrDigest(tagOrDigest);
    return new EcrHybridImage(repository, tagOrDigest, options);
  }

  /** Resolve the image for the given scope. Called once per `HybridAlbService`. */
  public abstract bind(scope: Construct, options?: HybridImageBindOptions): HybridImageConfig;
}

/**
 * An ECR image tag (up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`) or a digest
 * (`sha256:` and 64 lowercase hex digits). A token passes: ECR checks it at deploy.
 */
function checkTagOrDigest(tagOrDigest: string): void {
  if (Token.isUnresolved(tagOrDigest)) {
    return;
  }
  if (typeof tagOrDigest === 'string' && tagOrDigest.startsWith('sha256:')) {
    if (!/^sha256:[0-9a-f]{64}$/.test(tagOrDigest)) {
      throw new Error(`HybridImage.fromEcr tagOrDigest ${JSON.stringify(tagOrDigest)} is not a digest; a digest is "sha256:" followed by 64 lowercase hex digits`);
    }
    return;
  }
  if (typeof tagOrDigest !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tagOrDigest)) {
    throw new Error(`HybridImage.fromEcr tagOrDigest ${JSON.stringify(tagOrDigest)} is neither a tag nor a digest; use a tag of up to 128 `
      + 'letters, digits, "_", "." and "-", or "sha256:" followed by 64 lowercase hex digits');
  }
}

/** Both sides of one image in one repository: they can never run different bytes or architectures. */
function sidesOf(
  repository: ecr.IRepository,
  tagOrDigest: string,
  platform: HybridPlatform,
  containerImage: ecs.ContainerImage,
  options: HybridImageBindOptions,
): HybridImageConfig {
  return {
    lambdaCode: lambda.DockerImageCode.fromEcr(repository, {
      tagOrDigest,
      cmd: options.lambdaCommand,
      entrypoint: options.lambdaEntrypoint,
    }),
    lambdaArchitecture: platform === HybridPlatform.LINUX_ARM64 ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
    containerImage,
    fargateCpuArchitecture: platform === HybridPlatform.LINUX_ARM64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
  };
}

class AssetHybridImage extends HybridImage {
  constructor(private readonly directory: string, private readonly options: HybridImageAssetOptions) {
    super();
  }

  public bind(scope: Construct, options: HybridImageBindOptions = {}): HybridImageConfig {
    const platform = this.options.platform ?? HybridPlatform.LINUX_AMD64;
    const asset = new ecrAssets.DockerImageAsset(scope, 'ImageAsset', {
      directory: path.resolve(this.directory),
      buildArgs: this.options.buildArgs,
      target: this.options.target,
      file: this.options.file,
      platform: platform === HybridPlatform.LINUX_ARM64 ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64,
    });
    // Lambda pulls the asset's tag from the asset repository; the task references the asset itself, which also grants
    // its execution role the pull. One asset, so both sides run the same digest.
    return sidesOf(asset.repository, asset.imageTag, platform, ecs.ContainerImage.fromDockerImageAsset(asset), options);
  }
}

class EcrHybridImage extends HybridImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly tagOrDigest: string,
    private readonly options: HybridImageEcrOptions,
  ) {
    super();
  }

  public bind(_scope: Construct, options: HybridImageBindOptions = {}): HybridImageConfig {
    const platform = this.options.platform ?? HybridPlatform.LINUX_AMD64;
    const containerImage = ecs.ContainerImage.fromEcrRepository(this.repository, this.tagOrDigest);
    return sidesOf(this.repository, this.tagOrDigest, platform, containerImage, options);
  }
}
