// How status, restore and quarantine report a DynamoDB table that is missing or cannot be reached:
// the table, where it was looked for, and what to check in the caller's terms (the CLI's flags, the
// restore function's environment). The stores' own errors name the library's settings instead.
import { describeError, isTableNotFound, TableNotFoundError } from '../checkpoints/dynamodb.ts';
import { HintedStatusError } from '../status/errors.ts';

/**
 * A table restore or quarantine reads or writes does not exist or cannot be reached (status
 * reports the same as a StatusTableError). `hint` is the next step.
 */
export class TableAccessError extends HintedStatusError {}

/** What to check when a table is missing, and when it cannot be read or written. */
export interface TableHints {
  readonly notFound: string;
  readonly unreachable: string;
}

/**
 * The hints of a CLI command that names the table with `option` (`--checkpoint-table`), or with
 * `variable` when the option is left out.
 */
export function cliTableHints(option: string, variable?: string): TableHints {
  return {
    notFound: variable
      ? `Deploy the stack that creates it, or name the right table with ${option} (or ${variable}) and --region.`
      : `Deploy the stack that creates it, or pass ${option} (and --region) naming the right table.`,
    unreachable: 'Check the AWS credentials, --region and --endpoint (or DYNAMODB_ENDPOINT), then retry.',
  };
}

/**
 * `cause` as an error naming `what` (`checkpoint table ckpt`) and `where` (a region or endpoint),
 * with the hint that fits: `... not found in ...` or `Cannot read|write ... in ...: <cause>`.
 */
export function tableAccessError<E extends HintedStatusError = TableAccessError>(
  what: string,
  where: string,
  cause: unknown,
  hints: TableHints,
  options: {
    readonly verb?: 'read' | 'write';
    readonly Err?: new (message: string, options: { cause?: unknown; hint?: string }) => E;
  } = {},
): E {
  const Err = options.Err ?? (TableAccessError as unknown as new (m: string, o: object) => E);
  if (isTableNotFound(cause) || cause instanceof TableNotFoundError)
    return new Err(`${what} not found in ${where}.`, { cause, hint: hints.notFound });
  return new Err(`Cannot ${options.verb ?? 'read'} ${what} in ${where}: ${describeError(cause)}`, {
    cause,
    hint: hints.unreachable,
  });
}

/**
 * What to throw for `error` from a store: a {@link TableAccessError} when `verbOf` names it a failed
 * read or write of the table (the store's own errors, a missing table), else `error` as it is.
 *
 * @example
 * ```ts
 * try { await store.list(query); } catch (e) { throw inCallerTerms(e, 'quarantine table q', where, hints, verbOf); }
 * ```
 */
export function inCallerTerms(
  error: unknown,
  what: string,
  where: string,
  hints: TableHints,
  verbOf: (error: unknown) => 'read' | 'write' | undefined,
): unknown {
  const verb = verbOf(error);
  return verb ? tableAccessError(what, where, error, hints, { verb }) : error;
}
