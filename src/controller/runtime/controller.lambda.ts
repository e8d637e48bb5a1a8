/**
 * The controller function. The loop it runs (observe, decide, apply, log, poll) is `runController` in
 * ../invocation.ts, the same code the simulator drives; this file only wires it to AWS: the SDK-backed port,
 * the real clock and sleep, and the function's log.
 */
import { awsDependencies, createClients, readEnv } from './aws-adapter';
import { ControllerContext, ControllerDependencies, ControllerEvent, ControllerSummary, runController } from '../invocation';

/** Created on the first invocation and reused by the container's later invocations. */
let containerDependencies: ControllerDependencies | undefined;

export const handler = async (event: ControllerEvent, context: ControllerContext): Promise<ControllerSummary> => {
  containerDependencies ??= lambdaDependencies();
  return runController(event, context, containerDependencies);
};

function lambdaDependencies(): ControllerDependencies {
  return {
    ...awsDependencies(readEnv(), createClients()),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => console.log(line),
  };
}
