// Lambda returns at most 6 MB from a synchronous invocation (Invoke API reference: "For synchronous
// invocations, the maximum payload size is 6 MB"). Past it, the caller gets the function error
// Function.ResponseSizeTooLarge instead of the answer, after the restore ran, committed and was
// audited: `--via-lambda` then reports an outcome it cannot know. A plan takes ~480 bytes of JSON
// per partition (~950 with `auto`, decision 0025), so 10,000 partitions no longer fit.
import { auditSortKey } from './audit.ts';
import type {
  AnswerAuditItem,
  AnswerOmission,
  CompactRestoreAnswer,
  RestoreAnswer,
} from './compact-answer.ts';
import type { RestoreResponse } from './engine.ts';
import type { RestoreResult } from './types.ts';

/**
 * The largest answer the restore function sends whole, in bytes of UTF-8 JSON (what the runtime
 * serialises). Under both readings of "6 MB" (6,000,000 and 6,291,456 bytes) by at least 1 MB, so
 * that neither a runtime's serialisation nor a later field added to the answer crosses it.
 */
export const ANSWER_LIMIT_BYTES = 5_000_000;

/** When even the compact answer is too large, its free text keeps this much (0025's rule for results). */
const MAX_LINES = 20;
const MAX_CHARS = 4_000;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * The answer itself when it fits `limitBytes`, else its compact form: the plan without `rows` and
 * `considered`, the result with `applied` while it fits, and `omitted` saying what was left out,
 * the counts standing for it and the audit item holding it whole.
 *
 * @example
 * ```ts
 * return answerWithinLimit(response, { auditTable: 'mskguard-restore-audit' });
 * ```
 */
export function answerWithinLimit(
  response: RestoreResponse,
  options: { readonly auditTable: string; readonly limitBytes?: number },
): RestoreAnswer {
  const limitBytes = options.limitBytes ?? ANSWER_LIMIT_BYTES;
  // Without a plan there are no per-partition lists to leave out: the error is sent whole, as the
  // caller acts on its message and hint.
  if (!response.plan) return response;
  const fullBytes = jsonBytes(response);
  if (fullBytes <= limitBytes) return response;
  const { rows, considered: _considered, ...plan } = response.plan;
  const { result } = response;
  const auditItem = auditItemOf(response, options.auditTable);
  const omitted = (fields: string[]): AnswerOmission => ({
    fields,
    fullBytes,
    limitBytes,
    partitions: rows.length,
    // As summaryLine counts them: a partition without a committed offset moves too.
    moving: rows.filter((r) => r.delta !== 0).length,
    refused: rows.filter((r) => r.problem).length,
    applied: result ? result.applied.length : null,
    auditItem,
    readWith: readWith(response, auditItem, Math.floor((rows.length * limitBytes) / fullBytes)),
  });
  const answer = (compactResult: CompactRestoreAnswer['result'], fields: string[]): CompactRestoreAnswer => ({
    ok: response.ok,
    exitCode: response.exitCode,
    plan,
    result: compactResult,
    error: response.error,
    omitted: omitted(fields),
  });
  const withApplied = answer(result, ['plan.rows', 'plan.considered']);
  if (jsonBytes(withApplied) <= limitBytes) return withApplied;
  const withoutApplied = answer(result && dropApplied(result), [
    'plan.rows',
    'plan.considered',
    'result.applied',
  ]);
  if (jsonBytes(withoutApplied) <= limitBytes) return withoutApplied;
  return cutText(withoutApplied);
}

function dropApplied(result: RestoreResult): CompactRestoreAnswer['result'] {
  const { applied: _applied, ...rest } = result;
  return rest;
}

/** Where the full plan and result are: the item `executePlan` wrote, when it got to write one. */
function auditItemOf({ plan, result }: RestoreResponse, table: string): AnswerAuditItem | null {
  if (!plan || !result || result.audit === 'skipped') return null;
  const sk = auditSortKey(result.startedAt, plan.restoreId);
  return { table, pk: plan.group, sk, state: result.audit === 'written' ? 'written' : 'incomplete' };
}

/** How to read what was left out, or, when nothing stored it, how to get it. */
function readWith({ plan, result }: RestoreResponse, item: AnswerAuditItem | null, perPart: number): string {
  if (!plan) return '';
  if (!item) {
    const part = Math.max(1, Math.floor(perPart * 0.9));
    return (
      `This run wrote no audit item (${result ? 'it was refused before writing one' : 'a dry run'}), so the ` +
      'rows are not stored: run the CLI where it reaches the brokers (without --via-lambda), or plan in parts ' +
      `of at most ${part} partitions (--partitions 0-${part - 1}, then the next range).`
    );
  }
  const where = `the audit item: table ${item.table}, pk ${item.pk}, sk ${item.sk} (gzipped in chunk items, decision 0025)`;
  const undo =
    `mskguard restore undo ${plan.restoreId} --group ${plan.group} --topic ${plan.topic} --audit-table ${item.table} ` +
    'without --execute reads it and prints the offsets this restore replaced; run it where the CLI reaches the ' +
    'brokers, not with --via-lambda, whose answer would be as large.';
  return item.state === 'written'
    ? `The full plan and result are in ${where}. ${undo}`
    : `The audit item could not be written or completed (see the steps): the plan may be in ${where}, without a result. ${undo}`;
}

/** The last resort: lists of text kept to their first lines and messages to their first characters. */
function cutText(answer: CompactRestoreAnswer): CompactRestoreAnswer {
  const text = (s: string) => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}… (${s.length} chars)` : s);
  const lines = (list: readonly string[]) =>
    list.length > MAX_LINES
      ? [...list.slice(0, MAX_LINES).map(text), `… ${list.length - MAX_LINES} more`]
      : list.map(text);
  const error = <E extends { readonly message: string; readonly hint?: string } | null>(e: E): E =>
    e && { ...e, message: text(e.message), ...(e.hint === undefined ? {} : { hint: text(e.hint) }) };
  const { plan, result } = answer;
  return {
    ...answer,
    plan: {
      ...plan,
      members: lines(plan.members),
      warnings: lines(plan.warnings),
      refusals: lines(plan.refusals),
    },
    result: result && { ...result, steps: lines(result.steps), error: error(result.error) },
    error: error(answer.error),
    omitted: {
      ...answer.omitted,
      fields: [...answer.omitted.fields, `text beyond ${MAX_LINES} lines or ${MAX_CHARS} characters`],
    },
  };
}
