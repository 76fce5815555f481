// The compact answer of the restore function (decision 0025, addendum): what a restore answer too
// large for Lambda's synchronous response (6 MB) keeps, and how the CLI reads it. Light on purpose:
// format.ts imports it, and `mskguard --help` must not load the AWS SDK.
import type { RestoreResponse } from './engine.ts';
import type { PlanRow, RestorePlan, RestoreResult } from './types.ts';

/** Where the full plan and result are: the restore's audit item (pk = group, sk = `{startedAt}#{restoreId}`). */
export interface AnswerAuditItem {
  readonly table: string;
  readonly pk: string;
  readonly sk: string;
  /** `written`: complete. `incomplete`: its write or its completion failed (see the result's steps). */
  readonly state: 'written' | 'incomplete';
}

/** What a compact answer left out, why, the counts that stand for it, and where to read it whole. */
export interface AnswerOmission {
  /** The fields left out, e.g. `plan.rows`, `plan.considered`, `result.applied`. */
  readonly fields: readonly string[];
  /** The full answer's size as UTF-8 JSON, and the bound it exceeded. */
  readonly fullBytes: number;
  readonly limitBytes: number;
  /** The plan's rows, those whose offset moves (or has no committed offset), and those refused. */
  readonly partitions: number;
  readonly moving: number;
  readonly refused: number;
  /** The result's `applied` entries; null without a result (a dry run). */
  readonly applied: number | null;
  /** Null when the run wrote no audit item: a dry run, or refused before it. */
  readonly auditItem: AnswerAuditItem | null;
  /** How to read the full plan and result, or how to get them when they were not stored. */
  readonly readWith: string;
}

/**
 * A restore answer without its per-partition lists. `rows` and `considered` are absent, not empty:
 * a reader that does not know `omitted` (an older CLI, a script) fails on it instead of reading a
 * plan of no partitions.
 */
export interface CompactRestoreAnswer {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly plan: Omit<RestorePlan, 'rows' | 'considered'>;
  readonly result: (Omit<RestoreResult, 'applied'> & { readonly applied?: RestoreResult['applied'] }) | null;
  readonly error: RestoreResponse['error'];
  readonly omitted: AnswerOmission;
}

/** What the restore function answers. */
export type RestoreAnswer = RestoreResponse | CompactRestoreAnswer;

/** The omissions of the plans {@link printableAnswer} filled in, for the format functions. */
const omissions = new WeakMap<RestorePlan, AnswerOmission>();

/**
 * What a compact answer left out, when `plan` comes from one ({@link printableAnswer}); undefined for
 * a full plan. The format functions print counts and the audit item from it instead of the rows.
 */
export function omissionOf(plan: RestorePlan): AnswerOmission | undefined {
  return omissions.get(plan);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const LEFT_OUT: ReadonlySet<unknown> = new Set(['plan.rows', 'plan.considered', 'result.applied']);

/**
 * Why an answer's `omitted` cannot be trusted, or undefined when it can (or there is none). The
 * rest of the answer is checked as any other, once {@link printableAnswer} filled it in.
 */
export function omissionProblem(answer: unknown): string | undefined {
  if (!isObject(answer) || answer.omitted === undefined) return undefined;
  const o = answer.omitted;
  if (!isObject(o)) return 'omitted is not an object';
  if (!isObject(answer.plan)) return 'omitted without a plan';
  if (!Array.isArray(o.fields) || !o.fields.every((f) => typeof f === 'string')) return 'omitted.fields';
  for (const field of ['fullBytes', 'limitBytes', 'partitions', 'moving', 'refused'] as const)
    if (!isCount(o[field])) return `omitted.${field} is not a count`;
  if (!(o.applied === null || isCount(o.applied))) return 'omitted.applied is neither null nor a count';
  if (typeof o.readWith !== 'string') return 'omitted.readWith is not a string';
  const item = o.auditItem;
  if (
    item !== null &&
    !(isObject(item) && ['table', 'pk', 'sk', 'state'].every((k) => typeof item[k] === 'string'))
  )
    return 'omitted.auditItem is neither null nor {table, pk, sk, state}';
  // A list is absent only when `omitted` says so: otherwise a cut answer would read as an empty plan.
  const absent = [
    ['plan.rows', answer.plan.rows],
    ['plan.considered', answer.plan.considered],
    ['result.applied', isObject(answer.result) ? answer.result.applied : []],
  ] as const;
  for (const [field, value] of absent)
    if (value === undefined && !(LEFT_OUT.has(field) && o.fields.includes(field)))
      return `${field} is missing and not listed in omitted.fields`;
  return undefined;
}

/**
 * The answer as the CLI prints it. A compact answer gets empty `rows`, `considered` and `applied` in
 * place of those left out, so that the printing and `--export` code, which take a plan, run as they
 * do on any plan; they are not enumerable, so `--json` prints the answer as the function sent it.
 * Its plan is remembered with its omission ({@link omissionOf}). A full answer is returned as is.
 */
export function printableAnswer(answer: RestoreAnswer): RestoreResponse {
  if (!('omitted' in answer)) return answer;
  const plan = answer.plan as RestorePlan;
  const fill = (target: object, field: string) => {
    if ((target as Record<string, unknown>)[field] === undefined)
      Object.defineProperty(target, field, { value: [] as PlanRow[], enumerable: false });
  };
  fill(plan, 'rows');
  fill(plan, 'considered');
  if (isObject(answer.result)) fill(answer.result, 'applied');
  omissions.set(plan, answer.omitted);
  return answer as unknown as RestoreResponse;
}
