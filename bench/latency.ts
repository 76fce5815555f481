/**
 * `npm run bench -- latency`: the dedup bench's mskguard and Powertools rows at the round-trip
 * latency users run at, not loopback's ~50 µs. For each added latency (default 0, 1 and 5 ms), in
 * one run: mskguard over RESP, mskguard over the Upstash REST endpoint (the whole batch each), and
 * the per-record Powertools peer (on fewer records, scaled, at an added latency), then the ratios.
 *
 * At +N ms the clients talk to Redis and to the REST endpoint through Toxiproxy proxies of this
 * run's own, each with a latency toxic of N ms on the downstream (server → client) stream: a
 * request and its reply pay N once, as one network round trip does (Toxiproxy delays each chunk by
 * N from its arrival, so a 200 KB claim pays it once too). Its own proxies rather than the stack's
 * `redis` and `upstash`: fault suites running on the same stack put toxics on those. A PING over
 * each path, measured before the rows, shows what a round trip really costs there.
 * Without Toxiproxy (no Go), it says so and runs the loopback rows only.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StackEndpoints } from '#local/stack-config.ts';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { benchGuard, benchPowertools, GUARDS } from './dedup.ts';
import { type LatencyOptions, latencyOptionsFrom, peerPlan } from './latency-cli.ts';
import {
  latencyTables,
  PEER_IMPL,
  RESP_IMPL,
  scaledPeerRow,
  toxicRttNote,
  UPSTASH_IMPL,
} from './latency-report.ts';
import type { BenchContext } from './main.ts';
import { benchStack, cleanUpBenchKeys } from './stack.ts';
import { median, type Row, type Table } from './table.ts';

/** The peer's repetitions: at +5 ms one run of 1,000 records takes ~12 s with its seed. */
const PEER_MAX_REPETITIONS = 3;
const PING_SAMPLES = 30;
/** Untimed PINGs first: the first REST requests (connection, JIT) take 2–3 times longer. */
const PING_WARMUP = 10;
const TOXIC_NAME = 'bench-latency';

/** A run's proxies in front of Redis and the REST endpoint ({@link closeProxies} deletes them). */
export interface LatencyProxies {
  readonly toxi: ToxiproxyClient;
  readonly names: readonly [string, string];
  /** The endpoints with REDIS_URL and UPSTASH_REDIS_REST_URL through the proxies. */
  readonly env: StackEndpoints;
}

/** Creates a run's two proxies (named after `id`, on free loopback ports) in `env`'s Toxiproxy. */
export async function openProxies(env: StackEndpoints, id: string): Promise<LatencyProxies> {
  const toxi = new ToxiproxyClient(env.TOXIPROXY_URL as string);
  const redis = new URL(env.REDIS_URL);
  const rest = new URL(env.UPSTASH_REDIS_REST_URL);
  const names = [`${id}-redis`, `${id}-upstash`] as const;
  // Port 0: Toxiproxy picks a free loopback port and reports it in `listen`.
  const viaRedis = await toxi.createProxy({
    name: names[0],
    listen: `${redis.hostname}:0`,
    upstream: redis.host,
  });
  const viaRest = await toxi
    .createProxy({ name: names[1], listen: `${rest.hostname}:0`, upstream: rest.host })
    .catch(async (error: Error) => {
      await toxi.deleteProxy(names[0]);
      throw error;
    });
  return {
    toxi,
    names,
    env: {
      ...env,
      REDIS_URL: `redis://${viaRedis.listen}`,
      UPSTASH_REDIS_REST_URL: `http://${viaRest.listen}`,
    },
  };
}

/** Deletes a run's proxies (and so their toxics and connections); logs what fails. */
export async function closeProxies(proxies: LatencyProxies, log: (line: string) => void): Promise<void> {
  for (const name of proxies.names) {
    await proxies.toxi.deleteProxy(name).catch((error: Error) => log(`latency: ${error.message}`));
  }
}

/** Runs `fn` with N ms on every reply of both proxies; the toxics go afterwards, also when it throws. */
export async function withAddedLatency<T>(
  proxies: LatencyProxies,
  ms: number,
  fn: () => Promise<T>,
): Promise<T> {
  const [redis, rest] = proxies.names;
  const toxic = {
    name: TOXIC_NAME,
    type: 'latency',
    stream: 'downstream',
    attributes: { latency: ms, jitter: 0 },
  } as const;
  return proxies.toxi.withToxic(redis, toxic, () => proxies.toxi.withToxic(rest, toxic, fn));
}

/** Median ms of a PING round trip over RESP. */
async function respPingMs(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const samples: number[] = [];
    for (let i = 0; i < PING_WARMUP + PING_SAMPLES; i++) {
      const start = performance.now();
      await redis.ping();
      if (i >= PING_WARMUP) samples.push(performance.now() - start);
    }
    return median(samples);
  } finally {
    redis.disconnect();
  }
}

/** Median ms of a PING round trip over the REST endpoint (one kept-alive HTTP request each). */
async function restPingMs(url: string, token: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < PING_WARMUP + PING_SAMPLES; i++) {
    const start = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '["PING"]',
    });
    const body = (await res.json()) as { result?: unknown };
    if (body.result !== 'PONG') throw new Error(`REST PING through ${url} answered ${JSON.stringify(body)}`);
    if (i >= PING_WARMUP) samples.push(performance.now() - start);
  }
  return median(samples);
}

interface Pings {
  readonly resp: number;
  readonly rest: number;
}

async function pings(env: StackEndpoints): Promise<Pings> {
  return {
    resp: await respPingMs(env.REDIS_URL),
    rest: await restPingMs(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN),
  };
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Powertools warns on stderr for each new record that its function got no Lambda context (the
 * bench calls it per record, as a handler's loop would, without one): 40,000 lines in a default
 * run. In Lambda the context is registered and nothing is written, so the warning is counted and
 * dropped, not timed.
 */
async function withoutPowertoolsWarning<T>(ctx: BenchContext, fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  let dropped = 0;
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).startsWith('Could not determine remaining time left')) dropped++;
    else warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
    if (dropped > 0) ctx.log(`latency: dropped ${dropped} Powertools "no Lambda context" warnings`);
  }
}

/** Every row at one added latency, on the endpoints (direct or proxied) `env` names. */
async function rowsAt(
  ctx: BenchContext,
  rtt: number,
  env: StackEndpoints,
  options: LatencyOptions,
  runId: string,
): Promise<{ rows: Row[]; pings: Pings }> {
  const ping = await pings(env);
  ctx.log(`latency: +${rtt} ms: PING over RESP ${round2(ping.resp)} ms, over REST ${round2(ping.rest)} ms`);
  const id = `${runId}-rtt${rtt}`;
  const rows: Row[] = [];
  const common = (pingMs: number) => ({ rttAddedMs: rtt, pingMs: round2(pingMs) });
  for (const size of options.sizes) {
    for (const setup of GUARDS.filter((g) => g.impl === RESP_IMPL || g.impl === UPSTASH_IMPL)) {
      ctx.log(`latency: +${rtt} ms, ${size} records, mskguard ${setup.how}`);
      const row = await benchGuard(setup, env, size, ctx, { id, previousKeys: 0 });
      const pingMs = setup.impl === UPSTASH_IMPL ? ping.rest : ping.resp;
      rows.push({
        ...common(pingMs),
        ...row,
        measuredRecords: size,
        scaled: false,
        repetitions: ctx.repetitions,
      });
    }
  }
  // The peer: fewer repetitions; at an added latency fewer records and no warm-up (its per-record
  // time there is round trips, and the JIT's first runs weigh ~1% of it).
  const repetitions = Math.min(ctx.repetitions, PEER_MAX_REPETITIONS);
  const peerCtx: BenchContext = { ...ctx, repetitions, warmup: rtt === 0 ? ctx.warmup : 0 };
  const measured = new Map<number, Row>();
  const peerRun = async (records: number): Promise<Row> => {
    const known = measured.get(records);
    if (known) return known;
    ctx.log(`latency: +${rtt} ms, ${records} records, powertools makeIdempotent per record`);
    const row = await withoutPowertoolsWarning(ctx, () =>
      benchPowertools(env.REDIS_URL, records, peerCtx, id),
    );
    measured.set(records, row);
    return row;
  };
  const peerRows: Row[] = [];
  for (const size of options.sizes) {
    const plan = peerPlan(size, rtt, options.peerRecords);
    const row = await peerRun(plan.records);
    peerRows.push(plan.scaled ? scaledPeerRow(row, size) : { ...row, measuredRecords: size, scaled: false });
    // On loopback the scaled estimate beside the measured batch checks the scaling itself.
    if (rtt === 0 && size > options.peerRecords) {
      peerRows.push(scaledPeerRow(await peerRun(options.peerRecords), size));
    }
  }
  rows.push(...peerRows.map((row) => ({ ...common(ping.resp), ...row, impl: PEER_IMPL, repetitions })));
  return { rows, pings: ping };
}

function proxyCostNote(rtt: number, proxied: Pings): string {
  const ms = (value: number) => round2(value).toFixed(2);
  return `Before +${rtt}: PING through Toxiproxy without the toxic: RESP ${ms(proxied.resp)} ms, REST ${ms(proxied.rest)} ms.`;
}

/** This run's proxies, or why there are none (the bench then runs the loopback rows only). */
export async function proxiesOrReason(env: StackEndpoints, runId: string): Promise<LatencyProxies | string> {
  if (!env.TOXIPROXY_URL) {
    return 'Toxiproxy is not part of the stack (it is built with Go on first use; the stack log above says why it is missing)';
  }
  return openProxies(env, runId).catch(
    (error: Error) => `Toxiproxy did not create this run's proxies: ${error.message}`,
  );
}

/** Runs the latency benchmark; see the module comment. */
export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const options = latencyOptionsFrom(ctx.options);
  // Every key of the run (groups, Powertools' prefixes) and both proxies name it.
  const runId = `bench-latency-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  const { env, stop } = await benchStack(ctx, ['redis', 'upstash', 'toxiproxy']);
  const notes: string[] = [];
  const rows: Row[] = [];
  let proxies: LatencyProxies | undefined;
  try {
    let latencies = options.latencies;
    if (latencies.some((ms) => ms > 0)) {
      const opened = await proxiesOrReason(env, runId);
      if (typeof opened === 'string') {
        const note = `NO ADDED LATENCY: ${opened}. Ran the loopback (+0 ms) rows only.`;
        ctx.log(`latency: ${note}`);
        notes.push(note);
        latencies = [0];
      } else {
        proxies = opened;
      }
    }
    // Untimed: the first REST requests of a process (connection, JIT) are several times slower.
    await pings(env);
    for (const rtt of latencies) {
      const at = (target: StackEndpoints) => rowsAt(ctx, rtt, target, options, runId);
      const via = proxies;
      if (rtt === 0 || !via) {
        rows.push(...(await at(env)).rows);
        continue;
      }
      // A round trip through the proxy without the toxic, just before: the toxic is checked against it.
      const base = await pings(via.env);
      const result = await withAddedLatency(via, rtt, () => at(via.env));
      rows.push(...result.rows);
      notes.push(proxyCostNote(rtt, base));
      const checks = [
        toxicRttNote('RESP', rtt, base.resp, result.pings.resp),
        toxicRttNote('REST', rtt, base.rest, result.pings.rest),
      ];
      for (const note of checks.filter((n) => n !== undefined)) {
        ctx.log(`latency: ${note}`);
        notes.push(note);
      }
    }
  } finally {
    if (proxies) await closeProxies(proxies, ctx.log);
    await cleanUpBenchKeys(ctx, 'latency', env.REDIS_URL, `*${runId}*`);
    await stop();
  }
  return latencyTables(rows, notes);
}
