/**
 * Why this exists (decision 0008, "Bloom tier, second session"): most of the Bloom tier's Redis time
 * is Lua around BITFIELD. This probe measures, with no product change, the Bloom commands sent
 * natively in the same pipeline (round trip) as the exact tier's EVALSHA, in RESP frames the client
 * encodes itself (a Buffer per command, given to ioredis as a Command whose toWritable returns it).
 * `REDIS_URL=redis://127.0.0.1:PORT [REPS=15] [STEADY=1] npx tsx bench/bloom-pipeline-probe.ts`
 * 10,000 random keys, 17% completed in the previous round; the dedup bench's bitmap (2 MB, k = 5, 2
 * generations; STEADY=1: the previous one exists, full length). Alternating, medians of REPS:
 *  A      exact tier alone (RedisDedupTier)       B  exact + Bloom as today (Bloom in the scripts)
 *  C      scripts without Bloom + BITFIELD_RO GET u32 per key and generation (claim; the client tests
 *         masks) + BITFIELD SET u32 into a per-owner scratch, BITOP OR, DEL, PEXPIRE (complete)
 *  C-set  claim as C; complete SETs (word read at claim | masks) into the generation: NOT safe under
 *         concurrent completes (lost updates: false negatives), a lower bound only
 * Redis: INFO commandstats usec of top-level commands (EVALSHA includes its script's calls; C's
 * native commands are none the scripts call here) and main-thread CPU (INFO cpu: with request
 * parsing) less an INFO-only baseline. FAIL if a key C* completed does not test positive next round.
 */
import { Command, Redis } from 'ioredis';
import { scripts } from '#lua/scripts.generated.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { bloomBlockOf } from '#shared/dedup/distributed-bloom.ts';
import { ClaimStatus, newOwner, RedisDedupTier, type TierKey } from '#shared/dedup/exact.ts';
import { joinIds } from '#shared/dedup/ids.ts';
import { randomSlabKeys } from '#test/support/runners.ts';
import { benchBloomParams } from './bloom-params.ts';
import { median } from './table.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REPS = Number(process.env.REPS ?? 15);
const [N, CARRIED, WINDOW] = [10_000, 1_700, 3_600_000];
const bloom = benchBloomParams();
const [admin, client] = [new Redis(url), new Redis(url)];
const runner = new RespScriptRunner({ url });
const run = `probe-${Date.now().toString(36)}`;
const NATIVE = ['bitfield_ro', 'bitfield', 'bitop', 'del', 'pexpire'];
const COLS = ['wall', 'Redis', 'Redis CPU', 'client CPU', 'native'];
const generation = () => Math.floor(Date.now() / bloom.generationMs);

type Pipe = ReturnType<Redis['pipeline']>;
/** Queues a frame the caller encoded: ioredis writes it as it is and parses the reply as usual. */
function raw(pipe: Pipe, name: string, frame: Buffer): void {
  const command = new Command(name, []);
  command.toWritable = () => frame;
  (pipe as unknown as { sendCommand(c: Command): unknown }).sendCommand(command);
}
const exec = async (pipe: Pipe) =>
  ((await pipe.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });

const digits = (v: number) => (v < 10 ? 1 : Math.floor(Math.log10(v + 0.5)) + 1); // v < 2^32
/** A RESP frame written byte by byte (`name`: it starts with `*<argc>`, the command and its key). */
class Frame {
  public readonly buf: Buffer;
  public o = 0;
  public constructor(bytes: number, argc = 0, name = '', key = '') {
    this.buf = Buffer.allocUnsafe(bytes + key.length + 64);
    if (name) this.raw(`*${argc}\r\n$${name.length}\r\n${name}\r\n$${key.length}\r\n${key}\r\n`);
  }
  public raw(s: string | Buffer): void {
    this.o += typeof s === 'string' ? this.buf.write(s, this.o, 'latin1') : s.copy(this.buf, this.o);
  }
  #int(value: number, d: number): void {
    this.o += d;
    for (let i = this.o, v = value; i > this.o - d; v = Math.floor(v / 10)) this.buf[--i] = 0x30 + (v % 10);
  }
  /** A decimal as a bulk string, `$<len>\r\n[#]<v>\r\n`. */
  public num(v: number, hash = false): void {
    const d = digits(v);
    this.buf[this.o++] = 0x24;
    this.#int(d + (hash ? 1 : 0), digits(d + (hash ? 1 : 0)));
    this.raw(hash ? '\r\n#' : '\r\n');
    this.#int(v, d);
    this.raw('\r\n');
  }
  public done = () => this.buf.subarray(0, this.o);
}
const GET_U32 = Buffer.from('$3\r\nGET\r\n$3\r\nu32\r\n');
const SET_U32 = Buffer.from('$3\r\nSET\r\n$3\r\nu32\r\n');

/** The claim's BITFIELD_RO GET u32 #<block> of every key, without the header (same for each generation). */
function testFrame(keys: readonly TierKey[], blocks: Uint32Array, masks: Uint32Array): Buffer {
  const tail = new Frame(keys.length * 36);
  for (let i = 0; i < keys.length; i++) {
    const { block, mask } = bloomBlockOf(keys[i]!.digest, bloom);
    blocks[i] = block;
    masks[i] = mask;
    tail.raw(GET_U32);
    tail.num(block, true);
  }
  return tail.done();
}

/** Distinct blocks of the keys `ix`, their words OR-ed (open addressing over typed arrays). */
function merge(ix: readonly number[], blocks: Uint32Array, words: Uint32Array) {
  const size = 2 ** Math.ceil(Math.log2(ix.length * 2 + 2));
  const slots = new Int32Array(size).fill(-1);
  const [b, w] = [new Uint32Array(ix.length), new Uint32Array(ix.length)];
  let m = 0;
  for (const i of ix) {
    let s = Math.imul(blocks[i]!, 0x9e3779b1) & (size - 1);
    while (slots[s] !== -1 && b[slots[s]!] !== blocks[i]) s = (s + 1) & (size - 1);
    if (slots[s] === -1) {
      slots[s] = m;
      b[m++] = blocks[i]!;
    }
    w[slots[s]!] = w[slots[s]!]! | words[i]!;
  }
  return { b, w, m };
}

type Claimed = { statuses: string[]; seen?: Uint8Array; complete(): Promise<unknown> };
type Variant = { name: string; top: string[]; claim(keys: TierKey[]): Promise<Claimed> };
const completedOf = (statuses: readonly string[]) =>
  statuses.flatMap((s, i) => (s === ClaimStatus.New || s === ClaimStatus.Probable ? [i] : []));
const pick = (keys: TierKey[], statuses: readonly string[]) => completedOf(statuses).map((i) => keys[i]!);

function tierVariant(name: string, withBloom: boolean): Variant {
  const baseKey = `mskguard:{${run}-${name}}`;
  const tier = new RedisDedupTier({ runner, baseKey, windowMs: WINDOW, ...(withBloom ? { bloom } : {}) });
  return {
    name,
    top: ['evalsha'],
    async claim(keys) {
      const c = await tier.claim(keys, { leaseMs: 60_000, mode: 'exact' });
      return { statuses: c.statuses, complete: () => tier.complete(c.ticket, pick(keys, c.statuses)) };
    },
  };
}

function nativeVariant(name: string, write: 'scratch' | 'set'): Variant {
  const base = `mskguard:{${run}-${name}}`;
  return {
    name,
    top: ['evalsha', ...NATIVE],
    async claim(keys) {
      const [owner, gen, n] = [newOwner(), generation(), keys.length];
      const [blocks, masks] = [new Uint32Array(n), new Uint32Array(n)];
      const tail = testFrame(keys, blocks, masks);
      const pipe = client.pipeline();
      const args = [owner, '60000', `${WINDOW}`, '22', joinIds(keys), 'exact', '0', '0', ''];
      pipe.evalsha(scripts.claim.sha1, 1, base, ...args);
      for (let g = 0; g < bloom.generations; g++) {
        const head = new Frame(0, 2 + 3 * n, 'BITFIELD_RO', `${base}:b:${gen - g}`).done();
        raw(pipe, 'bitfield_ro', Buffer.concat([head, tail]));
      }
      const [reply, ...gens] = (await exec(pipe)) as [[string, number], ...number[][]];
      const seen = new Uint8Array(n);
      for (const words of gens)
        for (let i = 0; i < n; i++) if ((words[i]! & masks[i]!) >>> 0 === masks[i]) seen[i] = 1;
      const statuses = Array.from(reply[0], (s, i) => (s === ClaimStatus.New && seen[i] ? 'P' : s));
      const complete = async () => {
        const [now, ix] = [Date.now(), completedOf(statuses)];
        const cgen = Math.floor(now / bloom.generationMs);
        const [genKey, scratch] = [`${base}:b:${cgen}`, `${base}:b:s:${owner}`];
        // C-set: the generation's word as the claim read it (gens[0], the current one) OR-ed in here.
        const words = write === 'set' ? masks.map((mask, i) => gens[0]![i]! | mask) : masks;
        const { b, w, m } = merge(ix, blocks, words);
        const f = new Frame(m * 52, 2 + 4 * m, 'BITFIELD', write === 'set' ? genKey : scratch);
        for (let j = 0; j < m; j++) {
          f.raw(SET_U32);
          f.num(b[j]!, true);
          f.num(w[j]!);
        }
        const pipe = client.pipeline();
        const args = [owner, `${reply[1]}`, `${WINDOW}`, '22', '', '0', '0', ''];
        pipe.evalsha(scripts.complete.sha1, 1, base, ...args);
        raw(pipe, 'bitfield', f.done());
        if (write === 'scratch') pipe.bitop('OR', genKey, genKey, scratch).del(scratch);
        pipe.pexpire(genKey, (cgen + bloom.generations) * bloom.generationMs + 60_000 - now);
        const [done] = (await exec(pipe)) as [[number, number]];
        if (Number(done[0]) !== 1) throw new Error(`${name}: complete marked nothing`);
      };
      return { statuses, seen, complete };
    },
  };
}

/** Top-level usec per command and main-thread CPU (ms) of the server. */
async function server(): Promise<{ usec: Map<string, number>; cpu: number }> {
  const text = await admin.info('commandstats', 'cpu');
  const usec = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([\w|]+):calls=\d+,usec=(\d+)/gm)) usec.set(m[1]!, Number(m[2]));
  const field = (f: string) => Number(new RegExp(`^${f}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return { usec, cpu: (field('used_cpu_sys_main_thread') + field('used_cpu_user_main_thread')) * 1000 };
}
const usecDelta = (a: Map<string, number>, b: Map<string, number>, names: string[]) =>
  names.reduce((sum, c) => sum + (b.get(c) ?? 0) - (a.get(c) ?? 0), 0) / 1000;

let infoCpu = 0;
const samples = new Map<string, Record<string, number[]>>();
async function measure<T>(v: Variant, step: string, fn: () => Promise<T>, keep: boolean): Promise<T> {
  const [s0, c0, t0] = [await server(), process.cpuUsage(), performance.now()];
  const out = await fn();
  const [wall, c, s1] = [performance.now() - t0, process.cpuUsage(c0), await server()];
  if (!keep) return out;
  const row = samples.get(v.name) ?? samples.set(v.name, {}).get(v.name)!;
  const [redis, native] = [usecDelta(s0.usec, s1.usec, v.top), usecDelta(s0.usec, s1.usec, v.top.slice(1))];
  const values = [wall, redis, s1.cpu - s0.cpu - infoCpu, (c.user + c.system) / 1000, native];
  for (const [k, x] of values.entries())
    row[`${step} ${COLS[k]}`] = [...(row[`${step} ${COLS[k]}`] ?? []), x];
  return out;
}

await admin.script('LOAD', scripts.claim.source);
await admin.script('LOAD', scripts.complete.source);
const infoOnly: number[] = [];
for (let i = 0; i < 15; i++) infoOnly.push(-(await server()).cpu + (await server()).cpu);
infoCpu = median(infoOnly);
const [A, B] = [tierVariant('A', false), tierVariant('B', true)];
const variants = [A, B, nativeVariant('C', 'scratch'), nativeVariant('C-set', 'set')];
for (const { name } of process.env.STEADY === '1' ? variants.slice(1) : [])
  await admin.setrange(`mskguard:{${run}-${name}}:b:${generation() - 1}`, bloom.blocks * 4 - 1, '\0');
const carried = new Map<string, TierKey[]>();
let failures = 0;
for (let round = 0; round < REPS + 2; round++) {
  for (let j = 0; j < variants.length; j++) {
    const v = variants[(j + round) % variants.length]!;
    const prev = (carried.get(v.name) ?? []).slice(0, CARRIED);
    const keys = [...prev, ...randomSlabKeys(N - prev.length)];
    const claimed = await measure(v, 'claim', () => v.claim(keys), round >= 2);
    await measure(v, 'complete', () => claimed.complete(), round >= 2);
    carried.set(v.name, pick(keys, claimed.statuses));
    const missed = prev.filter((_, i) => claimed.seen?.[i] === 0 || claimed.statuses[i] !== 'D').length;
    if (missed > 0) console.log(`FAIL ${v.name} round ${round}: ${missed} of ${prev.length} not positive/D`);
    failures += missed;
  }
}

const f2 = (x: number) => x.toFixed(2);
const med = (name: string, k: string) => median(samples.get(name)![k]!);
const cols = COLS.slice(0, 4);
const steps = ['claim', 'complete'];
console.log(`\nms per 10,000-key batch, median of ${REPS}${process.env.STEADY === '1' ? ', STEADY' : ''}`);
const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
row(['variant', ...steps.flatMap((s) => cols.map((c) => `${s} ${c}`))]);
row(['---', ...Array(8).fill('---:')]);
for (const { name } of variants)
  row([name, ...steps.flatMap((s) => cols.map((c) => f2(med(name, `${s} ${c}`))))]);
console.log('');
row(['variant', ...cols.flatMap((c) => [`both ${c}`, '×A']), 'native claim / complete']);
row(['---', ...Array(9).fill('---:')]);
const total = (name: string, c: string) => med(name, `claim ${c}`) + med(name, `complete ${c}`);
for (const { name } of variants) {
  const cells = cols.flatMap((c) => [f2(total(name, c)), (total(name, c) / total('A', c)).toFixed(2)]);
  row([name, ...cells, `${f2(med(name, 'claim native'))} / ${f2(med(name, 'complete native'))}`]);
}
console.log(`\nINFO-only Redis CPU ${f2(infoCpu)} ms (subtracted)`);
console.log(failures === 0 ? 'check: every key a C variant completed tested positive next round' : 'FAIL');

// RESP encoding of the claim's BITFIELD_RO for every generation: ioredis (string args) vs the frame above.
const keys = randomSlabKeys(N);
const [io, own]: number[][] = [[], []];
for (let r = 0, t = 0; r < 17; r++) {
  t = performance.now();
  for (let g = 0; g < bloom.generations; g++) {
    const args = keys.flatMap((k) => ['GET', 'u32', `#${bloomBlockOf(k.digest, bloom).block}`]);
    Buffer.from(new Command('bitfield_ro', [`k:${g}`, ...args]).toWritable({}) as string, 'latin1');
  }
  if (r >= 2) io!.push(performance.now() - t);
  t = performance.now();
  const tail = testFrame(keys, new Uint32Array(N), new Uint32Array(N));
  for (let g = 0; g < bloom.generations; g++)
    Buffer.concat([new Frame(0, 2 + 3 * N, 'BITFIELD_RO', `k:${g}`).done(), tail]);
  if (r >= 2) own!.push(performance.now() - t);
}
console.log(`claim BITFIELD_RO x2 encoding, ms: ioredis ${f2(median(io!))}, own frame ${f2(median(own!))}`);

const leftovers = await admin.keys(`mskguard:{${run}-*`);
if (leftovers.some((k) => k.includes(':b:s:'))) console.log('FAIL: a scratch key was left behind');
if (leftovers.length > 0) await admin.unlink(...leftovers);
await runner.close();
admin.disconnect();
client.disconnect();
