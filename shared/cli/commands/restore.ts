import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RESTORE_HELP, STRATEGY_TEXT, strategyHelp } from '../../restore/cli-help.ts';
import { openRestoreClients, type RestoreClientsConfig } from '../../restore/clients.ts';
import { type RestoreOutcome, type RestoreResponse, runRestore, toResponse } from '../../restore/engine.ts';
import { RESTORE_EXIT_CODES, RestoreUsageError } from '../../restore/errors.ts';
import { formatPlan, formatResult, summaryLine } from '../../restore/format.ts';
import { parseRestoreRequest } from '../../restore/request.ts';
import { formatDuration } from '../../restore/time.ts';
import { RESTORE_STRATEGIES, type RestoreRequest, type RestoreStrategy } from '../../restore/types.ts';
import { type Command, UsageError } from '../command.ts';

/** Where the restore commands print and what they connect with (tests replace parts of it). */
export interface RestoreCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly openClients: typeof openRestoreClients;
  readonly lambda: () => Pick<LambdaClient, 'send'>;
}

const PROCESS_IO: RestoreCliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  openClients: openRestoreClients,
  lambda: () => new LambdaClient({}),
};

const OPTIONS = {
  group: { type: 'string' },
  topic: { type: 'string' },
  at: { type: 'string' },
  mode: { type: 'string' },
  clamp: { type: 'boolean' },
  execute: { type: 'boolean' },
  'esm-uuid': { type: 'string' },
  json: { type: 'boolean' },
  'via-lambda': { type: 'string' },
  brokers: { type: 'string' },
  'checkpoint-table': { type: 'string' },
  'audit-table': { type: 'string' },
  region: { type: 'string' },
} as const;

type Flags = Record<string, unknown>;
const str = (flags: Flags, name: string): string | undefined =>
  typeof flags[name] === 'string' ? (flags[name] as string) : undefined;

function requestOf(strategy: RestoreStrategy, flags: Flags, env: NodeJS.ProcessEnv): RestoreRequest {
  return parseRestoreRequest({
    group: str(flags, 'group'),
    topic: str(flags, 'topic'),
    strategy,
    at: str(flags, 'at'),
    mode: str(flags, 'mode'),
    clamp: flags.clamp === true,
    execute: flags.execute === true,
    esmUuid: str(flags, 'esm-uuid'),
    requestedBy: env.USER ?? env.USERNAME ?? 'unknown',
  });
}

function configOf(request: RestoreRequest, flags: Flags, io: RestoreCliIo): RestoreClientsConfig {
  const env = io.env;
  const brokers = (str(flags, 'brokers') ?? env.KAFKA_BROKERS ?? env.MSKGUARD_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new UsageError('No brokers: pass --brokers host:port[,...] or set KAFKA_BROKERS.');
  const checkpointTable =
    str(flags, 'checkpoint-table') ?? env.MSKGUARD_CHECKPOINT_TABLE ?? env.CHECKPOINT_TABLE;
  if (!checkpointTable)
    throw new UsageError('No checkpoint table: pass --checkpoint-table or set MSKGUARD_CHECKPOINT_TABLE.');
  const auditTable = str(flags, 'audit-table') ?? env.MSKGUARD_AUDIT_TABLE ?? env.AUDIT_TABLE;
  if (request.execute && !auditTable) {
    throw new UsageError(
      '--execute needs --audit-table (or MSKGUARD_AUDIT_TABLE): every executed restore is audited.',
    );
  }
  const auth = env.KAFKA_AUTH ?? env.MSKGUARD_KAFKA_AUTH ?? 'none';
  if (auth !== 'none' && auth !== 'iam' && auth !== 'scram')
    throw new UsageError(`KAFKA_AUTH=${auth}: one of none, iam, scram.`);
  const region = str(flags, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    brokers,
    auth,
    checkpointTable,
    withLambda: request.esmUuid !== undefined,
    progress: (line) => io.stderr(`[restore] ${line}\n`),
    ...(region ? { region } : {}),
    ...(auditTable ? { auditTable } : {}),
    ...(env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    ...(env.MSKGUARD_KAFKA_SECRET_ARN ? { scramSecretArn: env.MSKGUARD_KAFKA_SECRET_ARN } : {}),
  };
}

async function runLocally(request: RestoreRequest, flags: Flags, io: RestoreCliIo): Promise<RestoreResponse> {
  const clients = await io.openClients(configOf(request, flags, io));
  try {
    const outcome: RestoreOutcome = await runRestore(request, clients.deps);
    return toResponse(outcome);
  } finally {
    await clients.close();
  }
}

async function runViaLambda(
  name: string,
  request: RestoreRequest,
  io: RestoreCliIo,
): Promise<RestoreResponse> {
  io.stderr(`[restore] invoking ${name} (RequestResponse)\n`);
  const out = await io.lambda().send(
    new InvokeCommand({
      FunctionName: name,
      InvocationType: 'RequestResponse',
      Payload: JSON.stringify(request),
    }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) {
    const { errorType, errorMessage } = (text ? JSON.parse(text) : {}) as {
      errorType?: string;
      errorMessage?: string;
    };
    return toResponse({
      error: new Error(
        `${name} failed (${out.FunctionError}): ${errorType ?? 'Error'}: ${errorMessage ?? text}`,
      ),
    });
  }
  return JSON.parse(text) as RestoreResponse;
}

function print(response: RestoreResponse, json: boolean, elapsedMs: number, io: RestoreCliIo): void {
  const summary = response.plan
    ? summaryLine(response.plan, response.result, elapsedMs)
    : `restore failed before planning (elapsed ${formatDuration(elapsedMs)})\n`;
  if (json) {
    io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    io.stderr(summary);
    return;
  }
  if (response.plan) io.stdout(formatPlan(response.plan));
  if (response.result) io.stdout(`\n${formatResult(response.result)}`);
  if (!response.plan && response.error) io.stderr(`${response.error.name}: ${response.error.message}\n`);
  io.stdout(summary);
}

async function runStrategy(strategy: RestoreStrategy, flags: Flags, io: RestoreCliIo): Promise<number> {
  const started = performance.now();
  let request: RestoreRequest;
  try {
    request = requestOf(strategy, flags, io.env);
  } catch (error) {
    if (error instanceof RestoreUsageError) throw new UsageError(error.message);
    throw error;
  }
  const viaLambda = str(flags, 'via-lambda');
  let response: RestoreResponse;
  try {
    response = viaLambda ? await runViaLambda(viaLambda, request, io) : await runLocally(request, flags, io);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof RestoreUsageError) throw new UsageError(error.message);
    response = toResponse({ error });
    if (response.exitCode === RESTORE_EXIT_CODES.error) {
      io.stderr(
        '[restore] next step: check --brokers / KAFKA_BROKERS, the table names and AWS credentials, then retry.\n',
      );
    }
  }
  print(response, flags.json === true, performance.now() - started, io);
  return response.exitCode;
}

/**
 * Builds `mskguard restore` and `mskguard restore <strategy>` for each strategy.
 *
 * @example
 * ```ts
 * await runCli(createRestoreCommands(), ['restore', 'auto', '--group', 'g', '--topic', 't', '--at=-1h']);
 * ```
 */
export function createRestoreCommands(io: RestoreCliIo = PROCESS_IO): Command[] {
  const strategies: Command[] = RESTORE_STRATEGIES.map((strategy) => ({
    path: ['restore', strategy],
    summary: STRATEGY_TEXT[strategy].summary,
    help: strategyHelp(strategy),
    options: OPTIONS,
    run: async ({ values, positionals }) => {
      if (positionals.length > 0) throw new UsageError(`Unexpected argument(s): ${positionals.join(' ')}`);
      return runStrategy(strategy, values, io);
    },
  }));
  const bare: Command = {
    path: ['restore'],
    summary:
      "put a consumer group's offsets back (strategies: checkpoint, history, timestamp, consumer-offsets, auto)",
    help: RESTORE_HELP,
    options: OPTIONS,
    run: async ({ positionals }) => {
      throw new UsageError(
        positionals.length
          ? `Unknown strategy ${positionals[0]}: one of ${RESTORE_STRATEGIES.join(', ')}.`
          : 'Name a strategy.',
      );
    },
  };
  return [bare, ...strategies];
}

/** `mskguard restore <strategy>`: the commands the CLI's main wires in. */
export const restoreCommands: Command[] = createRestoreCommands();
