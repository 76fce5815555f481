// Proves the key identity behind G1 and G2 (design §3), by property: the same input always gives
// the same digest. The batch hasher (a midstate of the padded prefix and SHA-256 in TypeScript),
// one key at a time or queued across the SIMD lanes, and the deriver over whole batches write
// exactly node:crypto's SHA-256 of the frame; the SHA-256 itself is tested in sha256.test.ts.

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
import {
  anyGroup,
  epoch,
  field,
  group,
  material,
  nullableBytes,
  sha256Head,
  topic,
} from './digest-fixtures.ts';

describe('key framing and digests (properties)', () => {
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
