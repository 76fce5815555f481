// Guarantee: none of G1–G6 directly; proves the secrets rule of design §8 (names and ARNs in the
// environment, values in Secrets Manager) accepts the reference names its own error recommends.
import { describe, expect, it } from 'vitest';
import { assertNoSecretsInEnvironment, SecretInEnvironmentError } from '#cdk/function-defaults.ts';

describe('assertNoSecretsInEnvironment', () => {
  it.each([
    'UPSTASH_TOKEN_SECRET_ARN',
    'DB_PASSWORD_SECRET_ARN',
    'STRIPE_API_KEY_SECRET_ARN',
    'PARTNER_CREDENTIALS_SECRET_ID',
    'SIGNING_PRIVATE_KEY_SECRET_NAME',
    'API_SECRET_ARN',
  ])('accepts %s: a name ending in _SECRET_ARN (or _ID, _NAME) refers to a secret', (name) => {
    expect(() => assertNoSecretsInEnvironment({ [name]: 'arn:aws:secretsmanager:x' }, 'test')).not.toThrow();
  });

  it.each([
    'DB_PASSWORD',
    'UPSTASH_REDIS_REST_TOKEN',
    'API_KEY',
    'CLIENT_SECRET',
    'TOKEN_SECRET_ARN_VALUE',
  ])('still rejects %s', (name) => {
    expect(() => assertNoSecretsInEnvironment({ [name]: 'x' }, 'test')).toThrow(SecretInEnvironmentError);
  });
});
