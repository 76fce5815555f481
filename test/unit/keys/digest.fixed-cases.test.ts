// Fixed cases of the v2 key digests (design §3): the prefix padded to whole 64-byte blocks, a
// pinned business-key vector, length fields and block-sized fields at every position within a
// block, and 1 MB keys and values, each hashed like node:crypto's SHA-256 of the frame.

import { describe, expect, it } from 'vitest';
import { digestPrefix, FrameHasher, frameBusinessKey, frameContent } from '#shared/keys/index.ts';
import { sha256Head } from './digest-fixtures.ts';

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
