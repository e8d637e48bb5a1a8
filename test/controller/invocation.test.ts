import { runController } from '../../src/controller/invocation';
import { CONTROLLER_DEFAULTS } from '../../src/controller/tunables';
import { Action, ObservedState } from '../../src/controller/types';

function deps(observe: () => Promise<ObservedState>, applied: Action[]) {
  return {
    port: {
      observe,
      apply: async (action: Action) => {
        applied.push(action);
      },
    },
    config: CONTROLLER_DEFAULTS,
    pollIntervalSeconds: 5,
    metricNamespace: 'HybridAlbService',
    serviceName: 'test',
    now: () => 1_700_000_000_000,
    sleep: async () => undefined,
    log: () => undefined,
  };
}

test('a failing read enables the schedule before the error ends the invocation, so the read is retried each minute', async () => {
  const applied: Action[] = [];
  const failing = async (): Promise<ObservedState> => {
    throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  };
  await expect(runController({}, { getRemainingTimeInMillis: () => 60_000 }, deps(failing, applied))).rejects.toThrow(/Rate exceeded/);
  expect(applied).toEqual([{ kind: 'enableReconcile' }]);
});

test('a failing read still ends in its own error when enabling the schedule fails too', async () => {
  const failing = async (): Promise<ObservedState> => {
    throw new Error('AccessDenied on DescribeListeners');
  };
  const d = deps(failing, []);
  const port = { ...d.port, apply: async () => { throw new Error('EnableRule failed'); } };
  await expect(runController({}, { getRemainingTimeInMillis: () => 60_000 }, { ...d, port })).rejects.toThrow(/AccessDenied on DescribeListeners/);
});
