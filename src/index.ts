export * from './hybrid-image';
export * from './hybrid-secret';
export * from './hybrid-alb-service';
export type { LambdaSideOptions } from './lambda-side';
export type { FargateSideOptions } from './fargate-side';
export * from './traffic-controller';
