// The sample app's secret reading (integ/app/secrets.js), with the AWS SDK clients substituted.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readSecrets } = require('../../integ/app/secrets');

function fakeClients() {
  const calls: Array<[string, unknown]> = [];
  return {
    calls,
    clients: {
      secretsManager: { getSecretValue: async (input: unknown) => { calls.push(['getSecretValue', input]); return { SecretString: 'db-password' }; } },
      ssm: { getParameter: async (input: unknown) => { calls.push(['getParameter', input]); return { Parameter: { Value: 'api-key' } }; } },
    },
  };
}

describe('sample app secrets', () => {
  test('a Secrets Manager ARN is read with GetSecretValue, a parameter name with GetParameter and decryption', async () => {
    const { calls, clients } = fakeClients();
    const env = { DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf', API_KEY_PARAMETER: '/app/api-key' };
    await expect(readSecrets(['DB_SECRET_ARN', 'API_KEY_PARAMETER'], { env, clients })).resolves.toEqual({
      DB_SECRET_ARN: 'db-password',
      API_KEY_PARAMETER: 'api-key',
    });
    expect(calls).toEqual([
      ['getSecretValue', { SecretId: env.DB_SECRET_ARN }],
      ['getParameter', { Name: '/app/api-key', WithDecryption: true }],
    ]);
  });

  test('variables that are not set are left out without calling AWS', async () => {
    const { calls, clients } = fakeClients();
    await expect(readSecrets(['DB_SECRET_ARN'], { env: {}, clients })).resolves.toEqual({});
    expect(calls).toEqual([]);
  });
});
