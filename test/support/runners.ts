import { createHash, randomBytes } from 'node:crypto';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { type RespClusterRunnerOptions, RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import type { TierKey } from '#shared/dedup/exact.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { clusterNodeUrls, stackEnv } from './stack.ts';

/** A runner that counts the script calls it forwards (one call = one round trip on RESP). */
export class CountingRunner implements ScriptRunner {
  public readonly calls: string[] = [];
  public get kind(): string {
    return this.inner.kind;
  }
  /**
   * While set, the bytes of each call as an Upstash REST request body and reply would carry them
   * (a JSON array of the command and its arguments; `{"result": …}`): for the bench's capacity
   * columns, off while timing (stringifying 10,000 ids is itself work).
   */
  public bytes?: { request: number; reply: number };
  /** Present when the inner runner has it (RESP): the Bloom tier's copies are read through it. */
  public readonly runBinary?: ScriptRunner['runBinary'];

  public constructor(private readonly inner: ScriptRunner) {
    const binary = inner.runBinary?.bind(inner);
    if (binary)
      this.runBinary = (script, keys, args) => {
        this.calls.push(script.name);
        return binary(script, keys, args);
      };
  }

  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    this.calls.push(script.name);
    const result = await this.inner.run(script, keys, args);
    if (this.bytes) {
      const texts = args.map((a) => (typeof a === 'string' ? a : a.toString('latin1')));
      this.bytes.request += JSON.stringify(['evalsha', script.sha1, keys.length, ...keys, ...texts]).length;
      this.bytes.reply += JSON.stringify({ result }).length;
    }
    return result;
  }
  public close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Which Redis the RESP suites talk to: the stack's single node, or its Redis Cluster when
 * MSKGUARD_TEST_REDIS=cluster (CI runs the guarantee suites both ways).
 */
export const TEST_REDIS: 'single' | 'cluster' =
  process.env.MSKGUARD_TEST_REDIS === 'cluster' ? 'cluster' : 'single';

/** Both cache adapters against the local stack: the same suites run on each. */
export const ADAPTERS = {
  resp: (): ScriptRunner =>
    TEST_REDIS === 'cluster' ? clusterRunner() : new RespScriptRunner({ url: stackEnv().REDIS_URL }),
  upstash: (): ScriptRunner =>
    new UpstashScriptRunner({
      url: stackEnv().UPSTASH_REDIS_REST_URL,
      token: stackEnv().UPSTASH_REDIS_REST_TOKEN,
    }),
} as const;

/**
 * A runner on the stack's Redis Cluster (started with the stack by `npm test`), seeded with all of
 * its nodes; `options` override (e.g. a short `timeoutMs`). Close it in `afterAll`.
 */
export function clusterRunner(
  options: Omit<RespClusterRunnerOptions, 'nodes' | 'client'> = {},
): RespClusterScriptRunner {
  return new RespClusterScriptRunner({ nodes: clusterNodeUrls(), ...options });
}

/** A script of the tests' own, as the runners take one: its SHA-1 computed from `source`. */
export function testScript(name: string, source: string, numberOfKeys = 1): LuaScript {
  return { name, numberOfKeys, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * A call that writes, standing for a claim in the late-arrival tests: it sets KEYS[1] to ARGV[1],
 * so a script that reached Redis after its call gave up is visible.
 */
export const LATE_MARK = testScript(
  'late-mark',
  "redis.call('SET', KEYS[1], ARGV[1], 'PX', 600000) return 1",
);

/**
 * A script no Redis has seen yet (a fresh comment gives it a fresh SHA-1, so its first EVALSHA on
 * each node answers NOSCRIPT); it sets KEYS[1] to ARGV[1] and answers the port of the node that ran it.
 */
export function freshPortScript(): LuaScript {
  const source = `-- ${randomBytes(8).toString('hex')}
redis.call('SET', KEYS[1], ARGV[1])
return string.match(redis.call('INFO', 'server'), 'tcp_port:(%d+)')`;
  return testScript('port', source);
}

/** A random key as the Redis tier takes it. */
export function randomKey(): TierKey {
  const digest = randomBytes(16);
  return { id: digest.toString('base64url'), digest };
}

/** `n` random keys whose digests lie back to back in one buffer, as the middleware hands them over. */
export function randomSlabKeys(n: number): TierKey[] {
  const slab = randomBytes(n * 16);
  return Array.from({ length: n }, (_, i) => {
    const digest = slab.subarray(i * 16, i * 16 + 16);
    return { id: digest.toString('base64url'), digest, slab, at: i * 16 };
  });
}

/**
 * A runner that loses the next call of a script, as a cache blip does: either the request never
 * reaches Redis (`dropNext`: the cache was unreachable) or Redis runs the script and the reply is
 * lost (`loseNextReply`: the connection reset in between).
 */
export class ReplyLostRunner implements ScriptRunner {
  readonly #armed = new Set<string>();
  readonly #dropped = new Set<string>();
  public constructor(private readonly inner: ScriptRunner) {}
  public get kind(): string {
    return this.inner.kind;
  }
  /** The next call of `script` ('claim', 'complete' or 'release') loses its reply. */
  public loseNextReply(script: string): void {
    this.#armed.add(script);
  }
  /** The next call of `script` never reaches Redis. */
  public dropNext(script: string): void {
    this.#dropped.add(script);
  }
  public async run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (this.#dropped.delete(script.name))
      throw new CacheUnavailableError(`${script.name}: unreachable (injected)`);
    const reply = await this.inner.run(script, keys, args);
    if (this.#armed.delete(script.name))
      throw new CacheUnavailableError(`${script.name}: reply lost (injected)`);
    return reply;
  }
  public close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Shards the guarantee suites give mskGuard (`cacheShards`): 1 by default; CI runs them again with
 * MSKGUARD_TEST_CACHE_SHARDS set (and against the stack's Redis Cluster), so every guarantee is
 * proven with a group's keys spread over several hash tags too.
 */
export const TEST_CACHE_SHARDS = Number(process.env.MSKGUARD_TEST_CACHE_SHARDS ?? 1);
