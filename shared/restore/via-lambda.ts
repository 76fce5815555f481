// `mskguard restore --via-lambda NAME`: the restore runs in the restore function, and the CLI prints
// its answer. The answer is checked before it is trusted: another function (a consumer answers
// `{"batchItemFailures":[]}`), a crash or a timeout must never read as a success, nor as "nothing
// happened" when an `--execute` may have changed offsets or the event source mapping.
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { MskGuardError } from '../errors.ts';
import { type CompactRestoreAnswer, omissionProblem, printableAnswer } from './compact-answer.ts';
import type { RestoreResponse } from './engine.ts';
import { RESTORE_EXIT_CODES, RestoreFailedError } from './errors.ts';
import type { RestoreRequest } from './types.ts';

/** The Lambda call `--via-lambda` makes (the client's `send` of an InvokeCommand, bound). */
export type InvokeRestoreFunction = (input: {
  FunctionName: string;
  InvocationType: 'RequestResponse';
  Payload: string;
}) => Promise<Pick<InvokeCommandOutput, 'FunctionError' | 'Payload'>>;

/**
 * `--via-lambda` got no restore answer and nothing was executed: a dry run, or the Lambda API
 * refused the call before the function ran. Exit code 1.
 */
export class RestoreLambdaError extends MskGuardError {
  public readonly hint: string | undefined;

  public constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.hint = options.hint;
  }
}

/**
 * `--via-lambda ... --execute` got no restore answer (the function failed or timed out, the call
 * was cut, or it answered something else): the offsets and the event source mapping may have
 * changed, in part or in full. Exit code 4, as any restore that failed while executing.
 */
export class RestoreLambdaOutcomeUnknownError extends RestoreFailedError {
  public readonly hint: string;

  public constructor(message: string, options: { cause?: unknown; hint: string }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** How much of an answer that is not a restore's is quoted: enough to recognise it. */
const QUOTED_CHARS = 200;

const quote = (text: string): string =>
  text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}… (${text.length} chars)` : text;

/**
 * Invokes the restore function with the request and answers its {@link RestoreResponse}, checked (a
 * compact answer, see compact-answer.ts, as {@link printableAnswer} makes it printable);
 * throws {@link RestoreLambdaError} or, when `request.execute` may have changed something,
 * {@link RestoreLambdaOutcomeUnknownError}, each naming `--via-lambda` and the function.
 *
 * @example
 * ```ts
 * const response = await invokeRestoreFunction((input) => lambda.send(new InvokeCommand(input)), 'mskguard-restore', request);
 * ```
 */
export async function invokeRestoreFunction(
  invoke: InvokeRestoreFunction,
  name: string,
  request: RestoreRequest,
): Promise<RestoreResponse> {
  const flag = `--via-lambda ${name}`;
  const failed = (message: string, cause?: unknown, notRun = false): MskGuardError => {
    const options = cause === undefined ? {} : { cause };
    if (request.execute && !notRun)
      return new RestoreLambdaOutcomeUnknownError(
        `${message}. The restore was asked to --execute: its outcome is unknown, offsets and the event source ` +
          'mapping may have changed in part or in full.',
        { ...options, hint: unknownOutcomeHint(request) },
      );
    return new RestoreLambdaError(
      `${message}. ${request.execute ? 'The function did not run: nothing was changed.' : 'A dry run: nothing was changed.'}`,
      {
        ...options,
        hint: `Check that ${name} is the restore function (the stack's RestoreFunction) in the region invoked, and read its logs.`,
      },
    );
  };
  let out: Pick<InvokeCommandOutput, 'FunctionError' | 'Payload'>;
  try {
    out = await invoke({
      FunctionName: name,
      InvocationType: 'RequestResponse',
      Payload: JSON.stringify(request),
    });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw neverSent(error)
      ? failed(`${flag}: the function could not be invoked (${reason})`, error, true)
      : failed(`${flag}: the invocation failed without an answer (${reason})`, error);
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    const { errorType, errorMessage } = lambdaErrorOf(text);
    throw failed(
      errorType === undefined
        ? `${flag} failed (${out.FunctionError}): ${quote(text) || 'no error payload'}`
        : `${flag} failed (${out.FunctionError}): ${errorType}: ${errorMessage ?? ''}`,
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw failed(`${flag} answered something that is not JSON: ${quote(text) || '(an empty payload)'}`);
  }
  // Too large for Lambda whole, the answer comes without its per-partition lists (compact-answer.ts).
  const omission = omissionProblem(answer);
  if (omission)
    throw failed(`${flag} answered something that is not a restore's answer (${omission}): ${quote(text)}`);
  if (isObject(answer) && answer.omitted !== undefined)
    answer = printableAnswer(answer as unknown as CompactRestoreAnswer);
  const plan = (answer as { plan?: { group?: unknown; topic?: unknown } | null } | null)?.plan;
  const problem =
    responseProblem(answer) ??
    (plan && (plan.group !== request.group || plan.topic !== request.topic)
      ? `a plan of ${String(plan.group)}/${String(plan.topic)}, not ${request.group}/${request.topic}`
      : undefined);
  if (problem)
    throw failed(`${flag} answered something that is not a restore's answer (${problem}): ${quote(text)}`);
  return answer as RestoreResponse;
}

/** What to check when an `--execute` got no answer. */
function unknownOutcomeHint(request: RestoreRequest): string {
  return (
    `Before retrying, look at what it did: mskguard status --group ${request.group} --topic ${request.topic} ` +
    "(add --esm-uuid of the consumer's event source mapping: it may be left Disabled), and the function's audit " +
    `table (its MSKGUARD_AUDIT_TABLE; the newest item of pk ${request.group}: 'running' means the function stopped ` +
    'mid-way) and its logs. See docs/runbooks/restore-errors.md.'
  );
}

/**
 * An error raised before the request left this machine, or one the Lambda API answered with a
 * 4xx (unknown function, access denied, throttled): the function did not run.
 */
function neverSent(error: unknown): boolean {
  const e = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
  } | null;
  // A client that retried may have reached the function with an earlier attempt: unknown.
  const attempts = e?.$metadata?.attempts;
  if (typeof attempts === 'number' && attempts > 1) return false;
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 400 && status < 500;
  return (
    e?.name === 'CredentialsProviderError' ||
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ENOTFOUND' ||
    e?.code === 'EAI_AGAIN'
  );
}

function lambdaErrorOf(text: string): { errorType?: string; errorMessage?: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return {};
    const { errorType, errorMessage } = value as { errorType?: unknown; errorMessage?: unknown };
    return {
      ...(typeof errorType === 'string' ? { errorType } : {}),
      ...(typeof errorMessage === 'string' ? { errorMessage } : {}),
    };
  } catch {
    return {};
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');
const EXIT_CODES: ReadonlySet<unknown> = new Set(Object.values(RESTORE_EXIT_CODES));

/**
 * Why a value is not a {@link RestoreResponse} the CLI can print and trust, or undefined when it is
 * one: the fields the table, the summary and the exit code read, and that they agree.
 */
function responseProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `${value === null ? 'null' : typeof value}, not an object`;
  const { ok, exitCode, plan, result, error } = value;
  if (typeof ok !== 'boolean') return 'no boolean ok';
  if (!EXIT_CODES.has(exitCode)) return `exitCode ${String(exitCode)} is not one of restore's`;
  if (ok !== (exitCode === RESTORE_EXIT_CODES.ok)) return `ok ${ok} with exitCode ${String(exitCode)}`;
  if (error !== null) {
    if (!isObject(error) || typeof error.name !== 'string' || typeof error.message !== 'string')
      return 'error is neither null nor {name, kind, message}';
    if (typeof error.kind !== 'string') return 'error has no kind';
  }
  if (plan === null) {
    if (result !== null) return 'a result without a plan';
    if (error === null || ok) return 'neither a plan nor an error';
    return undefined;
  }
  const planProblem = planProblemOf(plan);
  if (planProblem) return planProblem;
  if (result === null) return undefined;
  if (
    !isObject(result) ||
    typeof result.restoreId !== 'string' ||
    !['succeeded', 'failed', 'refused'].includes(result.status as string) ||
    !Array.isArray(result.applied) ||
    !isStringArray(result.steps) ||
    typeof result.verified !== 'boolean' ||
    !(result.epoch === null || typeof result.epoch === 'number') ||
    !(result.esm === null || isObject(result.esm)) ||
    !(result.error === null || isObject(result.error))
  )
    return 'result is not a restore result';
  if (ok !== (result.status === 'succeeded')) return `ok ${ok} with a result ${String(result.status)}`;
  return undefined;
}

function planProblemOf(plan: unknown): string | undefined {
  if (!isObject(plan)) return 'plan is neither null nor an object';
  for (const field of ['restoreId', 'group', 'topic', 'strategy', 'mode', 'groupState'] as const)
    if (typeof plan[field] !== 'string') return `plan.${field} is not a string`;
  for (const field of ['members', 'warnings', 'refusals'] as const)
    if (!isStringArray(plan[field])) return `plan.${field} is not a list of strings`;
  if (!Array.isArray(plan.considered)) return 'plan.considered is not a list';
  const rows = plan.rows;
  if (!Array.isArray(rows) || !rows.every((r) => isObject(r) && typeof r.partition === 'number'))
    return 'plan.rows is not a list of partitions';
  return undefined;
}
