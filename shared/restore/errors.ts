import { MskGuardError } from '../errors.ts';

/**
 * Exit codes of `mskguard restore` (and the `kind` of a failed Lambda answer). Distinct so a script
 * can tell "nothing was done because it was unsafe" from "something broke half way".
 */
export const RESTORE_EXIT_CODES = {
  ok: 0,
  /** An unexpected error (a bug, or a client error before anything was planned). */
  error: 1,
  /** Bad command line or event. */
  usage: 2,
  /** Refused for safety: nothing was changed. */
  refused: 3,
  /** Failed while executing: read the message, offsets or the ESM may need attention. */
  failed: 4,
} as const;

/** How a restore ended when it did not succeed. */
export type RestoreErrorKind = 'usage' | 'refused' | 'failed';

/** Base of every restore error: the `kind` decides the exit code. */
export abstract class RestoreError extends MskGuardError {
  public abstract readonly kind: RestoreErrorKind;
}

/** The request itself is invalid (unknown strategy, missing group, unparsable `--at`...). */
export class RestoreUsageError extends RestoreError {
  public readonly kind = 'usage' as const;
}

/**
 * The restore was refused for safety and changed nothing: active members in the group, a target
 * outside [low, high] without `--clamp`, a partition no source can place, `--at` too far ahead.
 */
export class RestoreRefusedError extends RestoreError {
  public readonly kind = 'refused' as const;
}

/** The group still has members (a consumer, or ESM pollers) where it must be Empty. */
export class GroupActiveError extends RestoreRefusedError {
  public constructor(
    message: string,
    public readonly members: readonly string[],
  ) {
    super(message);
  }
}

/**
 * The restore function had too little time left to disable the event source mapping, wait, commit
 * and still re-enable it: refused before the mapping was touched. The fix is a longer timeout.
 */
export class RestoreDeadlineError extends RestoreRefusedError {
  public constructor(
    message: string,
    /** What the run had left to spend (its remaining time less the answer reserve). */
    public readonly remainingMs: number,
    /** What it needs at least. */
    public readonly requiredMs: number,
  ) {
    super(message);
  }
}

/** Execution started but did not complete; the message says what state things were left in. */
export class RestoreFailedError extends RestoreError {
  public readonly kind = 'failed' as const;
}

/** After the commit, the offsets the broker reports differ from the targets. */
export class OffsetsVerificationError extends RestoreFailedError {
  public constructor(
    message: string,
    public readonly mismatches: readonly {
      readonly partition: number;
      readonly expected: number;
      readonly actual: number | null;
    }[],
  ) {
    super(message);
  }
}

/** The event source mapping did not reach the wanted state in time, or the Lambda API refused. */
export class EventSourceMappingError extends RestoreFailedError {}

/** A `__consumer_offsets` record could not be decoded (a schema this decoder does not know). */
export class ConsumerOffsetsDecodeError extends MskGuardError {}

/** Maps any thrown value to the exit code of `mskguard restore`. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof RestoreError) return RESTORE_EXIT_CODES[error.kind];
  return RESTORE_EXIT_CODES.error;
}

/** A kafka-consumer-groups CSV that cannot be read: a malformed line, another topic, a non-numeric offset. */
export class OffsetsFileError extends RestoreUsageError {
  public constructor(
    message: string,
    /** 1-based line of the file; 0 when the problem is the whole file. */
    public readonly line: number,
  ) {
    super(message);
  }
}

/** Explicit targets (a CSV, an audit item) that do not name exactly the topic's partitions. */
export class PartitionMismatchError extends RestoreUsageError {
  public constructor(
    message: string,
    public readonly missing: readonly number[],
    public readonly unknown: readonly number[],
  ) {
    super(message);
  }
}

/** `restore undo` names a restoreId that no audit item holds. */
export class UnknownRestoreIdError extends RestoreUsageError {}

/** `restore undo` names a restore of another group or topic than --group / --topic. */
export class AuditMismatchError extends RestoreRefusedError {}

/** The audited restore cannot be undone: it changed nothing, or recorded no offsets to put back. */
export class UndoNotPossibleError extends RestoreRefusedError {}

/**
 * When `--execute` was about to commit, a target lay outside the broker's [low, high] although it
 * was inside when the plan was made (retention deleted records since, or the topic was recreated).
 * Nothing was written.
 */
export class TargetOutOfRangeError extends RestoreRefusedError {
  public constructor(
    message: string,
    public readonly partitions: readonly {
      readonly partition: number;
      readonly target: number;
      readonly low: number;
      readonly high: number;
    }[],
  ) {
    super(message);
  }
}
