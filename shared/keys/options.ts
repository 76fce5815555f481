import { ConfigurationError } from '../errors.ts';
import type { ParsedRecord } from '../msk/record.ts';
import { validateGroupName } from './namespace.ts';
import { isTracingName } from './tracing.ts';

/** Where an idempotency key may come from. */
export const KeySourceType = {
  header: 'header',
  recordKey: 'recordKey',
  jsonPath: 'jsonPath',
  function: 'function',
} as const;
/** `'header' | 'recordKey' | 'jsonPath' | 'function'`. */
export type KeySourceType = (typeof KeySourceType)[keyof typeof KeySourceType];

/** The header used when a `header` source names none. */
export const DEFAULT_KEY_HEADER = 'idempotency-key';

/** The last header with this exact (case-sensitive) name; null or empty values yield no key. */
export interface HeaderKeySource {
  readonly type: 'header';
  /** @default 'idempotency-key' */
  readonly name?: string;
}

/**
 * The Kafka record key. Only for topics whose key is unique per business event: a key that is
 * a partitioning key (customer id, account id) would make distinct events look like duplicates.
 */
export interface RecordKeySource {
  readonly type: 'recordKey';
}

/**
 * A field of the JSON value, by dotted path (`order.id`; a numeric segment indexes an array,
 * `items.0.sku`). Strings and numbers are keys; objects and arrays are keys as canonical JSON
 * (sorted object keys). A value that is not JSON (or not valid UTF-8), a missing path, `null`, a
 * boolean, an empty string / object / array, a string with a lone surrogate, or an integer beyond
 * ±2^53 (JSON.parse would round it, merging distinct ids — send 64-bit ids as strings) yield no
 * key from this source: material that could merge distinct events is never used.
 */
export interface JsonPathKeySource {
  readonly type: 'jsonPath';
  readonly path: string;
}

/**
 * A synchronous function returning the key as a string (UTF-8) or bytes; `undefined`, `null`
 * or empty means no key. A throw, a string that is not well-formed UTF-16, or any other return
 * value raises `KeyDerivationError`.
 */
export interface FunctionKeySource {
  readonly type: 'function';
  readonly fn: (record: ParsedRecord) => string | Uint8Array | null | undefined;
}

/** One configured key source; sources are tried in the order given. */
export type KeySource = HeaderKeySource | RecordKeySource | JsonPathKeySource | FunctionKeySource;

/** What to use when no source yields a key. */
export const KeyFallback = {
  /** SHA-256 over topic + key + value, framed: catches producer retries that resend the same bytes. */
  contentHash: 'contentHash',
  /** No key: `onMissingKey` decides. */
  none: 'none',
} as const;
/** `'contentHash' | 'none'`. */
export type KeyFallback = (typeof KeyFallback)[keyof typeof KeyFallback];

/** What to do with a record that has no key (only reachable with `fallback: 'none'`). */
export const MissingKeyPolicy = {
  /** Hand it to the handler without exact-tier dedup (the offset watermark still applies). */
  process: 'process',
  /** Fail it with `MissingIdempotencyKeyError` (its partition stops there). */
  reject: 'reject',
} as const;
/** `'process' | 'reject'`. */
export type MissingKeyPolicy = (typeof MissingKeyPolicy)[keyof typeof MissingKeyPolicy];

/**
 * How idempotency keys are derived.
 *
 * Fallback and missing keys: by default a record no source has a key for is keyed by a content
 * hash of its topic, key and value, so there is never a missing key and `onMissingKey` never
 * applies. Two records with identical bytes on one topic then count as one business event —
 * right for producer retries, wrong for topics where identical messages are distinct events
 * (e.g. bare "+1" counters): set `fallback: 'none'` there. Setting `onMissingKey: 'reject'`
 * makes `fallback` default to `'none'` (you asked for explicit keys); combining it with an
 * explicit `fallback: 'contentHash'` is refused as contradictory.
 */
export interface KeyDeriverOptions {
  /** Consumer group id (required): part of the Redis namespace and of every digest. */
  readonly group: string;
  /** @default [{ type: 'header', name: 'idempotency-key' }] */
  readonly sources?: readonly KeySource[];
  /** @default 'contentHash', or 'none' when onMissingKey is 'reject' */
  readonly fallback?: KeyFallback;
  /** @default 'process' */
  readonly onMissingKey?: MissingKeyPolicy;
  /**
   * Dedup epoch of the group, hashed into every digest: bumping it (restore's `reprocess` mode)
   * makes every record new again. A non-negative safe integer.
   * @default 0
   */
  readonly epoch?: number;
  /**
   * A key function that throws or returns an invalid value: `'throw'` fails the whole call with
   * `KeyDerivationError`; `'missing'` gives that record a {@link MissingKey} carrying the error, so
   * the other records keep their keys (`mskGuard` then retries only that record's partition).
   * @default 'throw'
   */
  readonly onKeyFunctionError?: 'throw' | 'missing';
}

/** {@link KeyDeriverOptions} with defaults applied, validated. */
export interface ResolvedKeyOptions {
  readonly group: string;
  readonly sources: readonly KeySource[];
  readonly fallback: KeyFallback;
  readonly onMissingKey: MissingKeyPolicy;
  readonly epoch: number;
  readonly onKeyFunctionError: 'throw' | 'missing';
}

const OPTION_FIELDS = new Set([
  'group',
  'sources',
  'fallback',
  'onMissingKey',
  'epoch',
  'onKeyFunctionError',
]);
const SOURCE_FIELDS: Record<KeySourceType, ReadonlySet<string>> = {
  header: new Set(['type', 'name']),
  recordKey: new Set(['type']),
  jsonPath: new Set(['type', 'path']),
  function: new Set(['type', 'fn']),
};
const MAX_PATH_SEGMENTS = 32;

/**
 * Validates key options once (factory time) and applies defaults.
 *
 * @throws ConfigurationError naming the offending option.
 * @example
 * ```ts
 * resolveKeyOptions({ group: 'orders', sources: [{ type: 'jsonPath', path: 'order.id' }] });
 * ```
 */
export function resolveKeyOptions(options: KeyDeriverOptions): ResolvedKeyOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('Key options must be an object with at least { group }');
  }
  for (const field of Object.keys(options)) {
    if (!OPTION_FIELDS.has(field)) throw new ConfigurationError(`Unknown key option "${field}"`);
  }
  const group = validateGroupName(options.group);
  const onMissingKey = options.onMissingKey ?? MissingKeyPolicy.process;
  if (onMissingKey !== 'process' && onMissingKey !== 'reject') {
    throw new ConfigurationError(
      `onMissingKey must be 'process' or 'reject', got ${JSON.stringify(onMissingKey)}`,
    );
  }
  const fallback =
    options.fallback ?? (onMissingKey === 'reject' ? KeyFallback.none : KeyFallback.contentHash);
  if (fallback !== 'contentHash' && fallback !== 'none') {
    throw new ConfigurationError(`fallback must be 'contentHash' or 'none', got ${JSON.stringify(fallback)}`);
  }
  if (fallback === 'contentHash' && onMissingKey === 'reject') {
    throw new ConfigurationError(
      `onMissingKey: 'reject' never applies with fallback: 'contentHash' (every record has a content hash). ` +
        `Use fallback: 'none' to require an explicit key.`,
    );
  }
  const epoch = options.epoch ?? 0;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ConfigurationError(`epoch must be a non-negative safe integer, got ${String(epoch)}`);
  }
  const sources = resolveSources(options.sources);
  if (sources.length === 0 && fallback === 'none') {
    throw new ConfigurationError('No key sources and fallback: none: no record could ever have a key');
  }
  const onKeyFunctionError = options.onKeyFunctionError ?? 'throw';
  if (onKeyFunctionError !== 'throw' && onKeyFunctionError !== 'missing') {
    throw new ConfigurationError(
      `onKeyFunctionError must be 'throw' or 'missing', got ${JSON.stringify(onKeyFunctionError)}`,
    );
  }
  return Object.freeze({ group, sources, fallback, onMissingKey, epoch, onKeyFunctionError });
}

function resolveSources(sources: readonly KeySource[] | undefined): readonly KeySource[] {
  if (sources === undefined) return Object.freeze([{ type: 'header', name: DEFAULT_KEY_HEADER }]);
  if (!Array.isArray(sources)) throw new ConfigurationError('sources must be an array of key sources');
  return Object.freeze(
    sources.map((source: unknown, i) => Object.freeze(resolveSource(source, `sources[${i}]`))),
  );
}

function resolveSource(source: unknown, where: string): KeySource {
  if (typeof source !== 'object' || source === null)
    throw new ConfigurationError(`${where} must be an object`);
  const { type } = source as { type?: unknown };
  if (typeof type !== 'string' || !Object.hasOwn(SOURCE_FIELDS, type)) {
    throw new ConfigurationError(
      `${where}.type must be one of header, recordKey, jsonPath, function; got ${JSON.stringify(type)}`,
    );
  }
  for (const field of Object.keys(source)) {
    if (!SOURCE_FIELDS[type as KeySourceType].has(field)) {
      throw new ConfigurationError(`${where}: unknown field "${field}" for a ${type} source`);
    }
  }
  const s = source as KeySource;
  switch (s.type) {
    case 'header':
      return { type: 'header', name: checkHeaderName(s.name ?? DEFAULT_KEY_HEADER, where) };
    case 'recordKey':
      return { type: 'recordKey' };
    case 'jsonPath':
      return { type: 'jsonPath', path: checkJsonPath(s.path, where) };
    case 'function':
      if (typeof s.fn !== 'function') throw new ConfigurationError(`${where}.fn must be a function`);
      return { type: 'function', fn: s.fn };
  }
}

function checkHeaderName(name: unknown, where: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ConfigurationError(`${where}.name must be a non-empty header name`);
  }
  if (isTracingName(name)) {
    throw new ConfigurationError(
      `${where}: header "${name}" carries a tracing id, which is never an idempotency key: it is ` +
        `per request or per span, not per business event (distinct events share it, retries may ` +
        `not), so dedup on it drops real events and misses duplicates. Use a business key.`,
    );
  }
  return name;
}

function checkJsonPath(path: unknown, where: string): string {
  if (typeof path !== 'string' || path === '')
    throw new ConfigurationError(`${where}.path must be a dotted path`);
  const segments = path.split('.');
  if (segments.some((s) => s === '') || segments.length > MAX_PATH_SEGMENTS) {
    throw new ConfigurationError(
      `${where}.path ${JSON.stringify(path)} must be 1-${MAX_PATH_SEGMENTS} non-empty segments joined by '.'`,
    );
  }
  const tracing = segments.find(isTracingName);
  if (tracing !== undefined) {
    throw new ConfigurationError(
      `${where}.path ${JSON.stringify(path)} points at a tracing id ("${tracing}"), which is never an ` +
        `idempotency key (per request or span, not per business event). Use a business key.`,
    );
  }
  return path;
}
