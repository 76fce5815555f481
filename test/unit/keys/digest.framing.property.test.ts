// Proves the key identity behind G1 and G2 (design §3), by property: the hashed framing is
// unambiguous (every business-key and content frame decodes back to its inputs), so distinct
// (material, group, epoch) never share a digest by construction, and moving bytes between key and
// value, or between group and key material, gives another digest.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeyDeriver,
  digestFrame,
  digestPrefix,
  frameBusinessKey,
  frameContent,
} from '#shared/keys/index.ts';
import { encodeKafkaEvent, parseMskEvent } from '#shared/msk/index.ts';
import { anyGroup, bytes, epoch, field, group, material, topic } from './digest-fixtures.ts';

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
});
