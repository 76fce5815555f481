// Only light modules at the top: `mskguard --help` must not load kafkajs or the AWS SDK. The
// clients, the engine and the Lambda client are imported when a command runs.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { MskGuardError } from '../../errors.ts';
import { RESTORE_HELP, STRATEGY_TEXT, strategyHelp } from '../../restore/cli-help.ts';
import { awsCallsOf, configOf, inputNamesOf, RESTORE_OPTIONS, requestOf } from '../../restore/cli-options.ts';
import type { openRestoreClients } from '../../restore/clients.ts';
import type { RestoreResponse } from '../../restore/engine.ts';
import { RESTORE_EXIT_CODES, RestoreUsageError } from '../../restore/errors.ts';
import { formatPlan, formatResult, summaryLine } from '../../restore/format.ts';
import { formatDuration } from '../../restore/time.ts';
import {
  RESTORE_STRATEGIES,
  type RestoreRequest,
  type RestoreStrategy,
  UNDO_REFUSED_FLAGS,
  UUID_PATTERN,
} from '../../restore/types.ts';
import {
  type DefaultRegion,
  type RunRegion,
  requireAwsRegion,
  requireTableAndEsmRegion,
  runRegion,
} from '../aws-region.ts';
import { type Command, UsageError } from '../command.ts';
import { type Flags, regionOf, str } from '../flags.ts';
import { KAFKA_AUTH_OPTIONS } from '../kafka-auth.ts';
import { RestoreExport } from './restore-export.ts';

/** Where the restore commands print and what they connect with (tests replace parts of it). */
export interface RestoreCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly openClients: typeof openRestoreClients;
  /** The Lambda client of `--via-lambda`, in the region the function is in. */
  readonly lambda: (region: string) => Pick<LambdaClient, 'send'> | Promise<Pick<LambdaClient, 'send'>>;
  /**
   * The region the SDK finds without --region or AWS_REGION (a profile's): `--via-lambda` invokes
   * there, and a local restore that reads a table or toggles an ESM checks for it before connecting.
   * @default the SDK's lookup
   */
  readonly defaultRegion?: DefaultRegion;
}

const PROCESS_IO: RestoreCliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  openClients: async (config) => (await import('../../restore/clients.ts')).openRestoreClients(config),
  // One attempt: the SDK's retry of a call cut or answered 5xx could run an --execute twice, and
  // would hide from the CLI that the first attempt reached the function (via-lambda.ts).
  lambda: async (region) =>
    new (await import('@aws-sdk/client-lambda')).LambdaClient({ region, maxAttempts: 1 }),
};

/** The restore flags, and the Kafka auth flags every Kafka command shares. */
const OPTIONS = { ...RESTORE_OPTIONS, ...KAFKA_AUTH_OPTIONS } as const;

/** A failed restore with --json has the shape of a restore's answer (RestoreResponse). */
const JSON_ERROR_FIELDS = { plan: null, result: null } as const;

async function runLocally(
  request: RestoreRequest,
  flags: Flags,
  region: RunRegion,
  io: RestoreCliIo,
): Promise<RestoreResponse> {
  const config = configOf(request, flags, io);
  await requireTableAndEsmRegion(awsCallsOf(request, config), region);
  const { runRestore, toResponse } = await import('../../restore/engine.ts');
  const clients = await io.openClients(config);
  try {
    return toResponse(
      await runRestore(request, { ...clients.deps, inputNames: inputNamesOf(flags, config) }),
    );
  } finally {
    await clients.close();
  }
}

async function runViaLambda(
  name: string,
  region: string,
  request: RestoreRequest,
  io: RestoreCliIo,
): Promise<RestoreResponse> {
  io.stderr(`[restore] invoking ${name} in ${region} (RequestResponse)\n`);
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const { invokeRestoreFunction } = await import('../../restore/via-lambda.ts');
  const lambda = await io.lambda(region);
  return invokeRestoreFunction((input) => lambda.send(new InvokeCommand(input)), name, request);
}

/** `exported`: what --export wrote in place of the error's hint (restore-export.ts), printed instead of it. */
function print(
  response: RestoreResponse,
  json: boolean,
  elapsedMs: number,
  io: RestoreCliIo,
  exported?: string,
): void {
  // Without a plan, a failed kind is an --execute whose outcome is unknown (--via-lambda got no answer).
  const summary = response.plan
    ? summaryLine(response.plan, response.result, elapsedMs)
    : `restore ${response.error?.kind === 'failed' ? 'failed, its outcome unknown' : 'failed before planning'} ` +
      `(elapsed ${formatDuration(elapsedMs)})\n`;
  const error = response.error;
  const hint = exported ?? (error?.hint ? `${error.hint}\n` : '');
  const why = error ? `${error.name}: ${error.message}\n${hint}` : '';
  if (json) {
    // stdout stays the JSON answer; stderr says why it failed, as it does without --json.
    io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    io.stderr(`${why}${summary}`);
    return;
  }
  if (response.plan) io.stdout(formatPlan(response.plan));
  if (response.result) io.stdout(`\n${formatResult(response.result)}`);
  if (!response.plan) io.stderr(why);
  io.stdout(summary);
}

async function runStrategy(
  strategy: RestoreStrategy,
  flags: Flags,
  io: RestoreCliIo,
  undoes?: string,
): Promise<number> {
  const started = performance.now();
  const viaLambda = str(flags, 'via-lambda');
  const exportTo = str(flags, 'export');
  let response: RestoreResponse;
  let exported: RestoreExport | undefined;
  try {
    const request = await requestOf(strategy, flags, io.env, undoes);
    const region = runRegion(regionOf(flags, io.env), io.defaultRegion);
    // The function's region (--region, AWS_REGION, AWS_DEFAULT_REGION, else the profile's).
    const lambda =
      viaLambda === undefined
        ? undefined
        : {
            name: viaLambda,
            region: await requireAwsRegion(
              { what: `--via-lambda ${viaLambda}`, which: "the function's region", api: 'lambda' },
              region,
            ),
          };
    // Before anything runs: a path that cannot be written must not end an executed restore.
    exported = exportTo === undefined ? undefined : await RestoreExport.claim(exportTo);
    response = lambda
      ? await runViaLambda(lambda.name, lambda.region, request, io)
      : await runLocally(request, flags, region, io);
  } catch (error) {
    const usage =
      error instanceof UsageError
        ? error
        : // A plain usage error prints the help; its typed subclasses (a bad CSV, an unknown
          // restoreId...) are answers of their own, printed with their name.
          error instanceof RestoreUsageError && error.name === 'RestoreUsageError'
          ? new UsageError(error.message)
          : null;
    if (usage) {
      await exported?.discard();
      throw usage;
    }
    const { toResponse } = await import('../../restore/engine.ts');
    response = toResponse({ error });
    // A typed error already names the next step; the generic one is for what nobody anticipated.
    if (response.exitCode === RESTORE_EXIT_CODES.error && !(error instanceof MskGuardError)) {
      io.stderr(
        '[restore] next step: check --brokers / KAFKA_BROKERS, the table names and AWS credentials, then retry.\n',
      );
    }
  }
  const written = await exported?.write(response, io.stderr);
  print(response, flags.json === true, performance.now() - started, io, written);
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
  const strategies: Command[] = RESTORE_STRATEGIES.filter((s) => s !== 'undo').map((strategy) => ({
    path: ['restore', strategy],
    summary: STRATEGY_TEXT[strategy].summary,
    help: strategyHelp(strategy),
    options: OPTIONS,
    jsonErrorFields: JSON_ERROR_FIELDS,
    run: async ({ values, positionals }) => {
      if (positionals.length > 0) throw new UsageError(`Unexpected argument(s): ${positionals.join(' ')}`);
      return runStrategy(strategy, values, io);
    },
  }));
  const undo: Command = {
    path: ['restore', 'undo'],
    summary: STRATEGY_TEXT.undo.summary,
    help: strategyHelp('undo'),
    options: OPTIONS,
    jsonErrorFields: JSON_ERROR_FIELDS,
    run: async ({ values, positionals }) => {
      const [restoreId, ...extra] = positionals;
      if (!restoreId || extra.length > 0)
        throw new UsageError(
          'Name exactly one restoreId: mskguard restore undo <restoreId> --group G --topic T',
        );
      if (UNDO_REFUSED_FLAGS.some((name) => values[name] !== undefined))
        throw new UsageError(
          'undo takes its targets from the audit item: no --from-file, --offsets, --partitions, --at or --mode.',
        );
      if (!UUID_PATTERN.test(restoreId))
        throw new UsageError(
          `Invalid restoreId ${restoreId}: expected a UUID such as 0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11, as printed ` +
            "by the restore ('restore plan <restoreId>') and stored in the audit table.",
        );
      return runStrategy('undo', values, io, restoreId);
    },
  };
  const bare: Command = {
    path: ['restore'],
    summary:
      "put a consumer group's offsets back (checkpoint, history, timestamp, consumer-offsets, auto, file; undo)",
    help: RESTORE_HELP,
    options: OPTIONS,
    jsonErrorFields: JSON_ERROR_FIELDS,
    run: async ({ positionals }) => {
      throw new UsageError(
        positionals.length
          ? `Unknown strategy ${positionals[0]}: one of ${RESTORE_STRATEGIES.join(', ')}.`
          : 'Name a strategy.',
      );
    },
  };
  return [bare, ...strategies, undo];
}

/** `mskguard restore <strategy>`: the commands the CLI's main wires in. */
export const restoreCommands: Command[] = createRestoreCommands();
