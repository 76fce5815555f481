// The keys' ids as the scripts take them: 22 base64url characters per key, back to back in one
// Buffer (claim-1.lua and the other scripts split it by width).
import type { TierKey } from './exact.ts';

/** Bytes of a key's id: its 16-byte digest in base64url without padding. */
export const ID_WIDTH = 22;
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const BASE64URL = new TextEncoder().encode(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
);

/**
 * The keys' ids back to back (22 ASCII bytes each): one Buffer for the whole batch, encoded from
 * the digests in place (no string per key); the same characters as `key.id`.
 */
export function joinIds(keys: readonly TierKey[]): Buffer {
  const out = Buffer.allocUnsafe(keys.length * ID_WIDTH);
  let o = 0;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const slab = key.slab;
    const at = key.at;
    if (slab === undefined || at === undefined) {
      // base64url only: both adapters then send the same bytes (RESP as latin1, REST as UTF-8).
      if (!ID_PATTERN.test(key.id))
        throw new TypeError(`key id must be ${ID_WIDTH} base64url characters: ${key.id}`);
      o += out.write(key.id, o, 'latin1');
      continue;
    }
    o = encodeDigest(slab, at, out, o);
  }
  return out.subarray(0, o);
}

/** base64url without padding of the 16 bytes at `at`: 22 characters written at `o`. */
function encodeDigest(d: Uint8Array, at: number, out: Uint8Array, o: number): number {
  const t = BASE64URL;
  let i = at;
  for (let g = 0; g < 5; g++, i += 3, o += 4) {
    const n = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
    out[o] = t[n >>> 18]!;
    out[o + 1] = t[(n >>> 12) & 63]!;
    out[o + 2] = t[(n >>> 6) & 63]!;
    out[o + 3] = t[n & 63]!;
  }
  const last = d[i]!;
  out[o] = t[last >>> 2]!;
  out[o + 1] = t[(last & 3) << 4]!;
  return o + 2;
}
