import { MskGuardError } from '../errors.ts';

/**
 * A record handed to the quarantine is not one (empty group, invalid topic, negative offset,
 * payload that is not base64, ...), or an id is not a quarantine id. Not retriable.
 *
 * @example
 * ```ts
 * parseQuarantineId('orders-3'); // throws InvalidQuarantineRecordError: expected <group>/<topic>-<partition>@<offset>
 * ```
 */
export class InvalidQuarantineRecordError extends MskGuardError {}

/**
 * Records could not be quarantined (throttling past the retry bound, or a refused write).
 * `retriable` is true for throttling: fail the invocation so Lambda retries the batch; nothing is
 * dropped silently (G2, G6).
 */
export class QuarantineWriteError extends MskGuardError {}

/** The quarantine table could not be read (throttling past the retry bound, or a refused read). */
export class QuarantineReadError extends MskGuardError {}

/** A quarantine id names no stored record (never quarantined, or deleted by its TTL). */
export class QuarantineRecordNotFoundError extends MskGuardError {
  public readonly id: string;

  public constructor(id: string) {
    super(
      `No quarantined record ${id} in the table: check the id with 'mskguard quarantine list --group <group>' ` +
        '(records are deleted by TTL, 14 days after quarantine by default).',
    );
    this.id = id;
  }
}

/**
 * Records were produced again to their topic, but the quarantine table did not record it: replaying
 * them again would produce them twice. Names the records and where they went.
 */
export class ReplayNotMarkedError extends MskGuardError {
  public constructor(produced: readonly { readonly id: string; readonly to: string }[], cause: unknown) {
    const shown = produced.slice(0, 10).map((r) => `${r.id} -> ${r.to}`);
    const more = produced.length > shown.length ? ` (and ${produced.length - shown.length} more)` : '';
    super(
      `${produced.length} record(s) were produced to their topic but could not be marked replayed in the ` +
        `quarantine table (${(cause as Error).message}): ${shown.join(', ')}${more}. They stay QUARANTINED ` +
        'there: do not replay them again, or they are produced twice; check the table, then mark or delete them.',
      { cause },
    );
  }
}

/**
 * A produce request of a replay failed. A failed or timed-out request does not say whether the
 * broker wrote its records, so they are named as uncertain: they stay QUARANTINED, and replaying
 * them again without checking the topic may produce them twice. Records marked before the failure
 * are done; records not yet sent are safe to replay.
 */
export class ReplaySendError extends MskGuardError {
  /** Ids whose copy may or may not be on the topic. */
  public readonly uncertain: readonly string[];
  /** Ids replayed and marked before the failure. */
  public readonly replayed: readonly string[];
  /** Ids never sent: safe to replay again. */
  public readonly unsent: readonly string[];

  public constructor(
    where: string,
    ids: { uncertain: readonly string[]; replayed: readonly string[]; unsent: readonly string[] },
    cause: unknown,
  ) {
    const shown = ids.uncertain.slice(0, 10).join(', ');
    const more = ids.uncertain.length > 10 ? ` (and ${ids.uncertain.length - 10} more)` : '';
    super(
      `Producing ${ids.uncertain.length} record(s) to ${where} failed (${(cause as Error)?.message ?? String(cause)}); ` +
        `they may or may not have been written: ${shown}${more}. They stay QUARANTINED. Before replaying them ` +
        `again, look on ${where} for records with header mskguard-replay = their id, or they may be produced ` +
        `twice. ${ids.replayed.length} record(s) were replayed and marked before the failure; ` +
        `${ids.unsent.length} were not sent and can be replayed again safely.`,
      { cause, retriable: false },
    );
    this.uncertain = ids.uncertain;
    this.replayed = ids.replayed;
    this.unsent = ids.unsent;
  }
}
