import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HybridPlatform } from '../hybrid-image';

/** Lambda architecture for a platform. */
export function lambdaArchitecture(platform: HybridPlatform): lambda.Architecture {
  return platform === HybridPlatform.LINUX_ARM64 ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
}

/** Fargate CPU architecture for a platform. */
export function fargateCpuArchitecture(platform: HybridPlatform): ecs.CpuArchitecture {
  return platform === HybridPlatform.LINUX_ARM64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64;
}
