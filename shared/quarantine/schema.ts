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
  const fail = (what: string) => {
    throw new InvalidQuarantineRecordError(
      `Cannot quarantine record ${at} of group ${JSON.stringify(r.group)}: ${what}`,
    );
  };
  if (typeof r.group !== 'string' || r.group.length === 0) fail('the group must be a non-empty string.');
  if (typeof r.topic !== 'string' || !TOPIC_PATTERN.test(r.topic)) fail('invalid topic name.');
  if (!Number.isInteger(r.partition) || r.partition < 0) fail('the partition must be a whole number >= 0.');
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
 * `truncated` set and the original sizes recorded.
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
    [Q.IDEMPOTENCY_KEY]: { S: r.idempotencyKey },
    [Q.REASON]: { S: r.reason },
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
