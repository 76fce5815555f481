import type { ParsedBatch } from './parse.ts';
import type { KafkaBatchResponse } from './response.ts';

/** What {@link processRecordsInOrder} tells the guard once the handler's records have run. */
export interface HandlerReport {
  /** The partial-batch response it built (the guard trusts the report only if this is returned). */
  readonly response: KafkaBatchResponse;
  /** Per partition key, the offset Lambda will deliver again from. */
  readonly retryFrom: ReadonlyMap<string, number>;
}

/**
 * The records the guard hands the handler, already parsed, and where their outcome goes: the
 * hand-over between the middleware and `processRecordsInOrder`, so the handler's event is never
 * parsed again and its response never read back when the handler returns what it was given.
 */
export interface GuardedBatch {
  readonly batch: ParsedBatch;
  /** Aborted by the guard when the invocation fails while the handler may run on (Middy's early timeout). */
  readonly signal: AbortSignal;
  report(outcome: HandlerReport): void;
}

// A property of the handler's event itself (not a module-level memo): it lives and dies with it.
const GUARDED = Symbol('mskguard.guardedBatch');

/** Attaches `guarded` to the event the guard built for the handler (non-enumerable: JSON never sees it). */
export function attachGuardedBatch(event: object, guarded: GuardedBatch): void {
  Object.defineProperty(event, GUARDED, { value: guarded, enumerable: false });
}

/** The guarded batch of a handler event built by the guard, or undefined for any other input. */
export function guardedBatchOf(input: unknown): GuardedBatch | undefined {
  return typeof input === 'object' && input !== null
    ? ((input as { [GUARDED]?: GuardedBatch })[GUARDED] ?? undefined)
    : undefined;
}
