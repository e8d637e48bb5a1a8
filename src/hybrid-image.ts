import * as path from 'path';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
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

/** What a `HybridImage` resolves to when bound to a construct. */
export interface HybridImageConfig {
  /** Repository holding the image. */
  readonly repository: ecr.IRepository;
  /** Tag or digest (`sha256:...`) of the image in the repository. */
  readonly tagOrDigest: string;
  /** Platform the image runs on. */
  readonly platform: HybridPlatform;
  /**
   * The asset, when the image is built by the CDK.
   * @default - the image was built elsewhere
   */
  readonly asset?: ecrAssets.DockerImageAsset;
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
    return new EcrHybridImage(repository, tagOrDigest, options);
  }

  /** Resolve the image for the given scope. Called once per `HybridAlbService`. */
  public abstract bind(scope: Construct): HybridImageConfig;
}

class AssetHybridImage extends HybridImage {
  constructor(private readonly directory: string, private readonly options: HybridImageAssetOptions) {
    super();
  }

  public bind(scope: Construct): HybridImageConfig {
    const platform = this.options.platform ?? HybridPlatform.LINUX_AMD64;
    const asset = new ecrAssets.DockerImageAsset(scope, 'ImageAsset', {
      directory: path.resolve(this.directory),
      buildArgs: this.options.buildArgs,
      target: this.options.target,
      file: this.options.file,
      platform: platform === HybridPlatform.LINUX_ARM64 ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64,
    });
    return { repository: asset.repository, tagOrDigest: asset.imageTag, platform, asset };
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

  public bind(_scope: Construct): HybridImageConfig {
    return {
      repository: this.repository,
      tagOrDigest: this.tagOrDigest,
      platform: this.options.platform ?? HybridPlatform.LINUX_AMD64,
    };
  }
}
