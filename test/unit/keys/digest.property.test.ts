// Proves the key identity behind G1 and G2 (design §3): the hashed framing is unambiguous (it
// decodes back to its inputs), so distinct (material, group, epoch) never share a digest by
// construction, and the same input always gives the same digest.

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
  expect(take(15).toString('ascii')).toBe('mskguard.key.v1');
  const group = field().toString('utf8');
  const epoch = Number(take(8).readBigUInt64BE(0));
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

describe('key framing and digests (properties)', () => {
  it('business-key frames decode back to (group, epoch, material)', () => {
    fc.assert(
      fc.property(group, epoch, bytes, (g, e, material) => {
        // Prepare
        const prefix = digestPrefix(g, e);

        // Act
        const decoded = decodeFrame(frameBusinessKey(prefix, material));

        // Assess
        expect(decoded).toEqual({ group: g, epoch: e, kind: 'business', material });
      }),
    );
  });

  it('content frames decode back to (group, epoch, topic, key, value), null distinct from empty', () => {
    fc.assert(
      fc.property(group, epoch, topic, nullableBytes, nullableBytes, (g, e, t, key, value) => {
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

  it('is stable: the batch hasher, the frame functions and a fresh deriver agree', () => {
    fc.assert(
      fc.property(
        group,
        epoch,
        topic,
        bytes,
        nullableBytes,
        nullableBytes,
        (g, e, t, material, key, value) => {
          // Prepare
          const hasher = new FrameHasher(g, e);
          const out = Buffer.alloc(32);
          const prefix = digestPrefix(g, e);

          // Act
          hasher.businessKey(material, out, 0);
          hasher.content(t, key, value, out, 16);

          // Assess
          expect(out.subarray(0, 16)).toEqual(digestFrame(frameBusinessKey(prefix, material)));
          expect(out.subarray(16)).toEqual(digestFrame(frameContent(prefix, t, key, value)));
        },
      ),
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
