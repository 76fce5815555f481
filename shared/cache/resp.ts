import { Redis, type RedisOptions } from 'ioredis';
import { CacheUnavailableError } from '../errors.ts';
import { isNoScript, type LuaScript, type ScriptArg, type ScriptRunner } from './script-runner.ts';

/** Options of {@link RespScriptRunner}. */
export interface RespRunnerOptions {
  /** A `redis://` or `rediss://` URL (ElastiCache Serverless needs `rediss://`). */
  readonly url?: string;
  /** An ioredis client to use instead of `url`; it is not closed by `close()`. */
  readonly client?: Redis;
  /**
   * Milliseconds to wait for a connection or a reply before the call fails with
   * CacheUnavailableError.
   * @default 2000
   */
  readonly timeoutMs?: number;
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
  readonly #redis: Redis;
  readonly #owned: boolean;

  public constructor(options: RespRunnerOptions) {
    if (options.client) {
      this.#redis = options.client;
      this.#owned = false;
      return;
    }
    if (!options.url) throw new TypeError('RespScriptRunner needs a url or a client');
    const timeout = options.timeoutMs ?? 2000;
    const settings: RedisOptions = {
      connectTimeout: timeout,
      commandTimeout: timeout,
      // A command waits for at most one reconnection attempt, then fails: onCacheUnavailable decides.
      maxRetriesPerRequest: 1,
      // Never give up reconnecting: the cache must be used again as soon as it is back.
      retryStrategy: (times) => Math.min(100 * times, 2000),
    };
    this.#redis = new Redis(options.url, settings);
    // Connection errors reach callers as rejected commands (CacheUnavailableError); without a
    // listener ioredis would also print each one as an unhandled error event.
    this.#redis.on('error', () => {});
    this.#owned = true;
  }

  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(script.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw classify(error);
    }
    try {
      return await this.#redis.eval(script.source, keys.length, ...keys, ...args);
    } catch (error) {
      throw classify(error);
    }
  }

  public async close(): Promise<void> {
    if (this.#owned) this.#redis.disconnect();
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
