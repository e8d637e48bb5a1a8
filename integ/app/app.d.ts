// Types for the tests in test/sample-app, which load this plain-JavaScript app.
import type { Express } from 'express';

export interface AppOptions {
  /** Reported as `side` and in the x-served-by header. @default process.env.HYBRID_SIDE, else 'unknown' */
  readonly side?: string;
}

export declare function createApp(options?: AppOptions): Express;
