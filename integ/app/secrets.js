'use strict';

/**
 * Secrets from HybridAlbService's `secrets` prop. Each arrives on both sides as an environment variable
 * holding a reference, never the value: a Secrets Manager secret's ARN, or an SSM parameter's name.
 * The app reads the values once, when it starts, the same way on Lambda and on Fargate.
 *
 * The AWS SDK for JavaScript v3 ships in AWS's Lambda Node.js base image, on its NODE_PATH, which
 * Fargate runs too: the app needs no dependency of its own for it. `clients` lets tests substitute it.
 */

const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:/;

function defaultClients() {
  const { SecretsManager } = require('@aws-sdk/client-secrets-manager');
  const { SSM } = require('@aws-sdk/client-ssm');
  return { secretsManager: new SecretsManager({}), ssm: new SSM({}) };
}

/** The value a reference points at: a secret's string by its ARN, or a parameter's decrypted value by its name. */
async function readSecret(reference, clients) {
  if (SECRETS_MANAGER_ARN.test(reference)) {
    const { SecretString } = await clients.secretsManager.getSecretValue({ SecretId: reference });
    return SecretString;
  }
  const { Parameter } = await clients.ssm.getParameter({ Name: reference, WithDecryption: true });
  return Parameter.Value;
}

/**
 * The values of the secrets whose references are in the given environment variables, by variable name.
 * A variable that is not set is left out, so the app runs without the secrets it does not use.
 */
async function readSecrets(names, { env = process.env, clients } = {}) {
  const present = names.filter((name) => env[name]);
  if (present.length === 0) return {};
  const resolvedClients = clients ?? defaultClients();
  const values = await Promise.all(present.map((name) => readSecret(env[name], resolvedClients)));
  return Object.fromEntries(present.map((name, i) => [name, values[i]]));
}

module.exports = { readSecrets };
