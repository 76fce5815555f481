/**
 * `npm run bench -- keys`: the client-side CPU of a 10,000-record batch, step by step, with no
 * service involved: parsing the event, hashing the keys (our midstate SHA-256 against one
 * node:crypto call per record, the v1 method of decision 0007), and deriving every key with its
 * id, then the distributed Bloom tier's two script arguments (claim: every key; complete: the 83%
 * the dedup benchmark completes). Same records as the dedup benchmark: 3 partitions, an
 * `idempotency-key` header, a JSON value.
 */

import * as crypto from 'node:crypto';
import { encodeBloomSet, encodeBloomTest } from '#shared/dedup/distributed-bloom.ts';
import { createKeyDeriver, digestPrefix, FrameHasher, frameBusinessKey } from '#shared/keys/index.ts';
import { encodeKafkaEvent, type KafkaRecordInput, parseMskEvent } from '#shared/msk/index.ts';
import { benchBloomParams } from './bloom-params.ts';
import type { BenchContext } from './main.ts';
import { median, type Row, type Table } from './table.ts';

const RECORDS = 10_000;
const GROUP = 'bench-keys-group';

function records(run: string): KafkaRecordInput[] {
  return Array.from({ length: RECORDS }, (_, i) => {
    const key = `${run}-order-${i}`;
    return {
      topic: 'orders',
      partition: i % 3,
      offset: 1_000_000 + Math.floor(i / 3),
      key,
      value: JSON.stringify({ orderId: key, amount: 42 }),
      headers: [{ name: 'idempotency-key', value: key }],
    };
  });
}

/** Median ms of `fn` over the context's repetitions (after its warm-up), a full GC before each. */
function measure(ctx: BenchContext, fn: () => void): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: number[] = [];
  // Short steps: at least 10 timed runs whatever --repetitions says, so the median is stable.
  const timed = Math.max(ctx.repetitions, 10);
  for (let rep = 0; rep < Math.max(ctx.warmup, 3) + timed; rep++) {
    gc?.();
    const start = performance.now();
    fn();
    const elapsed = performance.now() - start;
    if (rep >= Math.max(ctx.warmup, 3)) samples.push(elapsed);
  }
  return Math.round(median(samples) * 100) / 100;
}

/** Runs the keys benchmark; see the module comment. */
export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const event = encodeKafkaEvent(records('keys'));
  const materials = records('keys').map((r) => Buffer.from(String(r.key), 'utf8'));
  const prefix = digestPrefix(GROUP, 0);
  const frames = materials.map((m) => frameBusinessKey(prefix, m));
  const out = Buffer.allocUnsafe(RECORDS * 16);
  const hasher = new FrameHasher(GROUP, 0);
  const derive = createKeyDeriver({ group: GROUP, sources: [{ type: 'header' }] });
  const rows: Row[] = [];
  const add = (step: string, ms: number) => {
    rows.push({ step, ms, perRecordUs: Math.round((ms * 1000 * 100) / RECORDS) / 100 });
  };

  ctx.log('keys: parse');
  add(
    'parseMskEvent (validate, group by partition)',
    measure(ctx, () => void parseMskEvent({ ...event })),
  );
  ctx.log('keys: hashing');
  add(
    'SHA-256: node:crypto call per frame (v1 method)',
    measure(ctx, () => {
      for (let i = 0; i < RECORDS; i++) {
        crypto
          .createHash('sha256')
          .update(frames[i] as Buffer)
          .digest()
          .copy(out, i * 16, 0, 16);
      }
    }),
  );
  add(
    'SHA-256: crypto.hash per frame (v1 method, one-shot)',
    measure(ctx, () => {
      const hash = (crypto as { hash?: (a: string, d: Uint8Array, e: 'buffer') => Buffer }).hash;
      if (!hash) return;
      for (let i = 0; i < RECORDS; i++)
        hash('sha256', frames[i] as Buffer, 'buffer').copy(out, i * 16, 0, 16);
    }),
  );
  add(
    'SHA-256: FrameHasher, prefix midstate (v2)',
    measure(ctx, () => {
      for (let i = 0; i < RECORDS; i++) hasher.businessKey(materials[i] as Buffer, out, i * 16);
    }),
  );
  const parsed = parseMskEvent({ ...event }).records;
  ctx.log('keys: derivation');
  add(
    'derive keys from the header (parsed records)',
    measure(ctx, () => void derive(parsed)),
  );
  add(
    'derive keys + base64url ids',
    measure(ctx, () => {
      for (const key of derive(parsed)) if (!key.missing) void key.id;
    }),
  );
  // The dedup benchmark's Bloom tier, as mskGuard configures it.
  const bloom = benchBloomParams();
  const keys = derive(parsed).filter((key) => !key.missing);
  const completed = keys.slice(0, Math.round(keys.length * 0.83));
  ctx.log('keys: Bloom arguments');
  add(
    'Bloom claim argument (every key)',
    measure(ctx, () => void encodeBloomTest(keys, bloom)),
  );
  add(
    'Bloom complete argument (83% of keys, merged by block)',
    measure(ctx, () => void encodeBloomSet(completed, bloom)),
  );
  return [
    {
      title: `keys: client CPU per ${RECORDS.toLocaleString('en-US')}-record batch (median ms), no I/O`,
      columns: [
        { key: 'step', header: 'step' },
        { key: 'ms', header: 'ms', align: 'right' },
        { key: 'perRecordUs', header: 'µs/record', align: 'right' },
      ],
      rows,
    },
  ];
}
