import { CacheUnavailableError, ConfigurationError } from '../errors.ts';

/** A Lua script of lua/, as embedded by lua/generate.ts. */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  /** SHA-1 of `source`: what EVALSHA names. */
  readonly sha1: string;
  readonly source: string;
}

/**
 * A script argument: a string, or a Buffer of ASCII bytes (a batch's ids back to back, ~220 KB
 * for 10,000 keys) that RESP sends as it is, without building and encoding a string of it.
 */
export type ScriptArg = string | Buffer;

/**
 * The one thing the dedup tiers need from a cache: run a script, in one round trip when the
 * server already has it (EVALSHA), with the EVAL fallback on NOSCRIPT. Adapters: Upstash REST
 * (`UpstashScriptRunner`) and RESP (`RespScriptRunner`, ioredis: ElastiCache, Valkey, Redis;
 * `RespClusterScriptRunner` for a cluster: ElastiCache Serverless, cluster-mode Valkey or Redis).
 *
 * Arguments are strings or ASCII Buffers, and every adapter sends the same bytes to the same script
 * (the REST adapter sends a Buffer as the string of its characters).
 * Network failures surface as `CacheUnavailableError`; a script error (a bug, not an outage) is
 * rethrown as it is.
 */
export interface ScriptRunner {
  /** `'upstash'`, `'resp'` or `'resp-cluster'`, for logs and metrics. */
  readonly kind: string;
  run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
  /**
   * Like {@link ScriptRunner.run}, with bulk replies as Buffers, byte for byte: how the distributed
   * Bloom tier copies its bitmaps (decision 0020). Absent where replies cannot carry binary
   * (Upstash REST): the tier then tests its keys inside the claim script.
   */
  runBinary?(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
  /** Closes connections the runner opened itself. */
  close(): Promise<void>;
}

/**
 * The Redis reply in an error's message. @upstash/redis wraps it: `Command failed: <reply>` when it
 * auto-pipelines the call, `<reply>, command was: [...]` when it sends it alone; ioredis's is the
 * reply itself.
 */
export function replyOf(message: string): string {
  const prefix = 'Command failed: ';
  const start = message.startsWith(prefix) ? prefix.length : 0;
  const end = message.indexOf(', command was:');
  return message.slice(start, end === -1 ? undefined : end);
}

/** Whether a Redis error text says the script cache does not hold the script. */
export function isNoScript(error: unknown): boolean {
  // At the start of the reply only: an Upstash error quotes the command it sent, whose keys (a
  // group named NOSCRIPT-…) would otherwise read as the reply.
  return error instanceof Error && /^NOSCRIPT\b/.test(replyOf(error.message));
}

/**
 * Replies that say Redis cannot serve now, not that the script is wrong: a cluster without a
 * quorum (CLUSTERDOWN) or mid-migration (TRYAGAIN), a node loading its data (LOADING), a replica
 * cut off from its master (MASTERDOWN) or answering writes after a failover (READONLY), a server
 * held by another client's long script (BUSY).
 */
const OUTAGE_REPLIES = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY)\b/;
/** Upstash's limits (HTTP 429 and the like): the database refuses until the limit resets or grows. */
const UPSTASH_LIMITS = /^ERR (max .* (limit )?exceeded|max concurrent connections|DB capacity quota)/i;

/**
 * A reply error that is neither a script bug nor something to retry through: the credentials or
 * the ACL (NOAUTH, WRONGPASS, NOPERM, an Upstash token refused) are a ConfigurationError, which
 * `onCacheUnavailable: 'degrade'` does not hide; a Redis at maxmemory (OOM) refuses writes until
 * keys expire or memory is added: a CacheUnavailableError, so the policy decides. Undefined for
 * any other reply. The message keeps the reply's first words, never the command (Upstash quotes
 * every argument: a batch's ids).
 */
export function classifyReply(message: string, cache: string): Error | undefined {
  const reply = replyOf(message).slice(0, 200);
  // The cause is the reply alone: loggers print an error's cause, and the client's error may
  // quote the whole command.
  const cause = new Error(reply);
  if (/^(NOAUTH|WRONGPASS|NOPERM)\b|^Unauthorized\b/i.test(reply)) {
    return new ConfigurationError(
      `${cache} refused the credentials or their permissions (${reply}). Check the cache's secret ` +
        '(user, password or REST token) and, on an ACL, that the user may run EVAL, EVALSHA and the keys mskguard:*.',
      { cause },
    );
  }
  if (/^OOM\b/.test(reply)) {
    return new CacheUnavailableError(
      `${cache} is out of memory (${reply}): it refuses writes until keys expire or memory is added. ` +
        'See docs/capacity.md for the memory a window takes, or add cacheShards.',
      { cause },
    );
  }
  if (OUTAGE_REPLIES.test(reply) || UPSTASH_LIMITS.test(reply)) {
    return new CacheUnavailableError(
      `${cache} cannot serve now (${reply}). Check the cache's health and limits; with ` +
        "onCacheUnavailable: 'degrade' the batch runs on the local filter.",
      { cause },
    );
  }
  return undefined;
}
