// Light imports only: kafkajs and the AWS SDK load when the command runs (`mskguard --help` < 150 ms).
import type { openStatusClients } from '../../status/clients.ts';
import { STATUS_EXIT_CODES } from '../../status/errors.ts';
import { formatStatus } from '../../status/format.ts';
import type { GroupStatus, StatusThresholds } from '../../status/types.ts';
import { type DefaultRegion, requireTableAndEsmRegion, runRegion } from '../aws-region.ts';
import { type Command, UsageError } from '../command.ts';
import { brokersOf, endpointOf, type Flags, groupAndTopicOf, regionOf, str } from '../flags.ts';
import { KAFKA_AUTH_OPTIONS, kafkaAuthHelp, kafkaAuthOf } from '../kafka-auth.ts';

/** Where `mskguard status` prints and what it connects with (tests replace parts of it). */
export interface StatusCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Progress and colours only on a terminal. */
  readonly isTty: boolean;
  readonly openClients: typeof openStatusClients;
  /** Between two `--watch` rounds; resolves early when `signal` aborts (Ctrl-C). */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** `--watch` runs until this says stop (a count in tests) or {@link onInterrupt} calls `stop`. */
  readonly watching: () => boolean;
  /**
   * Calls `stop` on Ctrl-C (SIGINT) while `--watch` runs, so that the command ends with the exit code
   * of its last round and closes its clients; returns how to stop listening. Without it, Ctrl-C is
   * the runtime's (exit 130).
   */
  readonly onInterrupt?: (stop: () => void) => () => void;
  /**
   * The region the SDK finds without --region or AWS_REGION (a profile's), checked before connecting.
   * @default the AWS SDK's lookup
   */
  readonly defaultRegion?: DefaultRegion;
}

const PROCESS_IO: StatusCliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: process.stdout.isTTY === true && !process.env.NO_COLOR,
  openClients: async (config) => (await import('../../status/clients.ts')).openStatusClients(config),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      // The listener goes when the wait ends either way: one per round would pile up on the signal.
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  watching: () => true,
  onInterrupt: (stop) => {
    // The first Ctrl-C ends the watch after the round under way; a second one does not wait for it.
    // One arriving within a second of the first is the same keypress: npm (npx) forwards the
    // terminal's SIGINT to its child, which then gets it twice.
    let first: number | undefined;
    const onSigint = () => {
      if (first !== undefined && performance.now() - first > 1000) process.exit(130);
      first ??= performance.now();
      stop();
    };
    process.on('SIGINT', onSigint);
    return () => process.off('SIGINT', onSigint);
  },
};

const OPTIONS = {
  group: { type: 'string' },
  topic: { type: 'string' },
  'esm-uuid': { type: 'string' },
  json: { type: 'boolean' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  'max-checkpoint-age': { type: 'string' },
  'max-lag': { type: 'string' },
  brokers: { type: 'string' },
  'checkpoint-table': { type: 'string' },
  'quarantine-table': { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  ...KAFKA_AUTH_OPTIONS,
} as const;

const HELP = `Usage: mskguard status --group ID --topic NAME [--esm-uuid UUID] [--json] [--watch] [options]

A consumer group at a glance: per partition the committed offset, the DynamoDB checkpoint and its
age, the log start and end and the lag; for the group its state, the records in quarantine and the
event source mapping's State, StateTransitionReason and LastProcessingResult; then one verdict line
(the last line), e.g. "healthy: ESM Enabled, lag 12" or
"stalled: checkpoint 14 min old, ESM Enabled, lag 52,000". Changes nothing.
Offsets a checkpoint records as skipped (below it, never processed: a batch Lambda gave up on after
its retries) show in a skipped column and a note that names the recover restore processing them;
they do not make the group unhealthy (transaction markers leave such gaps too).

Options:
  --group ID                consumer group (the ESM's consumer group id) (required)
  --topic NAME              topic (required)
  --esm-uuid UUID           event source mapping to read (lambda:GetEventSourceMapping)
  --json                    print the status as JSON (the verdict is its "verdict" field; one line per
                            round with --watch)
  --watch                   print again every --interval until Ctrl-C (redraws on a terminal)
  --interval DURATION       between --watch rounds: 5s (default), 30s, 1m
  --max-checkpoint-age D    a partition with lag and a checkpoint older than this is stalled (default 15m),
                            and so is one with records to read and no checkpoint under a mapping
                            changed longer ago than this (needs --esm-uuid and --checkpoint-table)
  --max-lag N               total lag above N is unhealthy (default 100000)
  --brokers LIST            bootstrap brokers (env KAFKA_BROKERS)
  --checkpoint-table T      checkpoints table (env MSKGUARD_CHECKPOINT_TABLE); without it: no checkpoint column
  --quarantine-table T      quarantine table (env MSKGUARD_QUARANTINE_TABLE); without it: no quarantine count
  --region R                AWS region (env AWS_REGION)
  --endpoint URL            DynamoDB endpoint of the tables, e.g. DynamoDB Local (env DYNAMODB_ENDPOINT);
                            needs no region or credentials when none are configured
${kafkaAuthHelp(28)}
Environment: MSKGUARD_DEBUG=1 (an error's stack trace after its one-line message).

Unhealthy when: the ESM is not Enabled or its last result is a PROBLEM; checkpoints exist but the
group has no committed offsets (offsets lost); a committed offset is below the log start; a
partition with lag has a checkpoint older than --max-checkpoint-age (stalled); a partition with
records past where the group reads from (its commit, else the mapping's starting position) has no
checkpoint and the mapping last changed longer ago than that (stalled: "no checkpoint since the
mapping changed 3.2 h ago"); lag > --max-lag. A group with no records to read is healthy.

Exit codes: ${STATUS_EXIT_CODES.healthy} healthy, ${STATUS_EXIT_CODES.unhealthy} unhealthy, ${STATUS_EXIT_CODES.usage} usage, ${STATUS_EXIT_CODES.error} error (unknown group or topic, unreachable
  broker or table). With --watch: the exit code of the last round.

Examples (the brokers from --brokers, or from KAFKA_BROKERS in the others):
  mskguard status --group orders-svc --topic orders --brokers b-1.msk:9098 --kafka-auth iam --region eu-west-1
  mskguard status --group orders-svc --topic orders --esm-uuid 6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88
  mskguard status --group orders-svc --topic orders --json | jq .verdict
  mskguard status --group orders-svc --topic orders --watch --interval 10s
  */5 * * * * mskguard status --group orders-svc --topic orders >/dev/null || page-oncall
Runbook: node_modules/mskguard/docs/runbooks/restore.md#status`;

function thresholdsOf(flags: Flags): Partial<StatusThresholds> {
  const age = str(flags, 'max-checkpoint-age');
  const lag = str(flags, 'max-lag');
  const out: { maxCheckpointAgeMs?: number; maxLag?: number } = {};
  if (age !== undefined) out.maxCheckpointAgeMs = durationOf(age, '--max-checkpoint-age');
  if (lag !== undefined) {
    if (!/^\d+$/.test(lag)) throw new UsageError(`--max-lag ${lag}: expected a whole number.`);
    out.maxLag = Number(lag);
  }
  return out;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

function durationOf(raw: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
  if (ms <= 0) throw new UsageError(`${name} ${raw}: expected a duration such as 30s, 15m, 2h.`);
  return ms;
}

/**
 * Builds `mskguard status`.
 *
 * @example
 * ```ts
 * await runCli(createStatusCommands(), ['status', '--group', 'orders-svc', '--topic', 'orders']);
 * ```
 */
export function createStatusCommands(io: StatusCliIo = PROCESS_IO): Command[] {
  return [
    {
      path: ['status'],
      summary:
        'a consumer group at a glance: offsets, checkpoints, lag, ESM, a verdict (exit 3 when unhealthy)',
      help: HELP,
      options: OPTIONS,
      run: async ({ values, positionals }) => {
        if (positionals.length > 0) throw new UsageError(`Unexpected argument(s): ${positionals.join(' ')}`);
        return runStatus(values, io);
      },
    },
  ];
}

async function runStatus(flags: Flags, io: StatusCliIo): Promise<number> {
  const { group, topic } = groupAndTopicOf(flags);
  const esmUuid = str(flags, 'esm-uuid');
  const thresholds = thresholdsOf(flags);
  const intervalMs = durationOf(str(flags, 'interval') ?? '5s', '--interval');
  const env = io.env;
  const brokers = brokersOf(flags, env, 'No brokers: pass --brokers host:port[,...] or set KAFKA_BROKERS.');
  const checkpointTable = str(flags, 'checkpoint-table') ?? env.MSKGUARD_CHECKPOINT_TABLE;
  const quarantineTable = str(flags, 'quarantine-table') ?? env.MSKGUARD_QUARANTINE_TABLE;
  const region = regionOf(flags, env);
  const endpoint = endpointOf(flags, env);
  const tables = [
    checkpointTable && `--checkpoint-table ${checkpointTable}`,
    quarantineTable && `--quarantine-table ${quarantineTable}`,
  ].filter((t): t is string => Boolean(t));
  await requireTableAndEsmRegion({ tables, esmUuid, endpoint }, runRegion(region, io.defaultRegion));
  const clients = await io.openClients({
    brokers,
    ...kafkaAuthOf(flags, env, region),
    withLambda: esmUuid !== undefined,
    ...(checkpointTable ? { checkpointTable } : {}),
    ...(quarantineTable ? { quarantineTable } : {}),
    ...(region ? { region } : {}),
    ...(endpoint ? { dynamodbEndpoint: endpoint } : {}),
    ...(io.isTty ? { progress: (line: string) => io.stderr(`[status] ${line}\n`) } : {}),
  });
  const { collectStatus } = await import('../../status/collect.ts');
  // Ctrl-C ends a watch with the last round's exit code (as --help says), not the runtime's 130.
  const interrupted = new AbortController();
  const unlisten = flags.watch === true ? io.onInterrupt?.(() => interrupted.abort()) : undefined;
  try {
    for (;;) {
      const status: GroupStatus = await collectStatus(clients.deps, {
        group,
        topic,
        thresholds,
        ...(esmUuid ? { esmUuid } : {}),
      });
      if (flags.json === true) io.stdout(`${JSON.stringify(status, null, flags.watch ? 0 : 2)}\n`);
      else {
        // On a terminal, --watch redraws in place; in a pipe or a log every round is appended.
        if (flags.watch === true && io.isTty) io.stdout('\u001b[2J\u001b[H');
        io.stdout(formatStatus(status, { colour: io.isTty }));
      }
      const code = status.verdict.healthy ? STATUS_EXIT_CODES.healthy : STATUS_EXIT_CODES.unhealthy;
      if (flags.watch !== true || interrupted.signal.aborted || !io.watching()) return code;
      await io.sleep(intervalMs, interrupted.signal);
      if (interrupted.signal.aborted) return code;
    }
  } finally {
    // Still listening while the clients close: Ctrl-C then waits for them, a second one does not.
    await clients.close().finally(() => unlisten?.());
  }
}

/** `mskguard status`: the command the CLI's main wires in. */
export const statusCommands: Command[] = createStatusCommands();
