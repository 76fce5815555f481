import type { Item } from './dynamodb.ts';
import { InvalidCheckpointError } from './errors.ts';
import { formatSkipped, parseSkipped, validateSkipped } from './skipped.ts';
import type { Checkpoint, CheckpointUpdate, PartitionRef } from './types.ts';

/**
 * Item layout of the checkpoints table (docs/decisions/0002-dynamodb-table-schema.md). The key
 * attribute names mirror `TABLE_ATTRIBUTES` of cdk/constructs/checkpoint-tables.ts, which Lambda
 * code must not import (it would bundle aws-cdk-lib); a test keeps the two equal.
 */
export const CHECKPOINT_ATTRIBUTES = {
  PARTITION_KEY: 'pk',
  SORT_KEY: 'sk',
  TTL: 'expiresAt',
  GROUP: 'group',
  TOPIC: 'topic',
  PARTITION: 'partition',
  NEXT_OFFSET: 'nextOffset',
  EPOCH: 'epoch',
  UPDATED_AT: 'updatedAt',
  REQUEST_ID: 'requestId',
  /** Offsets below nextOffset never processed, `first-last,...` (skipped.ts); absent when none. */
  SKIPPED: 'skipped',
  /** On the GROUP item: string set of `{topic}#{partition}` ever checkpointed (the registry). */
  PARTITIONS: 'partitions',
  /** On the GROUP item: who bumped the epoch last, and when. */
  EPOCH_BUMPED_BY: 'epochBumpedBy',
  EPOCH_BUMPED_AT: 'epochBumpedAt',
} as const;

/** Sort keys (and the history prefix) of the three item kinds. */
export const CHECKPOINT_SORT_KEYS = {
  CURRENT: 'CURRENT',
  GROUP: 'GROUP',
  HISTORY_PREFIX: 'HISTORY#',
} as const;

const A = CHECKPOINT_ATTRIBUTES;
/** Kafka's legal topic names: never contain `#`, which makes `{group}#{topic}#{partition}` parseable. */
const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;
const MAX_PARTITION = 2 ** 31 - 1;
/** DynamoDB's limit on a partition key value, in UTF-8 bytes. */
const MAX_PK_BYTES = 2048;

/** `offset` as 20 digits, so sort keys order like numbers (Kafka offsets are < 2^63, 19 digits). */
export function pad20(offset: number): string {
  return String(offset).padStart(20, '0');
}

/** Partition key of a partition's CURRENT and HISTORY items. */
export function partitionPk(group: string, topic: string, partition: number): string {
  return `${group}#${topic}#${partition}`;
}

/** `{topic}#{partition}`: a member of the GROUP item's registry set. */
export function registryMember(ref: PartitionRef): string {
  return `${ref.topic}#${ref.partition}`;
}

/** Inverse of {@link registryMember} (topics never contain `#`). */
export function parseRegistryMember(member: string): PartitionRef {
  const cut = member.lastIndexOf('#');
  return { topic: member.slice(0, cut), partition: Number(member.slice(cut + 1)) };
}

/** Key of a partition's CURRENT item. */
export function currentKey(group: string, ref: PartitionRef): Item {
  return {
    [A.PARTITION_KEY]: { S: partitionPk(group, ref.topic, ref.partition) },
    [A.SORT_KEY]: { S: 'CURRENT' },
  };
}

/** Key of the group's GROUP item (epoch and partition registry). */
export function groupKey(group: string): Item {
  return { [A.PARTITION_KEY]: { S: group }, [A.SORT_KEY]: { S: 'GROUP' } };
}

/**
 * Key of an invocation's commit marker, written in its checkpoint transaction: a later claim that
 * finds the invocation's lease expired (it died) asks whether its checkpoint committed.
 */
export function commitMarkerKey(group: string, owner: string): Item {
  return { [A.PARTITION_KEY]: { S: `${commitMarkerPrefix(group)}${owner}` }, [A.SORT_KEY]: { S: 'COMMIT' } };
}

/** The partition-key prefix of a group's commit markers (the owner id follows it). */
export function commitMarkerPrefix(group: string): string {
  return `${group}#OWNER#`;
}

/** Sort key of a HISTORY item; sorts by write time, then offset. */
export function historySk(updatedAt: string, nextOffset: number): string {
  return `${CHECKPOINT_SORT_KEYS.HISTORY_PREFIX}${updatedAt}#${pad20(nextOffset)}`;
}

/** The attributes shared by CURRENT and HISTORY items. */
export function checkpointAttributes(checkpoint: Checkpoint): Item {
  return {
    [A.GROUP]: { S: checkpoint.group },
    [A.TOPIC]: { S: checkpoint.topic },
    [A.PARTITION]: { N: String(checkpoint.partition) },
    [A.NEXT_OFFSET]: { N: String(checkpoint.nextOffset) },
    [A.EPOCH]: { N: String(checkpoint.epoch) },
    [A.UPDATED_AT]: { S: checkpoint.updatedAt },
    [A.REQUEST_ID]: { S: checkpoint.requestId },
    ...(checkpoint.skipped?.length ? { [A.SKIPPED]: { S: formatSkipped(checkpoint.skipped) } } : {}),
  };
}

/**
 * A stored whole number, refused when JavaScript cannot hold it exactly: `Number` would round an
 * offset above 2^53 silently, up as often as down, and a watermark rounded up withholds a record
 * no handler processed (G2). Every writer of this store checks the bound; this catches the others.
 */
function wholeNumber(item: Item, name: string, fallback?: string): number {
  const text = item[name]?.N ?? fallback;
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new InvalidCheckpointError(
      `Checkpoint item ${item[A.PARTITION_KEY]?.S}/${item[A.SORT_KEY]?.S} has ${name} = ${JSON.stringify(text)}: not a ` +
        'whole number below 2^53, which mskguard cannot use exactly. Fix or delete the item (it was not written by ' +
        'DynamoCheckpointStore), or restore the group from another source.',
    );
  }
  return value;
}

/** A CURRENT or HISTORY item as a {@link Checkpoint}. */
export function toCheckpoint(item: Item): Checkpoint {
  const checkpoint = {
    group: item[A.GROUP]?.S ?? '',
    topic: item[A.TOPIC]?.S ?? '',
    partition: wholeNumber(item, A.PARTITION),
    nextOffset: wholeNumber(item, A.NEXT_OFFSET),
    epoch: wholeNumber(item, A.EPOCH, '0'),
    updatedAt: item[A.UPDATED_AT]?.S ?? '',
    requestId: item[A.REQUEST_ID]?.S ?? '',
  };
  const skipped = item[A.SKIPPED]?.S;
  if (skipped === undefined) return checkpoint;
  return { ...checkpoint, skipped: parseSkipped(skipped, `Checkpoint of ${partitionLabel(checkpoint)}`) };
}

/**
 * The GROUP item's epoch (absent = 0), checked like a CURRENT item's numbers: a rounded epoch
 * would compare equal to a neighbour's, and decide which checkpoints are the watermark (G3).
 */
export function groupEpoch(item: Item): number {
  return wholeNumber(item, A.EPOCH, '0');
}

/** `topic-partition`, the key of {@link WatermarkSnapshot.checkpoints} (Lambda's record key form). */
export function partitionLabel(ref: PartitionRef): string {
  return `${ref.topic}-${ref.partition}`;
}

/** Throws {@link InvalidCheckpointError} unless `group` can key an item. */
export function validateGroup(group: string): void {
  if (typeof group !== 'string' || group.length === 0) {
    throw new InvalidCheckpointError(
      `Invalid consumer group ${JSON.stringify(group)}: it must be a non-empty string.`,
    );
  }
}

/** Throws {@link InvalidCheckpointError} unless `topic` is a legal Kafka topic name. */
export function validateTopic(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_PATTERN.test(topic)) {
    throw new InvalidCheckpointError(
      `Invalid topic ${JSON.stringify(topic)}: Kafka topics are 1-249 characters of [a-zA-Z0-9._-].`,
    );
  }
}

/** Throws {@link InvalidCheckpointError} unless `ref` names a partition of a legal topic of `group`. */
export function validatePartition(group: string, ref: PartitionRef): void {
  validateTopic(ref.topic);
  if (!Number.isInteger(ref.partition) || ref.partition < 0 || ref.partition > MAX_PARTITION) {
    throw new InvalidCheckpointError(
      `Invalid partition ${ref.partition} of topic ${ref.topic}: a whole number 0..${MAX_PARTITION}.`,
    );
  }
  if (Buffer.byteLength(partitionPk(group, ref.topic, ref.partition)) > MAX_PK_BYTES) {
    throw new InvalidCheckpointError(
      `Consumer group + topic of ${ref.topic}-${ref.partition} exceed DynamoDB's ${MAX_PK_BYTES}-byte key: use a shorter group id.`,
    );
  }
}

/** Throws {@link InvalidCheckpointError} unless `update` is a partition with a whole offset >= 0. */
export function validateUpdate(group: string, update: CheckpointUpdate): void {
  validatePartition(group, update);
  if (!Number.isSafeInteger(update.nextOffset) || update.nextOffset < 0) {
    throw new InvalidCheckpointError(
      `Invalid nextOffset ${update.nextOffset} for ${partitionLabel(update)}: offsets are whole numbers >= 0 ` +
        '(below 2^53 in JavaScript).',
    );
  }
  const where = `Update of ${partitionLabel(update)}`;
  if (update.skipped) validateSkipped(update.skipped, where);
  if (update.skippedBefore) validateSkipped(update.skippedBefore, where);
  if (update.skipped?.some((r) => r.last >= update.nextOffset)) {
    throw new InvalidCheckpointError(
      `${where}: skipped offsets must lie below nextOffset ${update.nextOffset}`,
    );
  }
}

/** Throws {@link InvalidCheckpointError} unless `meta` has a request id and a whole epoch >= 0. */
export function validateAdvanceMeta(meta: { readonly requestId: string; readonly epoch: number }): void {
  if (!Number.isSafeInteger(meta.epoch) || meta.epoch < 0) {
    throw new InvalidCheckpointError(
      `Invalid epoch ${meta.epoch}: a whole number >= 0 (the snapshot's epoch).`,
    );
  }
  if (typeof meta.requestId !== 'string' || meta.requestId.length === 0) {
    throw new InvalidCheckpointError(
      'advance needs meta.requestId (the Lambda request id or the restore id).',
    );
  }
}

/** One update per partition: the highest offset wins (one transaction may touch an item only once). */
export function mergeUpdates(updates: readonly CheckpointUpdate[]): CheckpointUpdate[] {
  const byPartition = new Map<string, CheckpointUpdate>();
  for (const u of updates) {
    const key = registryMember(u);
    const seen = byPartition.get(key);
    if (!seen || seen.nextOffset < u.nextOffset) byPartition.set(key, u);
  }
  return [...byPartition.values()];
}
