import { InvalidEventError } from '../errors.ts';
import type { KafkaHeader, RawKafkaHeader } from './types.ts';

/**
 * Kafka headers as Lambda sends them (`[{ name: [bytes] }, …]`): checked without building
 * anything, and turned into {@link KafkaHeader}s only when read. A 10,000-record batch whose
 * handler never reads a header then costs no `Buffer` and no header object per record.
 */

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The longest header value read without its per-byte check while the checks are deferred (keys
 * of the usual length). A longer one is checked as it is read: an oversized or sparse array is
 * refused before it is copied anywhere, and its check costs little next to hashing it.
 */
export const UNCHECKED_MAX_BYTES = 256;

/**
 * Checks a record's `headers` field: absent, null, or an array of objects whose own properties
 * are null or arrays of integers in -128..255 (Lambda's Java poller sends signed bytes, others
 * unsigned). Allocates nothing.
 *
 * @throws InvalidEventError naming the record and the offending header
 */
export function checkHeaders(value: unknown, partitionKey: string, offset: number): void {
  if (value === undefined || value === null) return;
  const entries = headerArray(value, partitionKey, offset);
  for (let i = 0; i < entries.length; i++) {
    const entry = headerEntry(entries[i], partitionKey, offset);
    for (const name in entry) {
      // Not Object.hasOwn: V8 turns this form inside for-in into an enum-cache check (2x faster here).
      if (!hasOwn.call(entry, name)) continue;
      checkByteArray(name, entry[name], partitionKey, offset);
    }
  }
}

/** The headers of a record whose `headers` field {@link checkHeaders} accepts, in record order. */
export function materializeHeaders(value: unknown, partitionKey: string, offset: number): KafkaHeader[] {
  if (value === undefined || value === null) return [];
  checkHeaders(value, partitionKey, offset);
  const entries = value as RawKafkaHeader[];
  // Sized for the usual one name per entry: a push onto [] would reserve 17 slots per record.
  const headers = new Array<KafkaHeader>(entries.length);
  let count = 0;
  for (const entry of entries) {
    for (const name in entry) {
      if (!hasOwn.call(entry, name)) continue;
      headers[count++] = { name, value: toBuffer(entry[name]) };
    }
  }
  if (count !== headers.length) headers.length = count;
  return headers;
}

/**
 * The value of the last header named `name` in a raw `headers` field, read without building the
 * others: `undefined` when absent, `null` when present with a null value. The value's bytes are
 * checked; the rest of the field is not looked at beyond finding the name.
 *
 * @throws InvalidEventError when the field is not an array of objects or that value is not bytes
 */
export function lastRawHeader(
  value: unknown,
  name: string,
  partitionKey: string,
  offset: number,
): Buffer | null | undefined {
  const bytes = lastRawHeaderBytes(value, name, partitionKey, offset);
  return bytes === undefined ? undefined : toBuffer(bytes);
}

/**
 * As {@link lastRawHeader}, without the copy: the event's own array of checked bytes (signed or
 * unsigned: read each as `b & 0xff`). The caller must not modify it.
 *
 * `checkBytes: false` checks only that a value of up to {@link UNCHECKED_MAX_BYTES} elements is an
 * array (or null), not each byte: for a caller that runs {@link checkHeaders} on the whole field
 * before anything it derives is used (the middleware's deferred payload checks). An element that
 * is not a byte then reads as `b & 0xff` of its number value, or throws on the way (an object
 * whose conversion fails), and the event is rejected by that check: the middleware runs it at once
 * should key derivation throw. Longer values are checked all the same.
 *
 * @throws InvalidEventError when the field is not an array of objects or that value is not bytes
 */
export function lastRawHeaderBytes(
  value: unknown,
  name: string,
  partitionKey: string,
  offset: number,
  checkBytes = true,
): readonly number[] | null | undefined {
  if (value === undefined || value === null) return undefined;
  const entries = headerArray(value, partitionKey, offset);
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = headerEntry(entries[i], partitionKey, offset);
    if (hasOwn.call(entry, name)) {
      const bytes = entry[name];
      if (checkBytes || !Array.isArray(bytes) || bytes.length > UNCHECKED_MAX_BYTES)
        checkByteArray(name, bytes, partitionKey, offset);
      return bytes as number[] | null;
    }
  }
  return undefined;
}

function headerArray(value: unknown, partitionKey: string, offset: number): readonly unknown[] {
  if (!Array.isArray(value))
    invalid(partitionKey, offset, `headers must be an array, got ${describe(value)}`);
  return value;
}

function headerEntry(entry: unknown, partitionKey: string, offset: number): RawKafkaHeader {
  if (!isPlainObject(entry)) {
    invalid(
      partitionKey,
      offset,
      `each headers entry must be an object { name: bytes }, got ${describe(entry)}`,
    );
  }
  return entry as RawKafkaHeader;
}

function checkByteArray(name: string, bytes: unknown, partitionKey: string, offset: number): void {
  if (bytes === null) return;
  if (!Array.isArray(bytes)) {
    invalid(partitionKey, offset, `header "${name}" must be an array of bytes, got ${describe(bytes)}`);
  }
  for (let i = 0; i < bytes.length; i++) {
    const b: unknown = bytes[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < -128 || b > 255) {
      invalid(
        partitionKey,
        offset,
        `header "${name}" byte ${i} is ${describe(b)}, expected an integer in -128..255`,
      );
    }
  }
}

// A Uint8Array store keeps b & 0xff, mapping Java's signed bytes and unsigned ones onto the same
// byte, as Buffer.from(array) does. Short values come from Node's pool, as Buffer.from takes them.
function toBuffer(bytes: readonly number[] | null | undefined): Buffer | null {
  if (bytes === null || bytes === undefined) return null;
  const buffer = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) buffer[i] = bytes[i]!;
  return buffer;
}

function invalid(partitionKey: string, offset: number, reason: string): never {
  throw new InvalidEventError(reason, { record: `${partitionKey}@${offset}` });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
