import { RestoreRefusedError, RestoreUsageError } from './errors.ts';

/**
 * How far ahead of this machine's clock `--at` may be before it is an error. Up to this, the gap is
 * taken for clock skew between the operator's machine and the brokers, and `--at` means "now".
 */
export const FUTURE_SKEW_TOLERANCE_MS = 5 * 60_000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// `-2h` and `2h` both mean two hours ago: node's parseArgs rejects `--at -2h` (it reads like an
// option), so the CLI takes `--at=-2h` or `--at 2h`.
const RELATIVE = /^-?(\d+(?:\.\d+)?)(s|m|h|d)$/;
// Date.parse accepts too much ("1", "March 7"); require an ISO-8601 date first.
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A resolved `--at`. */
export interface ResolvedTime {
  readonly at: Date;
  /** Set when the input was adjusted (future within the skew tolerance). */
  readonly warning: string | null;
}

/**
 * Parses `--at`: ISO-8601 (`2025-03-01T12:00:00Z`; a date or time without an offset is UTC) or
 * relative to `now` (`-2h` or `2h`, `-30m`, `-45s`, `-1d`, `-1.5h`: always in the past). A time in the future by at most
 * {@link FUTURE_SKEW_TOLERANCE_MS} becomes `now` with a warning; further ahead it is refused.
 *
 * @example
 * ```ts
 * resolveAt('-2h', new Date('2025-03-01T12:00:00Z')).at.toISOString(); // '2025-03-01T10:00:00.000Z'
 * ```
 */
export function resolveAt(input: string, now: Date): ResolvedTime {
  const text = input.trim();
  const at = parseTime(text, now);
  const ahead = at.getTime() - now.getTime();
  if (ahead <= 0) return { at, warning: null };
  if (ahead <= FUTURE_SKEW_TOLERANCE_MS) {
    return {
      at: now,
      warning: `--at ${text} is ${formatDuration(ahead)} in the future (clock skew?): using now (${now.toISOString()}) instead.`,
    };
  }
  throw new RestoreRefusedError(
    `--at ${text} (${at.toISOString()}) is ${formatDuration(ahead)} in the future; restore can only go back ` +
      `in time. Check the time zone (a time without an offset is UTC) or use a relative time such as --at=-30m or --at 30m.`,
  );
}

/**
 * Checks `--at`'s spelling only (ISO-8601 or relative), before anything connects; whether it lies
 * in the future is for {@link resolveAt} to say against the clock when the restore is planned.
 * @throws RestoreUsageError naming the forms accepted.
 */
export function checkAtSyntax(input: string): void {
  parseTime(input.trim(), new Date());
}

function parseTime(text: string, now: Date): Date {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const unit = relative[2] as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[unit]);
  }
  if (ISO.test(text)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
    const ms = Date.parse(hasZone ? text : `${text.replace(' ', 'T')}${text.length > 10 ? 'Z' : ''}`);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new RestoreUsageError(
    `Invalid --at ${JSON.stringify(text)}: use ISO-8601 (2025-03-01T12:00:00Z) or a relative time in the ` +
      'past (--at=-30m, --at 2h, --at=-1d).',
  );
}

/** `1h 02m`, `5m 10s`, `850ms`: durations in messages and the summary line. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
