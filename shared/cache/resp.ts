import type { Redis, RedisOptions } from 'ioredis';
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
    if (!options.client) parseRedisUrl(options.url as string, 'RespScriptRunner');
    this.#options = options;
    this.#redis = options.client;
  }

  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return evalScript(await this.#client(), script, keys, args);
  }

  public async runBinary(
    script: LuaScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<unknown> {
    return evalScript(binaryClient(await this.#client()), script, keys, args);
  }

  /** The client, once it can write now: a call is sent at once or not at all (see #connect). */
  async #client(): Promise<RespClient> {
    this.#redis ??= this.#connect();
    const redis = await this.#redis;
    if (this.#options.client === undefined) await waitReady(redis as Redis, this.#options.timeoutMs ?? 2000);
    return redis;
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
      // A command that failed must never reach Redis later: the caller has moved on (released,
      // claimed again under its owner, degraded), and a claim or complete replayed on the next
      // connection would lease or mark keys behind its back. ioredis would otherwise queue a
      // command while it is not connected and send it on reconnect after its timeout fired
      // (offline queue), and resend on a new connection what it wrote to one that died
      // (autoResendUnfulfilledCommands). `#client` waits, bounded, for a connection instead.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
      // A connection that stops answering (a primary gone without a RST) is closed and replaced,
      // not kept until the kernel gives up on it (~15 min of timeouts).
      socketTimeout: timeout,
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
 * A `redis://` or `rediss://` URL, else a ConfigurationError at construction. Its message names
 * the URL without its user and password, and has no cause: Node's URL error keeps the whole input
 * (password included) in a field loggers print, and ioredis takes any other scheme for a socket
 * path whose connection error would quote it.
 */
export function parseRedisUrl(url: string, who: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below, without the parser's error
  }
  if (parsed === undefined || !['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new ConfigurationError(
      `${who}: ${redactUrl(url)} is not a redis://host:port or rediss://host:port URL`,
    );
  }
  return parsed;
}

/**
 * The URL with any user and password replaced, and any query (ioredis reads `?password=`), for
 * messages. The credentials end at the last `@`, as URL parsers read them: a password with a raw
 * `/` or `@` (not percent-encoded) is still hidden whole. A path holding an `@` is hidden too.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(url)?.[0] ?? '';
  const at = url.lastIndexOf('@');
  const rest = at >= scheme.length ? `***@${url.slice(at + 1)}` : url.slice(scheme.length);
  const query = rest.search(/[?#]/);
  return scheme + (query < 0 ? rest : `${rest.slice(0, query)}?***`);
}

/**
 * Waits until the client is ready, at most `ms`, else CacheUnavailableError. A connection that
 * connected but never became ready (its handshake unanswered) is dropped, so the next call
 * starts a fresh one instead of waiting on it forever.
 */
function waitReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let last: unknown;
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      redis.removeListener('ready', onReady);
      redis.removeListener('error', onError);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = () => settle();
    // A refused AUTH (WRONGPASS, NOAUTH) never becomes ready: say so now, as a ConfigurationError.
    const onError = (error: unknown) => {
      last = error;
      const refused = classify(error);
      if (refused instanceof ConfigurationError) settle(refused);
    };
    const timer = setTimeout(() => {
      if (redis.status === 'connect') redis.disconnect(true);
      settle(
        last === undefined
          ? new CacheUnavailableError(
              `Redis is not ready after ${ms} ms (status ${redis.status}). Check the cache endpoint, ` +
                "security groups and network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
            )
          : classify(last),
      );
    }, ms);
    redis.once('ready', onReady);
    redis.on('error', onError);
  });
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
 * A reply error from Redis is a script bug (CROSSSLOT included: the keys were wrong), except the
 * credential, memory and outage replies of `classifyReply`; anything else
 * (connection, timeout, redirections exhausted) means unreachable.
 */
export function classify(error: unknown): unknown {
  const reply = error instanceof Error && /ReplyError|SimpleError/.test(error.name);
  const known = reply ? classifyReply(error.message, 'Redis') : undefined;
  if (known !== undefined) return known;
  if (reply) return error;
  if (error instanceof CacheUnavailableError) return error;
  return new CacheUnavailableError(
    `Redis is unreachable (${(error as Error).message}). Check the cache endpoint, security groups and ` +
      "network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
    { cause: error },
  );
}
