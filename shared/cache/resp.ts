import type { RedisOptions } from 'ioredis';
import { CacheUnavailableError, ConfigurationError } from '../errors.ts';
import { importOptionalPeer } from './optional-peer.ts';
import type { RespClusterScriptRunner } from './resp-cluster.ts';
import {
  classifyReply,
  isNoScript,
  type LuaScript,
  type ScriptArg,
  type ScriptRunner,
} from './script-runner.ts';

/** Options of {@link RespScriptRunner}. */
export interface RespRunnerOptions {
  /** A `redis://` or `rediss://` URL (TLS: `rediss://`). */
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
  /** ioredis's variant with bulk replies as Buffers; without it the Bloom tier copies no bitmaps. */
  evalshaBuffer?(sha1: string, numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
  /** ioredis's variant with bulk replies as Buffers. */
  evalBuffer?(source: string, numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown>;
  disconnect(): void;
}

/** The client's Buffer-reply commands in the shape evalScript calls; throws when it has none. */
export function binaryClient(client: RespClient): RespClient {
  const { evalshaBuffer, evalBuffer } = client;
  if (typeof evalshaBuffer !== 'function' || typeof evalBuffer !== 'function')
    throw new ConfigurationError(
      'This RESP client has no evalshaBuffer/evalBuffer: it cannot copy binary replies.',
    );
  return {
    evalsha: evalshaBuffer.bind(client),
    eval: evalBuffer.bind(client),
    disconnect: () => client.disconnect(),
  };
}

/**
 * Runs mskguard's scripts over RESP with ioredis on one Redis or Valkey server (cluster mode
 * disabled: a node-based ElastiCache, a Redis or Valkey in the VPC). ElastiCache Serverless is
 * always in cluster mode: use {@link RespClusterScriptRunner} there. EVALSHA first, EVAL on
 * NOSCRIPT; fails fast when the server is unreachable so `onCacheUnavailable` decides, not a hung
 * invocation.
 *
 * @example
 * ```ts
 * const runner = new RespScriptRunner({ url: 'rediss://my-cache.abc123.ng.0001.use1.cache.amazonaws.com:6379' });
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
    return evalScript(await this.#redis, script, keys, args);
  }

  public async runBinary(
    script: LuaScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<unknown> {
    this.#redis ??= this.#connect();
    return evalScript(binaryClient(await this.#redis), script, keys, args);
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

/**
 * EVALSHA, then EVAL when the server answers NOSCRIPT (its script cache is its own: a new node, a
 * restart, a failover or SCRIPT FLUSH empties it). `call` wraps each command (a deadline).
 */
export async function evalScript(
  redis: RespClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
  call: <T>(command: Promise<T>) => Promise<T> = (command) => command,
): Promise<unknown> {
  try {
    return await call(redis.evalsha(script.sha1, keys.length, ...keys, ...args));
  } catch (error) {
    if (!isNoScript(error)) throw classify(error);
  }
  try {
    return await call(redis.eval(script.source, keys.length, ...keys, ...args));
  } catch (error) {
    throw classify(error);
  }
}

/**
 * Replies that say the server cannot serve now, not that the script is wrong: a cluster without
 * an owner for the slot or in the middle of a failover (CLUSTERDOWN, TRYAGAIN), a node loading
 * its data (LOADING), a replica cut off from its master (MASTERDOWN) or answering writes after a
 * failover (READONLY), a server held by another client's long script (BUSY).
 */
const OUTAGE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY)\b/;

/**
 * A reply error from Redis is a script bug (CROSSSLOT included: the keys were wrong), except an
 * outage reply and the credential and memory replies of `classifyReply`; anything else
 * (connection, timeout, redirections exhausted) means unreachable.
 */
export function classify(error: unknown): unknown {
  const reply = error instanceof Error && /ReplyError|SimpleError/.test(error.name);
  const known = reply ? classifyReply(error.message, 'Redis') : undefined;
  if (known !== undefined) return known;
  if (reply && !OUTAGE_REPLIES.test(error.message)) return error;
  if (error instanceof CacheUnavailableError) return error;
  const what = reply ? 'Redis cannot serve now' : 'Redis is unreachable';
  return new CacheUnavailableError(
    `${what} (${(error as Error).message}). Check the cache endpoint, security groups and ` +
      "network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
    { cause: error },
  );
}
