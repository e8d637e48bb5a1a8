import { ConfigError, defaultSettings, resolveSettings } from '../../src/simulator/settings';

describe('log volume settings', () => {
  test('defaults: no START/END/REPORT lines (JSON format, system log level WARN), a 110-byte JSON envelope and a 150-byte access-log line', () => {
    expect(defaultSettings().workload).toMatchObject({ lambdaPlatformLogBytesPerInvocation: 110, appLogBytesPerRequest: 150 });
  });

  test('a config file overrides them, down to 0 for an application that logs nothing', () => {
    const custom = resolveSettings({ workload: { lambdaPlatformLogBytesPerInvocation: 400, appLogBytesPerRequest: 0 } });
    expect(custom.workload).toMatchObject({ lambdaPlatformLogBytesPerInvocation: 400, appLogBytesPerRequest: 0 });
  });

  test.each([
    [{ workload: { lambdaPlatformLogBytesPerInvocation: -1 } }, /workload.lambdaPlatformLogBytesPerInvocation -1 is not a number of bytes >= 0/],
    [{ workload: { appLogBytesPerRequest: '150' } }, /workload.appLogBytesPerRequest "150" is not a number of bytes >= 0/],
    [{ workload: { appLogBytes: 150 } }, /workload.appLogBytes is not a setting; known: .*appLogBytesPerRequest/],
  ])('rejects %j', (config, message) => {
    expect(() => resolveSettings(config)).toThrow(ConfigError);
    expect(() => resolveSettings(config)).toThrow(message);
  });
});
