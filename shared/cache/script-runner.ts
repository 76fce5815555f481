/** A Lua script of lua/, as embedded by lua/generate.ts. */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  /** SHA-1 of `source`: what EVALSHA names. */
  readonly sha1: string;
  readonly source: string;
}

/**
 * The one thing the dedup tiers need from a cache: run a script, in one round trip when the
 * server already has it (EVALSHA), with the EVAL fallback on NOSCRIPT. Adapters: Upstash REST
 * (`UpstashScriptRunner`) and RESP (`RespScriptRunner`, ioredis: ElastiCache, Valkey, Redis).
 *
 * Arguments are strings (JSON-safe), so every adapter sends the same bytes to the same script.
 * Network failures surface as `CacheUnavailableError`; a script error (a bug, not an outage) is
 * rethrown as it is.
 */
export interface ScriptRunner {
  /** `'upstash'` or `'resp'`, for logs and metrics. */
  readonly kind: string;
  run(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Closes connections the runner opened itself. */
  close(): Promise<void>;
}

/** Whether a Redis error text says the script cache does not hold the script. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}
