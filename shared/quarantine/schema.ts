import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from '../checkpoints/dynamodb.ts';
import type { KafkaHeader } from '../msk/types.ts';
import { InvalidQuarantineRecordError } from './errors.ts';
import { quarantineId } from './id.ts';
import {
  type PayloadSizes,
  type QuarantinedRecord,
  type QuarantineInput,
  QuarantineStatus,
  type QuarantineSummary,
} from './types.ts';

/**
 * Item layout of the quarantine table (docs/decisions/0002-dynamodb-table-schema.md). Key, TTL and
 * index attribute names mirror cdk/constructs/checkpoint-tables.ts (a test keeps them equal).
 */
export const QUARANTINE_ATTRIBUTES = {
  PARTITION_KEY: 'pk',
  SORT_KEY: 'sk',
  TTL: 'expiresAt',
  GROUP_INDEX_PARTITION_KEY: 'gsi1pk',
  GROUP_INDEX_SORT_KEY: 'gsi1sk',
  GROUP: 'group',
  TOPIC: 'topic',
  PARTITION: 'partition',
  OFFSET: 'offset',
  KEY: 'key',
  VALUE: 'value',
  /** List of maps `{ name: S, value: B | NULL }`, in record order. */
  HEADERS: 'headers',
  IDEMPOTENCY_KEY: 'idempotencyKey',
  REASON: 'reason',
  DETAIL: 'detail',
  STATUS: 'status',
  QUARANTINED_AT: 'quarantinedAt',
  TRUNCATED: 'truncated',
  KEY_BYTES: 'keyBytes',
  VALUE_BYTES: 'valueBytes',
  HEADERS_BYTES: 'headersBytes',
  REPLAYED_AT: 'replayedAt',
  REPLAYED_BY: 'replayedBy',
  REPLAYED_TO: 'replayedTo',
} as const;

/** The quarantine table's index listing a group's records by time (mirror of the cdk constant). */
export const QUARANTINE_INDEX = 'byGroup';

/** Non-key attributes projected into {@link QUARANTINE_INDEX} (mirror of the cdk constant). */
export const QUARANTINE_INDEX_PROJECTION = ['reason', 'status', 'idempotencyKey'] as const;

const Q = QUARANTINE_ATTRIBUTES;
/** DynamoDB's item size limit. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html */
export const ITEM_SIZE_LIMIT = 400 * 1024;
/** Room kept free under the limit, for rounding in the size estimate and the replay attributes added later. */
const SIZE_MARGIN = 2048;
const DETAIL_MAX = 1000;
/** DynamoDB's limit on a partition key value (pk; gsi1pk is the group, shorter), in UTF-8 bytes. */
const MAX_PK_BYTES = 2048;
/**
 * Caps, in UTF-8 bytes, of the caller's free-text attributes, so that the attributes other than
 * the payload stay a few KB and the payload truncation below always finds room: uncapped, one long
 * reason made a ValidationException, which no retry of the batch could ever get past (G6).
 */
const REASON_MAX_BYTES = 256;
/** The key id is 22 characters; a longer one (a custom deriver) is cut, and can no longer be correlated. */
const IDEMPOTENCY_KEY_MAX_BYTES = 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Partition key of a record's item (the same form as checkpoints: `{group}#{topic}#{partition}`). */
export function quarantinePk(group: string, topic: string, partition: number): string {
  return `${group}#${topic}#${partition}`;
}

/** The table key of a record. */
export function quarantineKey(c: { group: string; topic: string; partition: number; offset: number }): Item {
  return {
    [Q.PARTITION_KEY]: { S: quarantinePk(c.group, c.topic, c.partition) },
    [Q.SORT_KEY]: { S: String(c.offset).padStart(20, '0') },
  };
}

/** Throws {@link InvalidQuarantineRecordError} naming the first thing wrong with `r`. */
export function validateInput(r: QuarantineInput): void {
  const at = `${r.topic}-${r.partition}@${r.offset}`;
  // A group too long for the key would otherwise fill the message with kilobytes of it.
  const group =
    typeof r.group === 'string' && r.group.length > 100
      ? `${JSON.stringify(r.group.slice(0, 100))}... (${r.group.length} characters)`
      : JSON.stringify(r.group);
  const fail = (what: string) => {
    throw new InvalidQuarantineRecordError(`Cannot quarantine record ${at} of group ${group}: ${what}`);
  };
  if (typeof r.group !== 'string' || r.group.length === 0) fail('the group must be a non-empty string.');
  if (typeof r.topic !== 'string' || !TOPIC_PATTERN.test(r.topic)) fail('invalid topic name.');
  if (!Number.isInteger(r.partition) || r.partition < 0) fail('the partition must be a whole number >= 0.');
  const pkBytes = Buffer.byteLength(quarantinePk(r.group, r.topic, r.partition));
  if (pkBytes > MAX_PK_BYTES) {
    fail(
      `group + topic + partition make a ${pkBytes}-byte partition key, over DynamoDB's ${MAX_PK_BYTES}-byte ` +
        'limit: use a shorter consumer group id.',
    );
  }
  if (!Number.isSafeInteger(r.offset) || r.offset < 0) fail('the offset must be a whole number >= 0.');
  for (const [name, v] of [
    ['key', r.key],
    ['value', r.value],
  ] as const) {
    if (v !== null && (typeof v !== 'string' || !BASE64.test(v))) fail(`the ${name} must be base64 or null.`);
  }
  const headerOk = (h: KafkaHeader) =>
    typeof h?.name === 'string' && (h.value === null || h.value instanceof Uint8Array);
  if (!Array.isArray(r.headers) || !r.headers.every(headerOk)) {
    fail('headers must be an array of { name: string, value: Buffer | null }.');
  }
  if (typeof r.idempotencyKey !== 'string') fail('idempotencyKey must be a string.');
  if (typeof r.reason !== 'string' || r.reason.length === 0) fail('a reason is required.');
}

/**
 * `text` cut to at most `maxBytes` of UTF-8, on a character boundary, and said to be cut in the
 * text itself: the item's `truncated` flag means the payload was cut (replay then refuses it),
 * which a long reason does not make true.
 */
export function capText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const marker = `... [cut from ${bytes} bytes]`;
  let kept = Buffer.from(text)
    .subarray(0, maxBytes - Buffer.byteLength(marker))
    .toString();
  // A multi-byte character split at the cut decodes to U+FFFD (3 bytes): drop it.
  kept = kept.replace(/\uFFFD+$/, '');
  while (Buffer.byteLength(kept) + Buffer.byteLength(marker) > maxBytes) kept = kept.slice(0, -1);
  return kept + marker;
}

/** Upper-bound size of an attribute value, by DynamoDB's item size rules. */
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return 21;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M !== undefined)
    return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueSize(e), 0);
  return 1;
}

/** Upper-bound size of an item, by DynamoDB's item size rules. */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v), 0);
}

function headersValue(headers: readonly KafkaHeader[]): AttributeValue {
  return {
    L: headers.map((h) => ({
      M: { name: { S: h.name }, value: h.value === null ? { NULL: true } : { B: h.value } },
    })),
  };
}

function bytesValue(bytes: Buffer | null): AttributeValue {
  return bytes === null ? { NULL: true } : { B: bytes };
}

/**
 * The item of one record. A record over DynamoDB's 400 KB item limit is stored, not dropped: its
 * headers are kept if they fit, then as much of its key and then of its value as fits, with
 * `truncated` set and the original sizes recorded. The reason and idempotency key are capped
 * ({@link capText}) and the partition key checked ({@link validateInput}), so the rest of the item
 * stays a few KB and the payload always has room.
 */
export function encodeRecord(
  r: QuarantineInput,
  quarantinedAt: string,
  expiresAt: number,
): { item: Item; truncated: boolean } {
  const key = r.key === null ? null : Buffer.from(r.key, 'base64');
  const value = r.value === null ? null : Buffer.from(r.value, 'base64');
  const sizes: PayloadSizes = {
    key: key?.byteLength ?? 0,
    value: value?.byteLength ?? 0,
    headers: r.headers.reduce((n, h) => n + Buffer.byteLength(h.name) + (h.value?.byteLength ?? 0), 0),
  };
  const base: Item = {
    ...quarantineKey(r),
    [Q.GROUP_INDEX_PARTITION_KEY]: { S: r.group },
    [Q.GROUP_INDEX_SORT_KEY]: {
      S: `${quarantinedAt}#${r.topic}#${r.partition}#${String(r.offset).padStart(20, '0')}`,
    },
    [Q.TTL]: { N: String(expiresAt) },
    [Q.GROUP]: { S: r.group },
    [Q.TOPIC]: { S: r.topic },
    [Q.PARTITION]: { N: String(r.partition) },
    [Q.OFFSET]: { N: String(r.offset) },
    [Q.IDEMPOTENCY_KEY]: { S: capText(r.idempotencyKey, IDEMPOTENCY_KEY_MAX_BYTES) },
    [Q.REASON]: { S: capText(r.reason, REASON_MAX_BYTES) },
    ...(r.detail ? { [Q.DETAIL]: { S: r.detail.slice(0, DETAIL_MAX) } } : {}),
    [Q.STATUS]: { S: QuarantineStatus.Quarantined },
    [Q.QUARANTINED_AT]: { S: quarantinedAt },
    [Q.KEY_BYTES]: { N: String(sizes.key) },
    [Q.VALUE_BYTES]: { N: String(sizes.value) },
    [Q.HEADERS_BYTES]: { N: String(sizes.headers) },
    [Q.TRUNCATED]: { BOOL: false },
  };
  const whole: Item = {
    ...base,
    [Q.KEY]: bytesValue(key),
    [Q.VALUE]: bytesValue(value),
    [Q.HEADERS]: headersValue(r.headers),
  };
  if (itemSize(whole) <= ITEM_SIZE_LIMIT - SIZE_MARGIN) return { item: whole, truncated: false };

  // Names of the three payload attributes, their B/NULL/L overheads, and the margin.
  let room = ITEM_SIZE_LIMIT - SIZE_MARGIN - itemSize(base) - 3 * 16;
  const headers = headersValue(r.headers);
  const keptHeaders = valueSize(headers) <= room ? headers : { L: [] };
  room -= valueSize(keptHeaders);
  const keptKey = key === null ? null : key.subarray(0, Math.max(0, room));
  room -= keptKey?.byteLength ?? 0;
  const keptValue = value === null ? null : value.subarray(0, Math.max(0, room));
  const item: Item = {
    ...base,
    [Q.KEY]: bytesValue(keptKey),
    [Q.VALUE]: bytesValue(keptValue),
    [Q.HEADERS]: keptHeaders,
    [Q.TRUNCATED]: { BOOL: true },
  };
  return { item, truncated: true };
}

/** A full item as a {@link QuarantinedRecord}. */
export function decodeRecord(item: Item): QuarantinedRecord {
  const bytes = (v: AttributeValue | undefined) =>
    v?.B === undefined ? null : Buffer.from(v.B).toString('base64');
  const headers = (item[Q.HEADERS]?.L ?? []).map((h) => {
    const value = h.M?.value?.B;
    return { name: h.M?.name?.S ?? '', value: value === undefined ? null : Buffer.from(value) };
  });
  const optional = (name: string) => item[name]?.S;
  return {
    ...decodeSummary(item),
    key: bytes(item[Q.KEY]),
    value: bytes(item[Q.VALUE]),
    headers,
    ...(optional(Q.DETAIL) === undefined ? {} : { detail: optional(Q.DETAIL) }),
    truncated: item[Q.TRUNCATED]?.BOOL === true,
    sizes: {
      key: Number(item[Q.KEY_BYTES]?.N ?? 0),
      value: Number(item[Q.VALUE_BYTES]?.N ?? 0),
      headers: Number(item[Q.HEADERS_BYTES]?.N ?? 0),
    },
    expiresAt: new Date(Number(item[Q.TTL]?.N ?? 0) * 1000),
    ...(optional(Q.REPLAYED_AT) === undefined ? {} : { replayedAt: optional(Q.REPLAYED_AT) }),
    ...(optional(Q.REPLAYED_BY) === undefined ? {} : { replayedBy: optional(Q.REPLAYED_BY) }),
    ...(optional(Q.REPLAYED_TO) === undefined ? {} : { replayedTo: optional(Q.REPLAYED_TO) }),
  };
}

/** An index item (keys + projected attributes) as a {@link QuarantineSummary}. */
export function decodeSummary(item: Item): QuarantineSummary {
  const group = item[Q.GROUP_INDEX_PARTITION_KEY]?.S ?? '';
  // gsi1sk = {quarantinedAt}#{topic}#{partition}#{offset:020}; none of the parts contains '#'.
  const [quarantinedAt = '', topic = '', partition = '', offset = ''] = (
    item[Q.GROUP_INDEX_SORT_KEY]?.S ?? ''
  ).split('#');
  const coordinates = { group, topic, partition: Number(partition), offset: Number(offset) };
  return {
    id: quarantineId(coordinates),
    ...coordinates,
    quarantinedAt,
    reason: item[Q.REASON]?.S ?? '',
    status: (item[Q.STATUS]?.S ?? QuarantineStatus.Quarantined) as QuarantineStatus,
    idempotencyKey: item[Q.IDEMPOTENCY_KEY]?.S ?? '',
  };
}
