import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerSdk } from '../aws/sdk.ts';
import { refusedSecret } from '../aws/secret-refusal.ts';
import { RespScriptRunner } from '../cache/resp.ts';
import { RespClusterScriptRunner } from '../cache/resp-cluster.ts';
import type { ScriptRunner } from '../cache/script-runner.ts';
import { UpstashScriptRunner } from '../cache/upstash.ts';
import { ConfigurationError } from '../errors.ts';
import { FUNCTION_ENV } from './function-env.ts';

/** The minimal Secrets Manager client the cache factory needs (tests pass a stub). */
export interface SecretReader {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string }>;
}

/**
 * A function creating the dedup cache's script runner from the environment, called on the first
 * event (not at import), so a cold start does no network I/O before it has work:
 * - `upstash`: the REST URL and token from the Secrets Manager secret named by
 *   MSKGUARD_UPSTASH_SECRET_ARN (`{"url": "...", "token": "..."}`): never from plain env.
 * - `elasticache`: RESP over TLS to MSKGUARD_REDIS_HOST:MSKGUARD_REDIS_PORT (IAM-free, in the VPC);
 *   with MSKGUARD_REDIS_CLUSTER=true (ElastiCache Serverless is always cluster mode) through the
 *   cluster-aware {@link RespClusterScriptRunner}, seeded with that endpoint.
 * - local development only: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN of the local stack
 *   (`npm run stack:up`), when no backend is configured.
 *
 * @example
 * ```ts
 * mskGuard({ consumerGroup, cache: cacheFromEnv() });
 * ```
 */
export function cacheFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  secrets?: SecretReader,
): () => Promise<ScriptRunner> {
  const backend = env[FUNCTION_ENV.CACHE_BACKEND];
  if (backend === 'upstash') {
    const secretId = env[FUNCTION_ENV.UPSTASH_SECRET_ARN];
    if (!secretId)
      throw new ConfigurationError(`${FUNCTION_ENV.UPSTASH_SECRET_ARN} is not set: name the Upstash secret`);
    return async () => {
      const sdk = await secretsManagerSdk();
      const client = secrets ?? new sdk.SecretsManagerClient({});
      const { SecretString } = await client
        .send(new sdk.GetSecretValueCommand({ SecretId: secretId }))
        .catch((error: unknown) => {
          throw refusedSecret(error, 'Upstash', secretId, FUNCTION_ENV.UPSTASH_SECRET_ARN) ?? error;
        });
      const parsed = parseUpstashSecret(SecretString, secretId);
      return new UpstashScriptRunner(parsed);
    };
  }
  if (backend === 'elasticache') {
    const host = env[FUNCTION_ENV.REDIS_HOST];
    if (!host)
      throw new ConfigurationError(`${FUNCTION_ENV.REDIS_HOST} is not set: name the ElastiCache endpoint`);
    const url = `${tls(env) ? 'rediss' : 'redis'}://${hostOf(host)}:${portOf(env)}`;
    if (clusterMode(env)) return async () => new RespClusterScriptRunner({ nodes: [url] });
    return async () => new RespScriptRunner({ url });
  }
  if (backend === undefined && env.UPSTASH_REDIS_REST_URL && env.UPSTASH_REDIS_REST_TOKEN) {
    const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = env;
    return async () => new UpstashScriptRunner({ url, token });
  }
  throw new ConfigurationError(
    `${FUNCTION_ENV.CACHE_BACKEND} must be 'upstash' or 'elasticache' (got ${String(backend)}); ` +
      'for local runs, start the stack and load .local/stack/stack.env.',
  );
}

/** MSKGUARD_REDIS_CLUSTER: `true` or `false` (unset: false, the single-node client). */
function clusterMode(env: NodeJS.ProcessEnv): boolean {
  const value = env[FUNCTION_ENV.REDIS_CLUSTER];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigurationError(
    `${FUNCTION_ENV.REDIS_CLUSTER} must be 'true' (a cluster-mode endpoint, e.g. ElastiCache Serverless) ` +
      `or 'false' (got ${value})`,
  );
}

/** MSKGUARD_REDIS_TLS: `true` (and unset: ElastiCache Serverless always uses TLS) or `false`. */
function tls(env: NodeJS.ProcessEnv): boolean {
  const value = env[FUNCTION_ENV.REDIS_TLS];
  if (value === undefined || value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigurationError(`${FUNCTION_ENV.REDIS_TLS} must be 'true' or 'false' (got ${value})`);
}

/** MSKGUARD_REDIS_HOST: a host name or address only; the scheme and port have their own variables. */
function hostOf(host: string): string {
  if (/^[A-Za-z0-9.-]+$/.test(host)) return host;
  throw new ConfigurationError(
    `${FUNCTION_ENV.REDIS_HOST} must be the endpoint's host name alone, without scheme, port or ` +
      `credentials (set ${FUNCTION_ENV.REDIS_PORT} and ${FUNCTION_ENV.REDIS_TLS} for those)`,
  );
}

/** MSKGUARD_REDIS_PORT: an integer from 1 to 65535 (unset: 6379). */
function portOf(env: NodeJS.ProcessEnv): number {
  const value = env[FUNCTION_ENV.REDIS_PORT];
  if (value === undefined || value === '') return 6379;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (port >= 1 && port <= 65_535) return port;
  throw new ConfigurationError(`${FUNCTION_ENV.REDIS_PORT} must be a port from 1 to 65535 (got ${value})`);
}

function parseUpstashSecret(text: string | undefined, secretId: string): { url: string; token: string } {
  try {
    const value = JSON.parse(text ?? '') as { url?: unknown; token?: unknown };
    if (typeof value.url === 'string' && typeof value.token === 'string')
      return { url: value.url, token: value.token };
  } catch {
    // fall through to the actionable error; the secret's text is never logged
  }
  throw new ConfigurationError(
    `Secret ${secretId} must be JSON {"url": "https://…upstash.io", "token": "…"}`,
  );
}
