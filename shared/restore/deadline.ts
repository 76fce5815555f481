import { RestoreDeadlineError } from './errors.ts';
import { formatDuration } from './time.ts';

/**
 * Time the restore function keeps, when a wait before the commit gives up, to re-enable the event
 * source mapping (an UpdateEventSourceMapping, then a wait for `Enabled`).
 */
export const REENABLE_RESERVE_MS = 60_000;

/**
 * The least time, beyond {@link REENABLE_RESERVE_MS}, a restore function must have left before it
 * disables a mapping: disabling a Kafka ESM takes tens of seconds, then come the group wait, the
 * commit and its check. With less, the disable wait is cut to nothing and the run only turns the
 * mapping off and on again (its consumer stalls for nothing).
 */
export const MIN_WORK_MS = 30_000;

/**
 * Time kept after the last wait for what follows it: completing the audit item, closing the clients
 * and answering. A wait that would run into it gives up with its typed error instead.
 */
export const ANSWER_RESERVE_MS = 10_000;

/**
 * The shortest restore function timeout that can restore a consumer whose mapping is enabled: the
 * answer's reserve, the least work and the re-enable reserve. A shorter one refuses every such run.
 */
export const MIN_FUNCTION_TIMEOUT_MS = ANSWER_RESERVE_MS + MIN_WORK_MS + REENABLE_RESERVE_MS;

/** The most one wait may take, and why, when the run's time (not the wait's own bound) sets it. */
export interface WaitLimit {
  readonly ms: number;
  readonly reason: string;
}

/**
 * The limit on a wait that must leave `keepMs` of the run's remaining time, or `undefined` when the
 * run has no deadline (the CLI). A Lambda that is killed mid-wait answers nothing: no typed error,
 * an audit item left `running`, maybe a mapping left disabled. A wait that gives up before the
 * deadline answers with its typed error and still re-enables and records.
 *
 * @example
 * ```ts
 * const limit = waitLimit(() => context.getRemainingTimeInMillis() - 10_000, REENABLE_RESERVE_MS);
 * ```
 */
export function waitLimit(remainingMs: (() => number) | undefined, keepMs = 0): WaitLimit | undefined {
  if (!remainingMs) return undefined;
  const kept = keepMs > 0 ? `, less ${formatDuration(keepMs)} kept to re-enable the mapping` : '';
  return {
    ms: Math.max(0, remainingMs() - keepMs),
    reason:
      `the restore function's remaining time${kept} (it must answer and complete the audit item before ` +
      'its timeout; give it a longer timeout to wait longer)',
  };
}

/** A wait's bound: its own, or the limit when that is shorter; `note` explains a limit that applied. */
export function boundOf(ownMs: number, limit: WaitLimit | undefined): { ms: number; note: string } {
  if (!limit || limit.ms >= ownMs) return { ms: ownMs, note: '' };
  return { ms: limit.ms, note: ` The wait was cut to ${formatDuration(limit.ms)} by ${limit.reason}.` };
}

/**
 * Refuses, before the mapping is touched, a run whose remaining time cannot hold the work and the
 * re-enable reserve: a restore function with a short timeout (70 s or less left nothing at all to
 * wait with) or started late. Nothing for a run without a deadline (the CLI).
 */
export function assertTimeToDisable(remainingMs: (() => number) | undefined, uuid: string): void {
  if (!remainingMs) return;
  const left = remainingMs();
  const needed = MIN_WORK_MS + REENABLE_RESERVE_MS;
  if (left >= needed) return;
  throw new RestoreDeadlineError(
    `Restore refused before disabling event source mapping ${uuid}, nothing was changed: the restore ` +
      `function has ${formatDuration(Math.max(0, left))} to spend (its remaining time less what it keeps ` +
      `to answer), and needs at least ${formatDuration(needed)} (${formatDuration(MIN_WORK_MS)} to disable ` +
      `the mapping, wait for the group and commit, ${formatDuration(REENABLE_RESERVE_MS)} kept to re-enable ` +
      "the mapping). Raise the restore function's timeout (RestoreFunction `timeout`) and retry. 15 minutes " +
      "is Lambda's maximum: a function that already has it spent its time before this point (planning, " +
      'reading the group), so run the restore from the CLI (mskguard restore ... --execute, no deadline).',
    Math.max(0, left),
    needed,
  );
}
