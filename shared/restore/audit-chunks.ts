import { gunzipSync, gzipSync } from 'node:zlib';
import { type AttributeValue, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import type { DynamoDBSender } from '../checkpoints/dynamodb.ts';
import { RestoreRefusedError } from './errors.ts';
import type { RestorePlan, RestoreResult } from './types.ts';

// A restore's plan (and its result) can be far larger than one DynamoDB item: ~480 bytes of JSON
// per partition for `checkpoint`, ~950 for `auto`, so an inline plan broke at ~840 partitions
// (measured, decision 0025). Such a field is gzipped and cut into chunk items under the same pk,
// written in one transaction with the item that names them. Their sort key starts with `#`, below
// every `{startedAt ISO}#{restoreId}`, so a newest-first Query of the group (the watchdog reads 5)
// meets the restores, never their chunks; they carry no `restoreId` or `status`, so neither the
// lookup by id nor "is a restore running" can mistake one for a restore.

/** DynamoDB's item size limit: names and values of every attribute. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
/** The aggregate item size one TransactWriteItems may carry (DynamoDB: 4 MB), with room for the request. */
export const TRANSACTION_LIMIT_BYTES = 4 * 1024 * 1024 - 64 * 1024;
/** A TransactWriteItems holds at most 100 items. */
export const TRANSACTION_MAX_ITEMS = 100;
/** Compressed bytes per chunk item: with pk (≤ 2 KB) and sk it stays well under the item limit. */
const CHUNK_DATA_BYTES = 350 * 1024;
/** The only encoding written; a reader refuses others rather than misparse them. */
export const CHUNK_ENCODING = 'gzip';

/** The audit fields that may be chunked. */
export type ChunkedField = 'plan' | 'result';

/**
 * The plan of a restore is too large to audit even compressed and chunked (a transaction holds
 * 4 MB): refused by `start`, before anything is written or committed.
 */
export class AuditTooLargeError extends RestoreRefusedError {}

/** An audit item names chunks that cannot be read back whole, or an encoding this version does not know. */
export class AuditItemUnreadableError extends RestoreRefusedError {}

/**
 * The size DynamoDB counts for an item: UTF-8 names plus values (a number counted by its digits,
 * slightly over DynamoDB's own count, which only adds margin).
 */
export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += value.N.length;
    else if (value.B !== undefined) bytes += value.B.length;
    else bytes += 1;
  }
  return bytes;
}

/** Sort-key prefix of a field's chunks of the audit item `headSk`. */
export function chunkPrefix(field: ChunkedField, headSk: string): string {
  return `#${field}#${headSk}#`;
}

/** `json` gzipped and cut into chunk items (pk, sk, `data`), in order. */
export function chunkItems(
  pk: string,
  headSk: string,
  field: ChunkedField,
  json: string,
): Record<string, AttributeValue>[] {
  const data = gzipSync(Buffer.from(json, 'utf8'));
  const items: Record<string, AttributeValue>[] = [];
  for (let offset = 0; offset < data.length; offset += CHUNK_DATA_BYTES) {
    const index = String(items.length).padStart(4, '0');
    items.push({
      pk: { S: pk },
      sk: { S: `${chunkPrefix(field, headSk)}${index}` },
      data: { B: data.subarray(offset, offset + CHUNK_DATA_BYTES) },
    });
  }
  return items;
}

/** The attributes the audit item gets instead of the field itself: how many chunks, and how encoded. */
export function chunkMarkers(field: ChunkedField, count: number): Record<string, AttributeValue> {
  return { [`${field}Chunks`]: { N: String(count) }, [`${field}Encoding`]: { S: CHUNK_ENCODING } };
}

/** The sum of the items' sizes: what counts against {@link TRANSACTION_LIMIT_BYTES}. */
export function totalBytes(items: readonly Readonly<Record<string, AttributeValue>>[]): number {
  return items.reduce((sum, item) => sum + itemBytes(item), 0);
}

/**
 * The JSON of `field` of an audit item: inline (a string, as every version wrote it up to
 * decision 0025) or read back from its chunks; `null` when the item has neither.
 */
export async function readField(
  client: DynamoDBSender,
  tableName: string,
  item: Readonly<Record<string, AttributeValue>>,
  field: ChunkedField,
): Promise<string | null> {
  const inline = item[field]?.S;
  if (inline !== undefined) return inline;
  const count = item[`${field}Chunks`]?.N;
  if (count === undefined) return null;
  const pk = item.pk!.S!;
  const headSk = item.sk!.S!;
  const encoding = item[`${field}Encoding`]?.S;
  if (encoding !== CHUNK_ENCODING) {
    throw new AuditItemUnreadableError(
      `The ${field} of audit item ${pk} / ${headSk} is encoded ${encoding ?? '(unnamed)'}, which this version ` +
        'cannot read: use the mskguard version that wrote it.',
    );
  }
  const parts = await queryChunks(client, tableName, pk, chunkPrefix(field, headSk));
  if (parts.length !== Number(count)) {
    throw new AuditItemUnreadableError(
      `The ${field} of audit item ${pk} / ${headSk} is stored in ${count} chunk item(s), but ${parts.length} ` +
        `were found (sort keys ${chunkPrefix(field, headSk)}*): it cannot be read whole, so nothing is taken from it.`,
    );
  }
  try {
    return gunzipSync(Buffer.concat(parts)).toString('utf8');
  } catch (error) {
    throw new AuditItemUnreadableError(
      `The ${field} of audit item ${pk} / ${headSk} cannot be decompressed (${(error as Error).message}): ` +
        'nothing is taken from it.',
      { cause: error },
    );
  }
}

/** Every chunk under `prefix`, in sort-key order (= written order), paged. */
async function queryChunks(
  client: DynamoDBSender,
  tableName: string,
  pk: string,
  prefix: string,
): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = (await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: prefix } },
        // The transaction that wrote them has completed: a strongly consistent read sees them all.
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    )) as QueryCommandOutput;
    for (const item of out.Items ?? []) if (item.data?.B) parts.push(item.data.B);
    start = out.LastEvaluatedKey;
  } while (start);
  return parts;
}

/**
 * The result's chunk items. Its size follows the plan's (one `applied` entry per partition), so it
 * fits when the plan did; only the free text (steps, an error listing every partition) could push
 * it over, and that is cut then: what was committed (`applied`) is always kept whole.
 */
export function resultChunks(
  pk: string,
  headSk: string,
  result: RestoreResult,
  json: string,
): Record<string, AttributeValue>[] {
  // The transaction also carries the updated audit item (at most one item's size).
  const room = TRANSACTION_LIMIT_BYTES - ITEM_LIMIT_BYTES;
  const fits = (items: Record<string, AttributeValue>[]) =>
    totalBytes(items) <= room && items.length + 1 <= TRANSACTION_MAX_ITEMS;
  const chunks = chunkItems(pk, headSk, 'result', json);
  if (fits(chunks)) return chunks;
  const cut: RestoreResult = {
    ...result,
    steps:
      result.steps.length <= 20
        ? result.steps
        : [...result.steps.slice(0, 20), `... ${result.steps.length - 20} step(s) cut to fit the audit item`],
    error: result.error && { ...result.error, message: `${result.error.message.slice(0, 4000)} ... [cut]` },
  };
  const smaller = chunkItems(pk, headSk, 'result', JSON.stringify(cut));
  if (fits(smaller)) return smaller;
  throw new AuditTooLargeError(
    `The result of restore ${result.restoreId} does not fit its audit item even compressed; the offsets are ` +
      `what the restore answered (${result.applied.length} applied).`,
  );
}

/** The refusal of a plan whose chunks and item take `bytes`, with the size of parts that fit. */
export function planTooLarge(plan: RestorePlan, bytes: number): AuditTooLargeError {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  // Parts whose plans are each ~80% of what one transaction holds.
  const perPart = Math.max(1, Math.floor(((plan.rows.length * TRANSACTION_LIMIT_BYTES) / bytes) * 0.8));
  return new AuditTooLargeError(
    `The plan of restore ${plan.restoreId} (${plan.rows.length} partition(s) of ${plan.topic}) takes ${mb(bytes)} MB ` +
      `compressed, more than the audit table can record in one transaction (${mb(TRANSACTION_LIMIT_BYTES)} MB), so ` +
      'nothing was written and nothing was changed. Restore the topic in parts of at most ' +
      `${perPart} partitions (--partitions 0-${perPart - 1}, then the next range; \`partitions\` in a Lambda ` +
      'request; mode recover): each part is audited, and can be undone, on its own.',
  );
}
