/**
 * Where a 10,000-key claim's Redis time goes at steady state (decision 0008, "Steady state"):
 * `REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/claim-split.ts` fills a group's buckets as
 * `npm run bench -- dedup --steady-state` does (5.04 M + 2.52 M keys, by the claim script), then
 * EVALs the claim's building blocks on 10,000 fresh ids in turns (REPS rounds, default 15) and
 * prints the median Redis time of each from INFO commandstats (usec of EVAL). Deletes the group.
 * Subtract `split` from the later steps: each one splits the ids first. `hmgetSmall` looks the same
 * ids up in a hash of 1,000 fields (a hashtable too: over hash-max-listpack-entries), so that
 * `hmgetCur` less `hmgetSmall` is what the lookups pay for the size of a bucket (memory latency),
 * not for the command (decision 0008, "Eighth pass").
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { fillSteadyState } from './dedup-fill.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const r = new Redis(url);
const base = `mskguard:{probe-${Date.now().toString(36)}}`;
const WINDOW = 3_600_000;
const N = 10_000;
const REPS = Number(process.env.REPS ?? 15);
const runner = new RespScriptRunner({ url });
if (!process.env.NOFILL)
  await fillSteadyState(runner, base, 1, { previous: 5_040_000, current: 2_520_000 }, WINDOW);
const [sec] = await r.time();
const bucket = Math.floor((Number(sec) * 1000) / WINDOW);
const cur = `${base}:x:${bucket}`;
const prev = `${base}:x:${bucket - 1}`;
const small = `${base}:small`;
await r.hset(
  small,
  Object.fromEntries(Array.from({ length: 1_000 }, () => [randomBytes(16).toString('base64url'), '.A'])),
);
console.log(
  'sizes',
  await r.hlen(cur),
  await r.hlen(prev),
  await r.hlen(small),
  await r.object('ENCODING', small),
);
const SPLIT = `local ids, width = ARGV[1], 22
local n = #ids / width
local fields = {}
local sub, p = string.sub, 1
for i = 1, n do local q = p + width; fields[i] = sub(ids, p, q - 1); p = q end
`;
const steps: Record<string, string> = {
  empty: 'return 1',
  split: `${SPLIT} return n`,
  hmgetCur: `${SPLIT} local c=0 for s=1,n,2000 do local r=redis.call('HMGET', KEYS[1], unpack(fields, s, math.min(s+1999,n))) c=c+#r end return c`,
  hmgetSmall: `${SPLIT} local c=0 for s=1,n,2000 do local r=redis.call('HMGET', KEYS[3], unpack(fields, s, math.min(s+1999,n))) c=c+#r end return c`,
  hmgetPrev: `${SPLIT} local c=0 for s=1,n,2000 do local r=redis.call('HMGET', KEYS[2], unpack(fields, s, math.min(s+1999,n))) c=c+#r end return c`,
  hmgetPrev8k: `${SPLIT} local c=0 for s=1,n,7000 do local r=redis.call('HMGET', KEYS[2], unpack(fields, s, math.min(s+6999,n))) c=c+#r end return c`,
  pairs16: `${SPLIT} local l={} local nl=0 for i=1,n do l[nl+1]=fields[i] l[nl+2]=ARGV[2] nl=nl+2 end return nl`,
  hsetCur16: `${SPLIT} local l={} local nl=0 for i=1,n do l[nl+1]=fields[i] l[nl+2]=ARGV[2] nl=nl+2 end for s=1,nl,4000 do redis.call('HSET', KEYS[1], unpack(l, s, math.min(s+3999,nl))) end return nl`,
  hsetCurTok: `${SPLIT} local l={} local nl=0 for i=1,n do l[nl+1]=fields[i] l[nl+2]='.Bx' nl=nl+2 end for s=1,nl,4000 do redis.call('HSET', KEYS[1], unpack(l, s, math.min(s+3999,nl))) end return nl`,
};
async function usec(): Promise<number> {
  const s = await r.info('commandstats');
  const m = /^cmdstat_eval:.*\busec=(\d+)/m.exec(s);
  return m ? Number(m[1]) : 0;
}
const results: Record<string, number[]> = {};
for (let rep = 0; rep < REPS; rep++) {
  for (const [name, body] of Object.entries(steps)) {
    const ids = Array.from({ length: N }, () => randomBytes(16).toString('base64url')).join('');
    const u0 = await usec();
    await r.eval(body, 3, cur, prev, small, ids, 'AAAAAAAAAAAAAAAA');
    const list = results[name] ?? [];
    list.push((await usec()) - u0);
    results[name] = list;
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(12), (med(v) / 1000).toFixed(2), 'ms');
if (!process.env.KEEP) {
  await r.unlink(cur, prev, small);
}
await runner.close();
r.disconnect();
