// Types for the tests in test/sample-app, which load this plain-JavaScript handler.
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';

export declare const handler: (event: ALBEvent, context: Context) => Promise<ALBResult>;
