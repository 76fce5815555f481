// What the distributed Bloom tier's suites share (bloom-copies*, bloom-log*): the window and its
// safe age for copies, random keys, the flags of a claim argument, the generation Redis's clock is
// in, and a runner that passes calls on to a real one while recording them or replacing its reads.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { LuaScript, ScriptArg, ScriptRunner } from '#shared/cache/script-runner.ts';
import { LONGEST_RUN_MS } from '#shared/dedup/bloom/snapshots.ts';
import type { TierKey } from '#shared/dedup/exact.ts';

export const HOUR = 3_600_000;
/** A one-hour dedup window's safe age for copies: the window less the longest run. */
export const SAFE = HOUR - LONGEST_RUN_MS;

/** A key with a random digest. */
export const key = (): TierKey => {
  const digest = randomBytes(16);
  return { id: digest.toString('base64url'), digest };
};

/** The flags of a claim argument, after its "F<read at> <safe age> " head. */
export const flagsOf = (flags: Buffer | undefined) => flags?.toString('latin1').split(' ')[2];

/** The generation of `generationMs` that Redis's clock is in now. */
export async function redisGeneration(admin: Redis | Cluster, generationMs: number): Promise<number> {
  const [seconds, micros] = (await admin.time()) as [number | string, number | string];
  return Math.floor((Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) / generationMs);
}

/** A claim call labelled with its Bloom argument: "claim:F" (flags from copies) or "claim:[" (blocks for the script). */
export const claimLabel = (script: LuaScript, args: readonly ScriptArg[]): string =>
  script.name === 'claim' ? `claim:${String(args[8]).slice(0, 1)}` : script.name;

/** One call of a script, as a runner receives it. */
export interface ScriptCall {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
}

/**
 * A runner that passes every call on to `real` and records it in `calls` (by `label`, the script's
 * name unless told). `read` stands in for the binary reads (the copies' snapshots): it gets the
 * read's number from 0, the call and the real read.
 */
export function throughRunner(
  real: ScriptRunner,
  options: {
    label?: (script: LuaScript, args: readonly ScriptArg[]) => string;
    read?: (n: number, call: ScriptCall, realRead: () => Promise<unknown>) => Promise<unknown>;
  } = {},
): { runner: ScriptRunner; calls: string[]; reads: { count: number } } {
  const calls: string[] = [];
  const reads = { count: 0 };
  const label = options.label ?? ((script: LuaScript) => script.name);
  const runner: ScriptRunner = {
    kind: 'resp',
    run: (script, keys, args) => {
      calls.push(label(script, args));
      return real.run(script, keys, args);
    },
    runBinary: (script, keys, args) => {
      calls.push(label(script, args));
      const realRead = () => real.runBinary!(script, keys, args);
      const n = reads.count++;
      return options.read ? options.read(n, { script, keys, args }, realRead) : realRead();
    },
    close: async () => {},
  };
  return { runner, calls, reads };
}

/** A `read` whose first snapshot says it was made longer ago than the safe age (a clock that stood still). */
export async function agedFirstRead(n: number, _args: unknown, realRead: () => Promise<unknown>) {
  const reply = (await realRead()) as unknown[];
  if (n === 0) reply[1] = Number(reply[1]) - SAFE - 1000;
  return reply;
}
