import type { Logger } from '@aws-lambda-powertools/logger';
import type { TableHints } from '../aws/table-errors.ts';
import { type EmfSink, stdoutSink } from '../observability/emf.ts';
import { FUNCTION_ENV } from '../runtime/function-env.ts';
import { answerWithinLimit } from './answer-limit.ts';
import { type KafkaConnectionOptions, openRestoreClients } from './clients.ts';
import type { RestoreAnswer } from './compact-answer.ts';
import { ANSWER_RESERVE_MS } from './deadline.ts';
import { type RestoreResponse, runRestore, toResponse } from './engine.ts';
import { RestoreRefusedError } from './errors.ts';
import { summaryLine } from './format.ts';
import { REQUEST_INPUT_NAMES, type RestoreInputNames } from './input-names.ts';
import { emitRestoreOutcome } from './metrics.ts';
import { parseRestoreRequest } from './request.ts';
import type { RestoreRequest } from './types.ts';

/** A group the function may restore (the stack's MSKGUARD_RESTORE_TARGETS entries). */
export interface RestoreLambdaTarget {
  readonly consumerGroupId: string;
  readonly topic: string;
  readonly eventSourceMappingId: string;
}

/** What the restore Lambda is wired with (functions/restore.ts reads it from the environment). */
export interface RestoreLambdaConfig extends KafkaConnectionOptions {
  readonly checkpointTable: string;
  readonly auditTable: string;
  /** When set, only these group/topic pairs may be restored, each with its own ESM. */
  readonly targets: readonly RestoreLambdaTarget[] | null;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** @default openRestoreClients */
  readonly openClients?: typeof openRestoreClients;
  /** Where the `RestoreFailed` EMF line of each answer goes. @default stdout */
  readonly metricsSink?: EmfSink;
}

/** The subset of the Lambda context the handler uses. */
export interface RestoreLambdaContext {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  /** Bounds the restore's waits, so that it answers before Lambda ends the invocation. */
  getRemainingTimeInMillis?(): number;
}

export { ANSWER_RESERVE_MS } from './deadline.ts';

/** What to check when no broker answers: the caller cannot pass --brokers to the function. */
const FUNCTION_BROKERS_HINT =
  `Check the function's ${FUNCTION_ENV.KAFKA_BROKERS} and ${FUNCTION_ENV.KAFKA_AUTH} environment variables, ` +
  'and that its subnets and security group reach the brokers.';

/** What to check about a table the function reads, whose name is its `variable` environment variable. */
function functionTableHints(variable: string): TableHints {
  return {
    notFound: `Check the function's ${variable} environment variable and that the stack that creates the table is deployed.`,
    unreachable:
      "Check the function's role (its DynamoDB permissions on the table) and that its subnets reach DynamoDB, " +
      'then retry.',
  };
}

/**
 * Checks the request against the function's targets and fills in the target's ESM: the function
 * exists to restore the stack's own consumers, whose pollers must be stopped first.
 */
export function applyTargets(
  request: RestoreRequest,
  targets: RestoreLambdaConfig['targets'],
): RestoreRequest {
  if (!targets) return request;
  const target = targets.find((t) => t.consumerGroupId === request.group && t.topic === request.topic);
  if (!target) {
    const allowed = targets.map((t) => `${t.consumerGroupId}/${t.topic}`).join(', ');
    throw new RestoreRefusedError(
      `This restore function may not restore ${request.group}/${request.topic}; it restores: ${allowed}. ` +
        'Use the CLI with credentials for that group, or add the consumer to the RestoreFunction.',
    );
  }
  if (request.esmUuid && request.esmUuid !== target.eventSourceMappingId) {
    throw new RestoreRefusedError(
      `esmUuid ${request.esmUuid} is not the event source mapping of ${request.group} (${target.eventSourceMappingId}). ` +
        'Omit esmUuid: the function uses its own.',
    );
  }
  return { ...request, esmUuid: target.eventSourceMappingId };
}

/**
 * The restore engine as a Lambda handler: event = a {@link RestoreRequest} as JSON, answer = a
 * {@link RestoreResponse} (never thrown: the CLI's `--via-lambda` prints the same table from it).
 * Since no error reaches Lambda, each answer also prints the `RestoreFailed` metric its alarm reads.
 * An answer that fits Lambda's synchronous response limit (6 MB) is sent whole; a larger one in its
 * compact form (answer-limit.ts), which would otherwise reach the caller as the function error
 * Function.ResponseSizeTooLarge, after the restore had run and committed.
 *
 * @example
 * ```ts
 * export const handler = createRestoreHandler({ brokers, auth: 'iam', region, checkpointTable, auditTable, targets, logger });
 * ```
 */
export function createRestoreHandler(config: RestoreLambdaConfig) {
  const respond = wholeAnswers(config);
  return async (event: unknown, context: RestoreLambdaContext = {}): Promise<RestoreAnswer> => {
    const answer = answerWithinLimit(await respond(event, context), { auditTable: config.auditTable });
    if ('omitted' in answer) {
      const { fields, fullBytes, limitBytes, auditItem } = answer.omitted;
      config.logger.warn('answer too large for Lambda: sent without the per-partition lists', {
        restoreId: answer.plan.restoreId,
        fullBytes,
        limitBytes,
        omitted: fields,
        auditItem,
      });
    }
    return answer;
  };
}

/** The handler's answers whole, of any size: what {@link createRestoreHandler} bounds. */
function wholeAnswers(config: RestoreLambdaConfig) {
  const open = config.openClients ?? openRestoreClients;
  const log = config.logger;
  // The caller cannot pass --audit-table to the function: name the table it reads, and where it is set.
  const inputNames: RestoreInputNames = {
    ...REQUEST_INPUT_NAMES,
    auditTable: `the audit table the function reads (${config.auditTable}, its ${FUNCTION_ENV.AUDIT_TABLE} environment variable)`,
  };
  return async (event: unknown, context: RestoreLambdaContext = {}): Promise<RestoreResponse> => {
    const started = performance.now();
    let response: RestoreResponse;
    let asked: { group?: string; topic?: string } = {};
    try {
      const parsed = parseRestoreRequest(event);
      asked = { group: parsed.group, topic: parsed.topic };
      const request = applyTargets(
        { ...parsed, requestedBy: parsed.requestedBy ?? `lambda:${context.functionName ?? 'restore'}` },
        config.targets,
      );
      log.info('restore requested', { request });
      const clients = await open({
        ...config,
        brokersHint: FUNCTION_BROKERS_HINT,
        checkpointTableHints: functionTableHints(FUNCTION_ENV.CHECKPOINT_TABLE),
        auditTableHints: functionTableHints(FUNCTION_ENV.AUDIT_TABLE),
        withLambda: request.esmUuid !== undefined,
        progress: (line) => log.info(line, { group: request.group, topic: request.topic }),
      });
      const remaining = context.getRemainingTimeInMillis?.bind(context);
      const deps = {
        ...clients.deps,
        inputNames,
        ...(remaining ? { remainingMs: () => remaining() - ANSWER_RESERVE_MS } : {}),
      };
      try {
        response = toResponse(await runRestore(request, deps));
      } finally {
        await clients.close();
      }
    } catch (error) {
      response = toResponse({ error });
    }
    const elapsedMs = performance.now() - started;
    const summary = response.plan ? summaryLine(response.plan, response.result, elapsedMs).trim() : 'no plan';
    const fields = { exitCode: response.exitCode, error: response.error, elapsedMs: Math.round(elapsedMs) };
    if (response.ok) log.info(summary, fields);
    else
      log.error(summary, { ...fields, restoreId: response.plan?.restoreId, result: response.result?.status });
    const functionName = context.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'restore';
    emitRestoreOutcome(response, { functionName, ...asked }, config.metricsSink ?? stdoutSink);
    return response;
  };
}
