/**
 * The JSON the distributed Bloom tier's scripts decode with `cjson` (distributed-bloom.ts builds the
 * blocks and masks): written byte by byte into one Buffer, decimals two digits per division, so a
 * 10,000-key argument makes no string per key (decision 0008, "Bloom tier, second session").
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const HASH = 0x23;

/** `[["#b",...],[m,...]]` (or `["w",...],bytes]` for words): written byte by byte, no string per key. */
export function writeBloomJson(
  blocks: Uint32Array,
  values: Int32Array,
  n: number,
  wordsAsStrings: boolean,
  bytes?: number,
): Buffer {
  // Per key at most "#4294967295", (14) and "-2147483648", or "4294967295", (13).
  const out = Buffer.allocUnsafe(n * 27 + 32);
  let o = 0;
  out[o++] = 0x5b;
  out[o++] = 0x5b;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = COMMA;
    out[o++] = QUOTE;
    out[o++] = HASH;
    o = writeDecimal(out, o, blocks[i]!);
    out[o++] = QUOTE;
  }
  out[o++] = 0x5d;
  out[o++] = COMMA;
  out[o++] = 0x5b;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = COMMA;
    const v = values[i]!;
    if (wordsAsStrings) {
      out[o++] = QUOTE;
      o = writeDecimal(out, o, v >>> 0);
      out[o++] = QUOTE;
    } else if (v < 0) {
      out[o++] = 0x2d;
      o = writeDecimal(out, o, -v);
    } else {
      o = writeDecimal(out, o, v);
    }
  }
  out[o++] = 0x5d;
  if (bytes !== undefined) {
    out[o++] = COMMA;
    o = writeDecimal(out, o, bytes);
  }
  out[o++] = 0x5d;
  return out.subarray(0, o);
}

/** "00".."99" as ASCII pairs: two digits per division when writing decimals. */
const DIGIT_PAIRS = Uint8Array.from(
  { length: 200 },
  (_, i) => 0x30 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)),
);

/** How many decimal digits a non-negative integer below 2^32 has. */
function decimalDigits(v: number): number {
  if (v < 100_000) return v < 100 ? (v < 10 ? 1 : 2) : v < 1_000 ? 3 : v < 10_000 ? 4 : 5;
  return v < 10_000_000 ? (v < 1_000_000 ? 6 : 7) : v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10;
}

/** A non-negative integer below 2^32 in decimal at `o`; returns the offset after it. */
function writeDecimal(out: Uint8Array, o: number, value: number): number {
  const end = o + decimalDigits(value);
  let i = end;
  let v = value;
  while (v >= 100) {
    const q = Math.floor(v / 100);
    const pair = (v - q * 100) * 2;
    out[--i] = DIGIT_PAIRS[pair + 1]!;
    out[--i] = DIGIT_PAIRS[pair]!;
    v = q;
  }
  if (v >= 10) {
    out[--i] = DIGIT_PAIRS[v * 2 + 1]!;
    out[--i] = DIGIT_PAIRS[v * 2]!;
  } else {
    out[--i] = 0x30 + v;
  }
  return end;
}
