import { randomBytes } from 'node:crypto';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import type { TierKey } from '#shared/dedup/exact.ts';
import { stackEnv } from './stack.ts';

/** A runner that counts the script calls it forwards (one call = one round trip on RESP). */
export class CountingRunner implements ScriptRunner {
  public readonly calls: string[] = [];
  public constructor(private readonly inner: ScriptRunner) {}
  public get kind(): string {
    return this.inner.kind;
  }
  public run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.calls.push(script.name);
    return this.inner.run(script, keys, args);
  }
  public close(): Promise<void> {
    return this.inner.close();
  }
}

/** Both cache adapters against the local stack: the same suites run on each. */
export const ADAPTERS = {
  resp: (): ScriptRunner => new RespScriptRunner({ url: stackEnv().REDIS_URL }),
  upstash: (): ScriptRunner =>
    new UpstashScriptRunner({
      url: stackEnv().UPSTASH_REDIS_REST_URL,
      token: stackEnv().UPSTASH_REDIS_REST_TOKEN,
    }),
} as const;

/** A random key as the Redis tier takes it. */
export function randomKey(): TierKey {
  const digest = randomBytes(16);
  return { id: digest.toString('base64url'), digest };
}
