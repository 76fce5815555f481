import type { KafkaHeader } from '../msk/types.ts';

/** Why a record was quarantined (other strings are allowed for user policies). */
export const QuarantineReason = {
  /** Probabilistic mode: the Bloom tier has seen the key, the exact tier cannot confirm it. */
  ProbableDuplicate: 'probable-duplicate',
  /** No idempotency key could be derived and the policy quarantines such records. */
  MissingKey: 'missing-key',
} as const;
/** `'probable-duplicate' | 'missing-key'`, or a policy's own reason. */
export type QuarantineReason = (typeof QuarantineReason)[keyof typeof QuarantineReason] | (string & {});

/** Lifecycle of a quarantined record. */
export const QuarantineStatus = {
  /** Withheld from the handler, waiting for an operator. */
  Quarantined: 'QUARANTINED',
  /** Re-produced to its topic by `mskguard quarantine replay`. */
  Replayed: 'REPLAYED',
} as const;
export type QuarantineStatus = (typeof QuarantineStatus)[keyof typeof QuarantineStatus];

/** A record to quarantine: its coordinates, payload as Lambda delivered it, and why. */
export interface QuarantineInput {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Base64 of the key bytes (as in the Lambda event), or null. */
  readonly key: string | null;
  /** Base64 of the value bytes (as in the Lambda event), or null for a tombstone. */
  readonly value: string | null;
  readonly headers: readonly KafkaHeader[];
  /** The idempotency key id (the 22-character digest form), for correlating with the dedup tiers. */
  readonly idempotencyKey: string;
  readonly reason: QuarantineReason;
  /** Free text for the operator (capped at 1,000 characters). */
  readonly detail?: string;
}

/** What the `byGroup` index knows of a quarantined record: enough to list it, not its payload. */
export interface QuarantineSummary {
  /** `{group}/{topic}-{partition}@{offset}`: see quarantine/id.ts. */
  readonly id: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** ISO-8601 time the record was quarantined. */
  readonly quarantinedAt: string;
  readonly reason: string;
  readonly status: QuarantineStatus;
  readonly idempotencyKey: string;
}

/** Original sizes in bytes of a record's parts (as produced, before any truncation). */
export interface PayloadSizes {
  readonly key: number;
  readonly value: number;
  /** Sum of header names and values. */
  readonly headers: number;
}

/** A quarantined record with its payload, as `get` returns it. */
export interface QuarantinedRecord extends QuarantineSummary {
  /** Base64, or null. A prefix only when {@link truncated}. */
  readonly key: string | null;
  /** Base64, or null. A prefix only when {@link truncated}. */
  readonly value: string | null;
  /** Empty when {@link truncated} and the headers did not fit. */
  readonly headers: readonly KafkaHeader[];
  readonly detail?: string;
  /**
   * The record exceeded DynamoDB's 400 KB item limit and its payload was cut to fit: it cannot be
   * replayed from here (re-read it from Kafka at its coordinates while retention lasts).
   */
  readonly truncated: boolean;
  readonly sizes: PayloadSizes;
  /** When DynamoDB's TTL may delete the item. */
  readonly expiresAt: Date;
  readonly replayedAt?: string;
  readonly replayedBy?: string;
  /** `topic-partition@offset` the replayed copy was written at. */
  readonly replayedTo?: string;
}

/** Selection of {@link QuarantineStore.list}. */
export interface QuarantineListOptions {
  readonly group: string;
  /** Only records quarantined at or after this time. */
  readonly since?: Date;
  /** @default 100 */
  readonly limit?: number;
  /** Only records in this status (default: any). */
  readonly status?: QuarantineStatus;
}

/** Outcome of {@link QuarantineStore.put}. */
export interface QuarantinePutResult {
  /**
   * Ids of the records, in input order (a repeated record once): each is now in the table, stored
   * by this call or, when also in {@link alreadyReplayed}, kept from an earlier quarantine.
   */
  readonly ids: readonly string[];
  /** Ids of the records this call stored with a truncated payload (over the 400 KB item limit). */
  readonly truncated: readonly string[];
  /**
   * Ids of records whose item was already REPLAYED (quarantined again by a rewind, or by a batch
   * retried after the operator replayed it): kept as it was, not stored again, so a later replay
   * does not produce a second copy. Their replayed copy is on the topic; withholding them is right.
   */
  readonly alreadyReplayed: readonly string[];
}
