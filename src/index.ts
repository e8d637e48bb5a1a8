export * from './hybrid-image';
export * from './hybrid-alb-service';
export * from './traffic-controller';
