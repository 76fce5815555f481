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

/** Whether a Redis error text says the script cache does not hold the script. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}
