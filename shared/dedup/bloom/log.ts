/**
 * The distributed Bloom tier's log (decision 0022): a group that logs appends its completed keys'
 * blocks to one Redis string per generation (8 bytes per distinct block of a batch: the block as a
 * big-endian u32, then its word), where a bitmap write costs a BITFIELD sub-command per block. The
 * containers' copies fold the log into bits of their own (snapshots.ts).
 */
import { type BloomDigestSource, type DistributedBloomParams, mergeBlocks } from '../distributed-bloom.ts';

/** Bytes of one log entry: the block (u32) and its word. */
export const LOG_ENTRY_BYTES = 8;

/** The complete's log argument: one entry per distinct block of the completed keys. */
export function encodeBloomLog(
  keys: readonly BloomDigestSource[],
  params: Pick<DistributedBloomParams, 'blocks' | 'k'>,
): Buffer {
  const { blocks, words, distinct } = mergeBlocks(keys, params);
  const out = Buffer.allocUnsafe(distinct * LOG_ENTRY_BYTES);
  for (let i = 0; i < distinct; i++) {
    out.writeUInt32BE(blocks[i]!, i * LOG_ENTRY_BYTES);
    out.writeInt32BE(words[i]!, i * LOG_ENTRY_BYTES + 4);
  }
  return out;
}

/**
 * ORs a log's entries into `bits` (a generation's bitmap, `blocks × 4` bytes, big-endian words as
 * BITFIELD writes them). An entry past `bits` (a log written under a larger configuration) is
 * skipped and counted: it names no block of this size. A partial entry at the end is left unread.
 * @returns the bytes of `entries` read (whole entries only), and how many entries were skipped.
 */
export function foldLog(bits: Buffer, entries: Uint8Array): { bytes: number; skipped: number } {
  const whole = entries.length - (entries.length % LOG_ENTRY_BYTES);
  const view = new DataView(entries.buffer, entries.byteOffset, whole);
  let skipped = 0;
  for (let e = 0; e < whole; e += LOG_ENTRY_BYTES) {
    const offset = view.getUint32(e) * 4;
    if (offset + 4 <= bits.length) bits.writeInt32BE(bits.readInt32BE(offset) | view.getInt32(e + 4), offset);
    else skipped++;
  }
  return { bytes: whole, skipped };
}
