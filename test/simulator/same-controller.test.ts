/**
 * The simulator runs the controller's own code, not a copy: each simulated invocation is `runController` (the loop the
 * Lambda handler runs), which calls the real `decide`. Which modules may import what is enforced by lint.
 */
import * as decision from '../../src/controller/decision';
import * as invocation from '../../src/controller/invocation';
import { Decision } from '../../src/controller/types';
import { profileTrace } from '../../src/simulator/profiles';
import { defaultSettings, resolveSettings } from '../../src/simulator/settings';
import { simulate } from '../../src/simulator/simulate';

afterEach(() => jest.restoreAllMocks());

test('a simulation calls the real decide through the handler\'s loop, and only through it changes the listener', async () => {
  const decide = jest.spyOn(decision, 'decide');
  const loop = jest.spyOn(invocation, 'runController');
  const run = await simulate(profileTrace('event'), defaultSettings(), { seed: 1, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
  expect(loop).toHaveBeenCalled();
  expect(decide.mock.calls.length).toBe(run.strategies.hybrid.controllerDecisions);
  const weightsSet = decide.mock.results.flatMap((result) => (result.value as Decision).actions.filter((a) => a.kind === 'setWeights'));
  expect(run.strategies.hybrid.weightChanges!.length).toBeGreaterThan(0);
  expect(weightsSet.length).toBeGreaterThanOrEqual(run.strategies.hybrid.weightChanges!.length);
});

test('a failing AWS call takes the loop\'s own error path: the invocation rejects and Lambda retries it', async () => {
  const loop = jest.spyOn(invocation, 'runController');
  const failing = resolveSettings({ faults: { apiFailureRate: 0.5 } });
  const run = await simulate(profileTrace('spiky'), failing, { seed: 1, strategies: ['lambdaOnly', 'fargateOnly', 'hybrid'] });
  const incidents = run.strategies.hybrid.controllerIncidents!;
  expect(incidents.failedCalls).toBeGreaterThan(0);
  expect(incidents.failedInvocations).toBeGreaterThan(0);
  const rejected = await Promise.allSettled(loop.mock.results.map((result) => result.value as Promise<unknown>));
  expect(rejected.filter((result) => result.status === 'rejected').length).toBe(incidents.failedInvocations);
});
