// Proves the key identity behind G1 and G2 (design §3): the hashed framing is unambiguous (it
// decodes back to its inputs), so distinct (material, group, epoch) never share a digest by
// construction, and the same input always gives the same digest. The batch hasher (a midstate of
// the padded prefix and SHA-256 in TypeScript) writes exactly node:crypto's SHA-256 of the frame;
// the SHA-256 itself is tested in sha256.test.ts.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeyDeriver,
  digestFrame,
  digestPrefix,
  FrameHasher,
  frameBusinessKey,
  frameContent,
} from '#shared/keys/index.ts';
import { encodeKafkaEvent, parseMskEvent } from '#shared/msk/index.ts';

type Decoded =
  | { group: string; epoch: number; kind: 'business'; material: Buffer }
  | {
      group: string;
      epoch: number;
      kind: 'content';
      topic: string;
      key: Buffer | null;
      value: Buffer | null;
    };

// An independent reader of the documented frame layout: if every frame decodes back to the
// inputs that produced it, no two distinct inputs can produce the same frame.
function decodeFrame(frame: Buffer): Decoded {
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > frame.length) throw new Error('frame too short');
    const bytes = frame.subarray(at, at + n);
    at += n;
    return bytes;
  };
  const u32 = () => take(4).readUInt32BE(0);
  const field = () => take(u32());
  expect(take(15).toString('ascii')).toBe('mskguard.key.v2');
  const group = field().toString('utf8');
  const epoch = Number(take(8).readBigUInt64BE(0));
  // The prefix is zero-padded to whole 64-byte blocks.
  expect(take((64 - (at % 64)) % 64).every((b) => b === 0)).toBe(true);
  const kind = take(1)[0];
  let decoded: Decoded;
  if (kind === 1) {
    decoded = { group, epoch, kind: 'business', material: Buffer.from(field()) };
  } else {
    expect(kind).toBe(2);
    const topic = field().toString('utf8');
    const optional = () => (take(1)[0] === 0 ? null : Buffer.from(field()));
    decoded = { group, epoch, kind: 'content', topic, key: optional(), value: optional() };
  }
  expect(at).toBe(frame.length);
  return decoded;
}

const group = fc.stringMatching(/^[a-zA-Z0-9\-/*:_+=.@]{1,40}$/);
const epoch = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const bytes = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b));
const nullableBytes = fc.option(bytes, { nil: null });
const topic = fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/);

// A group of exactly `size` UTF-8 bytes, ASCII or made of 2-, 3- or 4-byte characters.
const groupOfBytes = (size: number) =>
  fc.tuple(fc.constantFrom('g', 'é', '€', '😀'), fc.nat()).map(([char, n]) => {
    const width = Buffer.byteLength(char);
    const count = n % (Math.floor(size / width) + 1);
    return char.repeat(count) + 'x'.repeat(size - count * width);
  });
// UTF-8 lengths 37, 38, 101 and 102 make the unpadded prefix 64, 65, 128 and 129 bytes.
const anyGroup = fc.oneof(
  group,
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(36, 37, 38, 100, 101, 102).chain(groupOfBytes),
);
// Tails of 1, 2 and 3 blocks and their edges: a business key is one block up to 50 bytes, two
// up to 114, three up to 178 (beyond, FrameHasher leaves it to node:crypto); 59 fills a block.
const material = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .constantFrom(0, 50, 51, 55, 56, 59, 60, 64, 114, 115, 123, 124, 178, 179)
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  )
  .map((b) => Buffer.from(b));
const field = fc.option(
  fc
    .oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1000, maxLength: 5000 }))
    .map((b) => Buffer.from(b)),
  { nil: null },
);

// The reference: node:crypto over the whole frame, independent of digestFrame.
const sha256Head = (frame: Uint8Array): Buffer => createHash('sha256').update(frame).digest().subarray(0, 16);

describe('key framing and digests (properties)', () => {
  it('business-key frames decode back to (group, epoch, material)', () => {
    fc.assert(
      fc.property(anyGroup, epoch, material, (g, e, m) => {
        // Prepare
        const prefix = digestPrefix(g, e);

        // Act
        const decoded = decodeFrame(frameBusinessKey(prefix, m));

        // Assess
        expect(decoded).toEqual({ group: g, epoch: e, kind: 'business', material: m });
      }),
    );
  });

  it('content frames decode back to (group, epoch, topic, key, value), null distinct from empty', () => {
    fc.assert(
      fc.property(anyGroup, epoch, topic, field, field, (g, e, t, key, value) => {
        // Prepare
        const prefix = digestPrefix(g, e);

        // Act
        const decoded = decodeFrame(frameContent(prefix, t, key, value));

        // Assess
        expect(decoded).toEqual({ group: g, epoch: e, kind: 'content', topic: t, key, value });
      }),
    );
  });

  it('splitting the same bytes differently between key and value gives different digests', () => {
    fc.assert(
      fc.property(group, bytes, fc.nat(), fc.nat(), (g, joined, i, j) => {
        // Prepare: ("ab","c") vs ("a","bc") — identical concatenation, different records.
        const cut1 = i % (joined.length + 1);
        const cut2 = j % (joined.length + 1);
        fc.pre(cut1 !== cut2);
        const deriver = createKeyDeriver({ group: g, sources: [] });
        const event = encodeKafkaEvent([
          {
            topic: 't',
            partition: 0,
            offset: 0,
            key: joined.subarray(0, cut1),
            value: joined.subarray(cut1),
          },
          {
            topic: 't',
            partition: 0,
            offset: 1,
            key: joined.subarray(0, cut2),
            value: joined.subarray(cut2),
          },
        ]);

        // Act
        const [a, b] = deriver(parseMskEvent(event).records);

        // Assess
        expect(a?.missing === false && b?.missing === false && a.id !== b.id).toBe(true);
      }),
    );
  });

  it('moving bytes between group and key material gives different digests', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{2,30}$/), fc.nat(), epoch, (joined, i, e) => {
        // Prepare: group "ab" + key "c" vs group "a" + key "bc".
        const cut = 1 + (i % (joined.length - 1));
        const left = digestFrame(
          frameBusinessKey(digestPrefix(joined.slice(0, cut), e), Buffer.from(joined.slice(cut))),
        );

        // Act
        const right = digestFrame(
          frameBusinessKey(digestPrefix(joined.slice(0, cut + 1), e), Buffer.from(joined.slice(cut + 1))),
        );

        // Assess
        expect(left.equals(right)).toBe(false);
      }),
    );
  });

  it('distinct (material, group, epoch) triples give distinct digests', () => {
    const triple = fc.record({
      group,
      epoch: fc.nat({ max: 5 }),
      material: bytes.filter((b) => b.length > 0),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(triple, {
          selector: (t) => `${t.group}\u0000${t.epoch}\u0000${t.material.toString('hex')}`,
          minLength: 2,
          maxLength: 30,
        }),
        (triples) => {
          // Prepare
          const frames = triples.map((t) => frameBusinessKey(digestPrefix(t.group, t.epoch), t.material));

          // Act
          const digests = frames.map((f) => digestFrame(f).toString('hex'));

          // Assess
          expect(new Set(digests).size).toBe(triples.length);
        },
      ),
    );
  });

  it('is stable: the batch hasher, reused across records, writes SHA-256 of the full frame', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('business' as const), material }),
      fc.record({ kind: fc.constant('content' as const), topic, key: field, value: field }),
    );
    fc.assert(
      fc.property(anyGroup, epoch, fc.array(op, { minLength: 1, maxLength: 6 }), (g, e, ops) => {
        // Prepare
        const hasher = new FrameHasher(g, e);
        const prefix = digestPrefix(g, e);
        const out = Buffer.alloc(3 + 16 * ops.length);
        const frames = ops.map((o) =>
          o.kind === 'business'
            ? frameBusinessKey(prefix, o.material)
            : frameContent(prefix, o.topic, o.key, o.value),
        );

        // Act
        ops.forEach((o, i) => {
          if (o.kind === 'business') hasher.businessKey(o.material, out, 3 + 16 * i);
          else hasher.content(o.topic, o.key, o.value, out, 3 + 16 * i);
        });

        // Assess
        expect(out.subarray(0, 3)).toEqual(Buffer.alloc(3));
        frames.forEach((frame, i) => {
          const written = out.subarray(3 + 16 * i, 3 + 16 * (i + 1));
          expect(written).toEqual(sha256Head(frame));
          expect(written).toEqual(digestFrame(frame));
        });
      }),
    );
  });

  it('hashes a batch like one key at a time: queued short keys (SIMD), others at once, any slots left out', () => {
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('queued' as const), material }), weight: 4 },
      {
        arbitrary: fc.record({ kind: fc.constant('content' as const), topic, key: field, value: field }),
        weight: 1,
      },
      { arbitrary: fc.constant({ kind: 'none' as const }), weight: 1 },
    );
    const hasher = new FrameHasher('batch-group', 3);
    const prefix = digestPrefix('batch-group', 3);
    fc.assert(
      fc.property(fc.array(op, { minLength: 0, maxLength: 41 }), (ops) => {
        // Prepare: 0xee marks slots nobody hashes; they must stay as they are.
        const out = Buffer.alloc(16 * ops.length, 0xee);
        const queued = new Uint8Array(ops.length);

        // Act: the deriver's sequence (queue when the tail fits one block, else hash at once).
        hasher.beginBatch(ops.length);
        ops.forEach((o, i) => {
          if (o.kind === 'queued') {
            if (hasher.queueBusinessKey(o.material, i)) queued[i] = 1;
            else hasher.businessKey(o.material, out, 16 * i);
          } else if (o.kind === 'content') {
            hasher.content(o.topic, o.key, o.value, out, 16 * i);
          }
        });
        hasher.endBatch(out, queued);

        // Assess
        ops.forEach((o, i) => {
          const written = out.subarray(16 * i, 16 * (i + 1));
          if (o.kind === 'none') expect(written).toEqual(Buffer.alloc(16, 0xee));
          else if (o.kind === 'queued') {
            expect(queued[i]).toBe(o.material.length <= 50 ? 1 : 0);
            expect(written).toEqual(sha256Head(frameBusinessKey(prefix, o.material)));
          } else expect(written).toEqual(sha256Head(frameContent(prefix, o.topic, o.key, o.value)));
        });
      }),
    );
  });

  it('derives keys of a 10,000-record batch like node:crypto, queued across the SIMD lanes and memory growth', () => {
    // Prepare: header keys of every length around the one-block limit, some records without one.
    const records = parseMskEvent(
      encodeKafkaEvent(
        Array.from({ length: 10_001 }, (_, offset) => ({
          topic: 't',
          partition: 0,
          offset,
          key: `k${offset}`,
          value: offset % 7 === 0 ? null : `v${offset}`,
          headers:
            offset % 5 === 0 ? [] : [{ name: 'idempotency-key', value: 'x'.repeat(offset % 60) + offset }],
        })),
      ),
    ).records;
    const prefix = digestPrefix('big', 0);

    // Act
    const keys = createKeyDeriver({ group: 'big', sources: [{ type: 'header' }] })(records);

    // Assess
    keys.forEach((key, i) => {
      if (key.missing) throw new Error(`no key for ${i}`);
      const record = records[i]!;
      const header = record.lastHeader('idempotency-key');
      const frame =
        header && header.length > 0
          ? frameBusinessKey(prefix, header)
          : frameContent(prefix, 't', record.key, record.value);
      expect(key.digest).toEqual(sha256Head(frame));
    });
  });

  it("derives a header key from the event's byte array, signed (Java) or unsigned, like its bytes", () => {
    fc.assert(
      fc.property(fc.array(material, { minLength: 1, maxLength: 9 }), fc.boolean(), (values, signed) => {
        // Prepare
        const event = encodeKafkaEvent(
          values.map((value, offset) => ({
            topic: 't',
            partition: 0,
            offset,
            key: 'k',
            headers: [{ name: 'idempotency-key', value }],
          })),
          { signedHeaderBytes: signed },
        );
        const prefix = digestPrefix('hdr', 0);

        // Act
        const keys = createKeyDeriver({ group: 'hdr', sources: [{ type: 'header' }] })(
          parseMskEvent(event).records,
        );

        // Assess
        keys.forEach((key, i) => {
          const value = values[i]!;
          const frame =
            value.length > 0
              ? frameBusinessKey(prefix, value)
              : frameContent(prefix, 't', Buffer.from('k'), null);
          expect(!key.missing && key.digest).toEqual(sha256Head(frame));
        });
      }),
    );
  });

  it('derives the same ids for the same records from independently created derivers', () => {
    fc.assert(
      fc.property(
        group,
        epoch,
        fc.array(fc.tuple(nullableBytes, nullableBytes), { minLength: 1, maxLength: 20 }),
        (g, e, kvs) => {
          // Prepare
          const event = encodeKafkaEvent(
            kvs.map(([key, value], offset) => ({ topic: 't', partition: 0, offset, key, value })),
          );
          const records = parseMskEvent(event).records;

          // Act
          const first = createKeyDeriver({ group: g, epoch: e })(records);
          const second = createKeyDeriver({ group: g, epoch: e })(parseMskEvent(event).records);

          // Assess
          expect(second.map((k) => !k.missing && k.id)).toEqual(first.map((k) => !k.missing && k.id));
        },
      ),
    );
  });
});

describe('key digests v2 (fixed cases)', () => {
  it('pads the prefix to whole 64-byte blocks, exactly 64 and 128 bytes included', () => {
    // Prepare: 15 (tag) + 4 + group + 8 bytes before padding.
    const cases: [string, number][] = [
      ['', 64],
      ['g'.repeat(37), 64],
      [`${'é'.repeat(18)}x`, 64],
      ['g'.repeat(38), 128],
      [`${'😀'.repeat(25)}x`, 128],
      ['g'.repeat(102), 192],
    ];

    // Act
    const lengths = cases.map(([g]) => digestPrefix(g, 1).length);

    // Assess
    expect(lengths).toEqual(cases.map(([, length]) => length));
  });

  it('hashes a pinned business-key vector: group "orders", epoch 7, material "ord-1"', () => {
    // Prepare
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const head = Buffer.concat([
      Buffer.from('mskguard.key.v2'),
      u32(6),
      Buffer.from('orders'),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]),
    ]);
    const frame = Buffer.concat([head, Buffer.alloc(64 - head.length), Buffer.from([1]), u32(5)]);
    const out = Buffer.alloc(16);

    // Act
    new FrameHasher('orders', 7).businessKey(Buffer.from('ord-1'), out, 0);

    // Assess
    expect(out.toString('hex')).toBe('4976921834dfb58c35df7fbc3103ea43');
    expect(out).toEqual(sha256Head(Buffer.concat([frame, Buffer.from('ord-1')])));
  });

  it('hashes length fields and block-sized fields at every position within a block', () => {
    // Prepare: topic lengths 1..64 move the key's and the value's u32 length through all 64
    // offsets of a block; keys of 64 + t bytes sometimes end exactly on a block edge.
    const hasher = new FrameHasher('orders', 0);
    const prefix = digestPrefix('orders', 0);
    const frames: [string, Buffer | null, Buffer | null][] = [];
    for (let t = 1; t <= 64; t++) {
      for (const k of [0, 64, 64 + t, 200])
        frames.push(['t'.repeat(t), Buffer.alloc(k, t), Buffer.alloc(t * 3, 1)]);
      frames.push(['t'.repeat(t), null, t % 2 === 0 ? null : Buffer.alloc(0)]);
    }
    const out = Buffer.alloc(16);

    // Act
    const mismatches = frames.filter(([topicName, key, value]) => {
      hasher.content(topicName, key, value, out, 0);
      return !out.equals(sha256Head(frameContent(prefix, topicName, key, value)));
    });

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('hashes 1 MB keys and values like node:crypto', () => {
    // Prepare
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >>> 8)) & 255;
    const hasher = new FrameHasher('orders-é', 3);
    const prefix = digestPrefix('orders-é', 3);
    const out = Buffer.alloc(48);

    // Act
    hasher.businessKey(big, out, 0);
    hasher.content('topic', big.subarray(7), big, out, 16);
    hasher.content('topic', Buffer.alloc(0), null, out, 32);

    // Assess
    expect(out.subarray(0, 16)).toEqual(sha256Head(frameBusinessKey(prefix, big)));
    expect(out.subarray(16, 32)).toEqual(sha256Head(frameContent(prefix, 'topic', big.subarray(7), big)));
    expect(out.subarray(32)).toEqual(sha256Head(frameContent(prefix, 'topic', Buffer.alloc(0), null)));
  });
});
