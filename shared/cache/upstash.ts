import { CacheUnavailableError, ConfigurationError } from '../errors.ts';
import { importOptionalPeer } from './optional-peer.ts';
import { redactUrl } from './resp.ts';
import {
  classifyReply,
  isNoScript,
  type LuaScript,
  replyOf,
  type ScriptArg,
  type ScriptRunner,
} from './script-runner.ts';

/** Options of {@link UpstashScriptRunner}. */
export interface UpstashRunnerOptions {
  /** UPSTASH_REDIS_REST_URL. */
  readonly url: string;
  /** UPSTASH_REDIS_REST_TOKEN: read it from Secrets Manager, never from plain configuration. */
  readonly token: string;
  /**
   * Retries on network errors before the call fails with CacheUnavailableError. Each try is one
   * round trip, so this bounds the time an invocation waits on an unreachable cache.
   * @default 1
   */
  readonly retries?: number;
  /**
   * Milliseconds to wait for one request's reply before it fails (and is retried, or fails with
   * CacheUnavailableError): an endpoint that stops answering must not hold the invocation.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/**
 * Runs mskguard's scripts over the Upstash REST API with @upstash/redis: the default cache for
 * functions outside a VPC. EVALSHA first (one HTTP request), EVAL when the server answers NOSCRIPT.
 *
 * @example
 * ```ts
 * const runner = new UpstashScriptRunner({ url: secret.url, token: secret.token });
 * ```
 */
export class UpstashScriptRunner implements ScriptRunner {
  public readonly kind = 'upstash';
  readonly #options: UpstashRunnerOptions;
  // Created on first use: @upstash/redis is loaded only by a user who runs over REST.
  #redis: Promise<UpstashClient> | undefined;

  public constructor(options: UpstashRunnerOptions) {
    if (!options?.url || !options.token) {
      throw new ConfigurationError(
        'UpstashScriptRunner needs `url` and `token` (UPSTASH_REDIS_REST_URL / _TOKEN)',
      );
    }
    // Checked here, not on the first event: @upstash/redis's own UrlError would fail every
    // invocation of the container the same way, long after the deploy looked fine.
    if (!isHttpUrl(options.url)) {
      throw new ConfigurationError(
        `UpstashScriptRunner: url must be the database's REST URL, https://<name>.upstash.io (got ${redactUrl(options.url)})`,
      );
    }
    this.#options = options;
  }

  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.#redis ??= this.#connect();
    const redis = await this.#redis;
    // JSON carries strings: a Buffer argument (ASCII) goes as the string of its characters.
    const texts = args.map((arg) => (typeof arg === 'string' ? arg : arg.toString('latin1')));
    try {
      return await redis.evalsha(script.sha1, [...keys], texts);
    } catch (error) {
      if (!isNoScript(error)) throw classify(error);
    }
    try {
      return await redis.eval(script.source, [...keys], texts);
    } catch (error) {
      throw classify(error);
    }
  }

  public async close(): Promise<void> {}

  async #connect(): Promise<UpstashClient> {
    const { Redis } = await importOptionalPeer(
      '@upstash/redis',
      'UpstashScriptRunner',
      () => import('@upstash/redis'),
    );
    const retries = this.#options.retries ?? 1;
    const timeoutMs = this.#options.timeoutMs ?? 2000;
    return new Redis({
      url: this.#options.url,
      token: this.#options.token,
      // Results are our scripts' own strings and numbers; never JSON.parse them.
      automaticDeserialization: false,
      enableTelemetry: false,
      // Always an object: @upstash/redis takes `retry: false` as one retry, not none.
      retry: { retries, backoff: (n) => 25 * 2 ** n },
      // A new signal per request: each one gets the whole timeout.
      signal: () => AbortSignal.timeout(timeoutMs),
    });
  }
}

function isHttpUrl(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (protocol === 'https:' || protocol === 'http:') && hostname !== '';
  } catch {
    return false;
  }
}

/** What the runner calls on an @upstash/redis client (structural: the package is an optional peer). */
interface UpstashClient {
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(source: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * @upstash/redis throws an UpstashError for every HTTP status that is not 2xx, with the body's
 * `error` and the command it sent; the status itself is not kept. A Redis reply starts with its
 * error code (ERR, NOSCRIPT, WRONGTYPE…): a script bug, rethrown as it is, except the replies
 * `classifyReply` knows (credentials, memory, Redis that cannot serve now, Upstash's own limits:
 * 429 for requests, connections, the database's size). Anything else
 * (a 5xx whose body is free text, has no `error`, or is not JSON, or the network) is an outage:
 * a CacheUnavailableError, so `onCacheUnavailable` decides instead of a failure with no policy.
 */
function classify(error: unknown): unknown {
  if (error instanceof Error && error.name === 'UpstashError') {
    const known = classifyReply(error.message, 'The Upstash REST endpoint');
    if (known !== undefined) return known;
    const reply = replyOf(error.message).slice(0, 200);
    if (REDIS_REPLY.test(reply)) return error;
    return unavailable(`answered ${reply}`, new Error(reply));
  }
  return unavailable(`is unreachable (${(error as Error).message})`, error);
}

/** A Redis error reply: an upper-case code, then its text. */
const REDIS_REPLY = /^[A-Z][A-Z0-9_]+ /;

function unavailable(what: string, cause: unknown): CacheUnavailableError {
  return new CacheUnavailableError(
    `The Upstash REST endpoint ${what}. Check UPSTASH_REDIS_REST_URL, the database's limits and ` +
      "the network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
    { cause },
  );
}
