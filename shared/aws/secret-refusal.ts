import { ConfigurationError } from '../errors.ts';

/**
 * What to do about each Secrets Manager answer that no retry mends: the role may not read the
 * secret or its KMS key, the secret is gone or scheduled for deletion.
 */
const FIXES: Readonly<Record<string, string>> = {
  AccessDeniedException: 'allow this role secretsmanager:GetSecretValue on it',
  ResourceNotFoundException: 'no such secret in this account and region',
  DecryptionFailure: "allow this role kms:Decrypt on the secret's key",
  InvalidRequestException: 'the secret may be scheduled for deletion: restore it',
};

/**
 * A ConfigurationError naming the secret and the fix when Secrets Manager refused for good, which
 * neither a retry nor `onCacheUnavailable: 'degrade'` may hide; undefined for the rest
 * (throttling, network), which the caller reports as it would any outage. `named` says where the
 * secret's id came from (`MSKGUARD_UPSTASH_SECRET_ARN`), for a secret that does not exist.
 *
 * @example
 * ```ts
 * const secret = await sm.send(command).catch((e) => { throw refusedSecret(e, 'SCRAM', arn) ?? e; });
 * ```
 */
export function refusedSecret(
  error: unknown,
  what: string,
  secretId: string,
  named = 'the ARN',
): ConfigurationError | undefined {
  const name = error instanceof Error ? error.name : '';
  const fix = FIXES[name];
  if (fix === undefined) return undefined;
  const check = name === 'ResourceNotFoundException' ? `${fix}: check ${named}` : fix;
  return new ConfigurationError(`Cannot read the ${what} secret ${secretId} (${name}): ${check}.`, {
    cause: error,
  });
}
