import type { ParsedRecord } from '../msk/record.ts';
import { KeyDerivationError } from './errors.ts';
import type { KeySource } from './options.ts';

/**
 * Per-record memo shared by the sources of one derivation (the value is parsed as JSON once).
 * One instance serves a whole batch: {@link RecordContext.reset} moves it to the next record, so
 * a 10,000-record batch does not allocate a context per record.
 */
export class RecordContext {
  #json: unknown = NOT_PARSED;
  #record: ParsedRecord;

  public constructor(record: ParsedRecord) {
    this.#record = record;
  }

  /** The record being derived. */
  public get record(): ParsedRecord {
    return this.#record;
  }

  /** Points the context at `record` and forgets the previous record's memo. */
  public reset(record: ParsedRecord): this {
    this.#record = record;
    this.#json = NOT_PARSED;
    return this;
  }

  /** The value parsed as JSON, or {@link NOT_JSON}. */
  public json(): unknown {
    if (this.#json === NOT_PARSED) {
      const value = this.record.value;
      try {
        // Fatal decoding: lenient UTF-8 would turn distinct invalid bytes into the same U+FFFD
        // and so give distinct records the same key.
        this.#json = value === null ? NOT_JSON : JSON.parse(UTF8.decode(value));
      } catch {
        this.#json = NOT_JSON;
      }
    }
    return this.#json;
  }
}

const NOT_PARSED = Symbol('not parsed');
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// A lone surrogate (only possible in a string that is not well-formed UTF-16) becomes U+FFFD in
// UTF-8, so two different such strings would share a key.
const LONE_SURROGATE = /\p{Cs}/u;
/** Marks a value that is absent or not JSON. */
export const NOT_JSON = Symbol('not JSON');

/** Key material: bytes, or a header's checked byte array straight from the event (`b & 0xff`). */
export type KeyMaterial = Uint8Array | readonly number[];

/** Reads the key material of one source, or `undefined` when this source has no key. */
export type MaterialReader = (context: RecordContext) => KeyMaterial | undefined;

/** Compiles a validated source into a reader (path split once, not per record). */
export function materialReader(source: KeySource): MaterialReader {
  switch (source.type) {
    case 'header': {
      const name = source.name!;
      // Read as they are: the guard checks every payload of the event before anything reaches the
      // handler (middleware/engine.ts), and a key derived from a bad byte is never used because the
      // event is then rejected. A long header is still checked as it is read (record.ts).
      return ({ record }) => nonEmpty(record.lastHeaderBytes(name, false));
    }
    case 'recordKey':
      return ({ record }) => nonEmpty(record.key);
    case 'jsonPath': {
      const segments = source.path.split('.');
      return (context) => jsonMaterial(walk(context.json(), segments));
    }
    case 'function':
      return ({ record }) => callKeyFunction(source.fn, record);
  }
}

function nonEmpty<T extends KeyMaterial>(bytes: T | null | undefined): T | undefined {
  return bytes === null || bytes === undefined || bytes.length === 0 ? undefined : bytes;
}

function walk(json: unknown, segments: readonly string[]): unknown {
  let node = json;
  for (const segment of segments) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
      node = node[Number(segment)];
    } else if (typeof node === 'object' && node !== null && Object.hasOwn(node, segment)) {
      node = (node as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return node;
}

function jsonMaterial(leaf: unknown): Uint8Array | undefined {
  if (typeof leaf === 'string') {
    return leaf === '' || LONE_SURROGATE.test(leaf) ? undefined : Buffer.from(leaf, 'utf8');
  }
  if (typeof leaf === 'number') return isExactNumber(leaf) ? Buffer.from(String(leaf), 'utf8') : undefined;
  if (typeof leaf !== 'object' || leaf === null) return undefined;
  if (Array.isArray(leaf) ? leaf.length === 0 : Object.keys(leaf).length === 0) return undefined;
  const text = canonicalJson(leaf, 0);
  return text === undefined ? undefined : Buffer.from(text, 'utf8');
}

// JSON.parse rounds integers beyond 2^53: two distinct 64-bit ids can become one number.
function isExactNumber(n: number): boolean {
  return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n));
}

const MAX_DEPTH = 64;

/** JSON with object keys sorted at every level; `undefined` when a number is not exact or too deep. */
export function canonicalJson(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return isExactNumber(value) ? JSON.stringify(value) : undefined;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value) {
      const text = canonicalJson(item, depth + 1);
      if (text === undefined) return undefined;
      items.push(text);
    }
    return `[${items.join(',')}]`;
  }
  if (typeof value !== 'object') return undefined;
  const entries: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const text = canonicalJson((value as Record<string, unknown>)[key], depth + 1);
    if (text === undefined) return undefined;
    entries.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${entries.join(',')}}`;
}

function callKeyFunction(
  fn: (record: ParsedRecord) => string | Uint8Array | null | undefined,
  record: ParsedRecord,
): Uint8Array | undefined {
  let result: unknown;
  try {
    result = fn(record);
  } catch (error) {
    throw new KeyDerivationError('The key function threw', { record: record.coordinate, cause: error });
  }
  if (result === undefined || result === null) return undefined;
  if (typeof result === 'string') {
    if (LONE_SURROGATE.test(result)) {
      throw new KeyDerivationError(
        'The key function returned a string with a lone surrogate (not valid UTF-16)',
        {
          record: record.coordinate,
        },
      );
    }
    return result === '' ? undefined : Buffer.from(result, 'utf8');
  }
  if (result instanceof Uint8Array) return nonEmpty(result);
  const what = result instanceof Promise ? 'a Promise (key functions must be synchronous)' : typeof result;
  throw new KeyDerivationError(
    `The key function returned ${what}; expected a string, bytes, null or undefined`,
    {
      record: record.coordinate,
    },
  );
}
