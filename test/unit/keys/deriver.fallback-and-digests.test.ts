// Proves §3 record identity behind G1 and G2 when no source yields a key and for the digest itself:
// the content-hash fallback over topic, key and value (null distinct from empty), the typed error
// naming the record and sources (G6), the documented SHA-256 frame, other digests in another group
// or epoch, and the digests of one call written back to back in one slab.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MissingIdempotencyKeyError } from '#shared/errors.ts';
import { createKeyDeriver } from '#shared/keys/index.ts';
import { keyOf, recordOf } from './deriver-fixtures.ts';

describe('createKeyDeriver', () => {
  it('falls back to a content hash over topic, key and value, null distinct from empty', () => {
    // Prepare
    const records = [
      recordOf({ key: 'k', value: 'v' }),
      recordOf({ key: 'k', value: 'v' }),
      recordOf({ topic: 'payments', key: 'k', value: 'v' }),
      recordOf({ key: null, value: null }),
      recordOf({ key: '', value: null }),
      recordOf({ key: null, value: '' }),
      recordOf({ key: 'kv', value: '' }),
      recordOf({ key: 'k', value: 'v', headers: [{ name: 'other', value: 'x' }] }),
    ];

    // Act
    const keys = createKeyDeriver({ group: 'g' })(records).map(keyOf);

    // Assess
    expect(keys.every((k) => k.source === 'contentHash')).toBe(true);
    expect(keys[0]!.id).toBe(keys[1]!.id);
    expect(keys[0]!.id).toBe(keys[7]!.id);
    expect(new Set(keys.slice(1, 7).map((k) => k.id)).size).toBe(6);
  });

  it('reports a missing key with the typed error naming record and sources', () => {
    // Prepare
    const deriver = createKeyDeriver({
      group: 'g',
      sources: [{ type: 'header' }, { type: 'jsonPath', path: 'id' }],
      onMissingKey: 'reject',
    });
    const record = recordOf({ value: '{}' });

    // Act
    const [result] = deriver([record]);
    const error = result?.missing ? deriver.missingKeyError(result) : undefined;

    // Assess
    expect(error).toBeInstanceOf(MissingIdempotencyKeyError);
    expect(error?.record).toBe(record.coordinate);
    expect(error?.message).toContain('header "idempotency-key", jsonPath "id"');
  });

  it('hashes the documented frame: SHA-256 of tag, group, epoch, padding, kind and material, first 16 bytes', () => {
    // Prepare
    const record = recordOf({ headers: [{ name: 'idempotency-key', value: 'ord-1' }] });
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const frame = Buffer.concat([
      Buffer.from('mskguard.key.v2'),
      u32(6),
      Buffer.from('orders'),
      Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]),
      Buffer.alloc(64 - 33), // zeros: the prefix is one whole SHA-256 block
      Buffer.from([1]),
      u32(5),
      Buffer.from('ord-1'),
    ]);
    const expected = createHash('sha256').update(frame).digest().subarray(0, 16);

    // Act
    const key = keyOf(createKeyDeriver({ group: 'orders', epoch: 7 })([record])[0]);

    // Assess
    expect(key.digest).toEqual(expected);
    expect(key.digest).toHaveLength(16);
    expect(key.id).toBe(expected.toString('base64url'));
    expect(key.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('gives other digests in another group or epoch, and the same ones from a fresh deriver', () => {
    // Prepare
    const records = [
      recordOf({ key: 'a', value: 'b' }),
      recordOf({ headers: [{ name: 'idempotency-key', value: 'x' }] }),
    ];

    // Act
    const base = createKeyDeriver({ group: 'g1' })(records).map((r) => keyOf(r).id);
    const again = createKeyDeriver({ group: 'g1' })(records).map((r) => keyOf(r).id);
    const otherGroup = createKeyDeriver({ group: 'g2' })(records).map((r) => keyOf(r).id);
    const otherEpoch = createKeyDeriver({ group: 'g1', epoch: 1 })(records).map((r) => keyOf(r).id);

    // Assess
    expect(again).toEqual(base);
    for (let i = 0; i < records.length; i++) {
      expect(otherGroup[i]).not.toBe(base[i]);
      expect(otherEpoch[i]).not.toBe(base[i]);
    }
  });

  it('writes the digests of one call back to back in one slab and exposes namespace and options', () => {
    // Prepare
    const deriver = createKeyDeriver({ group: 'orders-consumer', epoch: 3 });

    // Act
    const keys = deriver(new Set([recordOf({ value: 'a' }), recordOf({ value: 'b' })])).map(keyOf);

    // Assess
    expect(keys[0]!.slab).toBe(keys[1]!.slab);
    expect(Buffer.from(keys[0]!.slab.subarray(0, 32))).toEqual(Buffer.concat(keys.map((k) => k.digest)));
    expect(deriver.namespace.prefix).toBe('mskguard:{orders-consumer}:');
    expect(deriver.options.epoch).toBe(3);
  });
});
