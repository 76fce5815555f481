import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { CacheUnavailableError } from '#shared/errors.ts';

/**
 * A script runner that can be cut off from its cache, like a Redis endpoint that stops answering:
 * while down, every call fails with the error the adapters raise for an unreachable cache.
 *
 * @example
 * ```ts
 * const cache = new OutageableRunner(runner);
 * cache.down = true; // the guard degrades (onCacheUnavailable: 'degrade') or fails
 * ```
 */
export class OutageableRunner implements ScriptRunner {
  public down = false;

  public constructor(private readonly inner: ScriptRunner) {}

  public get kind(): string {
    return this.inner.kind;
  }

  public run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (this.down) {
      return Promise.reject(
        new CacheUnavailableError('simulated fault: the dedup cache does not answer (local cache outage)'),
      );
    }
    return this.inner.run(script, keys, args);
  }

  public close(): Promise<void> {
    return this.inner.close();
  }
}
