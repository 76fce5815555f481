import { formatDuration } from './time.ts';

/**
 * Time the restore function keeps, when a wait before the commit gives up, to re-enable the event
 * source mapping (an UpdateEventSourceMapping, then a wait for `Enabled`).
 */
export const REENABLE_RESERVE_MS = 60_000;

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
