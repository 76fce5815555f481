import type { RedisOptions } from 'ioredis';
import { CacheUnavailableError, ConfigurationError } from '../errors.ts';
import { importOptionalPeer } from './optional-peer.ts';
import { isNoScript, type LuaScript, type ScriptArg, type ScriptRunner } from './script-runner.ts';

/** Options of {@link RespScriptRunner}. */
export interface RespRunnerOptions {
  /** A `redis://` or `rediss://` URL (ElastiCache Serverless needs `rediss://`). */
  readonly url?: string;
  /** An ioredis client (or one of the same shape) to use instead of `url`; `close()` leaves it open. */
  readonly client?: RespClient;
  /**
   * Milliseconds to wait for a connection or a reply before the call fails with
   * CacheUnavailableError.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/** What the runner calls on an ioredis client: a structural type, so ioredis stays an optional peer. */
export interface RespClient {
  evalsha(sha1: string, numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
  eval(source: string, numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
  disconnect(): void;
}

/**
 * Runs mskguard's scripts over RESP with ioredis: ElastiCache Serverless (Valkey), a Redis or
 * Valkey in the VPC. EVALSHA first, EVAL on NOSCRIPT; fails fast (no offline queue) when the
 * server is unreachable so `onCacheUnavailable` decides, not a hung invocation.
 *
 * @example
 * ```ts
 * const runner = new RespScriptRunner({ url: 'rediss://my-cache.serverless.use1.cache.amazonaws.com:6379' });
 * ```
 */
export class RespScriptRunner implements ScriptRunner {
  public readonly kind = 'resp';
  readonly #options: RespRunnerOptions;
  // The client is created on first use: ioredis is loaded only by a user who runs over RESP.
  #redis: RespClient | Promise<RespClient> | undefined;

  public constructor(options: RespRunnerOptions) {
    if (!options.client && !options.url) {
      throw new ConfigurationError('RespScriptRunner needs a `url` (redis:// or rediss://) or a `client`');
    }
    this.#options = options;
    this.#redis = options.client;
  }

  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.#redis ??= this.#connect();
    const redis = await this.#redis;
    try {
      return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw classify(error);
    }
    try {
      return await redis.eval(script.source, keys.length, ...keys, ...args);
    } catch (error) {
      throw classify(error);
    }
  }

  public async close(): Promise<void> {
    if (this.#options.client || this.#redis === undefined) return;
    (await this.#redis).disconnect();
    this.#redis = undefined;
  }

  async #connect(): Promise<RespClient> {
    const { Redis } = await importOptionalPeer('ioredis', 'RespScriptRunner', () => import('ioredis'));
    const timeout = this.#options.timeoutMs ?? 2000;
    const settings: RedisOptions = {
      connectTimeout: timeout,
      commandTimeout: timeout,
      // A command waits for at most one reconnection attempt, then fails: onCacheUnavailable decides.
      maxRetriesPerRequest: 1,
      // Never give up reconnecting: the cache must be used again as soon as it is back.
      retryStrategy: (times) => Math.min(100 * times, 2000),
    };
    const redis = new Redis(this.#options.url as string, settings);
    // Connection errors reach callers as rejected commands (CacheUnavailableError); without a
    // listener ioredis would also print each one as an unhandled error event.
    redis.on('error', () => {});
    this.#redis = redis;
    return redis;
  }
}

/** A reply error from Redis is a script bug; anything else (connection, timeout) means unreachable. */
function classify(error: unknown): unknown {
  if (error instanceof Error && /ReplyError|SimpleError/.test(error.name)) return error;
  return new CacheUnavailableError(
    `Redis is unreachable (${(error as Error).message}). Check the cache endpoint, security groups and ` +
      "network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
    { cause: error },
  );
}
