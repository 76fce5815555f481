import { userInfo } from 'node:os';
// Light imports only: the AWS SDK and kafkajs are imported when a command runs, so that
// `mskguard --help` starts fast.
import type { Kafka } from 'kafkajs';
import {
  type DynamoDbClientSettings,
  dynamoDbClientSettings,
  sdkDefaultRegion,
  whereOf,
} from '../../aws/sdk.ts';
import { cliTableHints, inCallerTerms } from '../../aws/table-errors.ts';
import { type DynamoDBSender, TableNotFoundError } from '../../checkpoints/dynamodb.ts';
import { LIST_HELP, QUARANTINE_EXIT_CODES, QUARANTINE_HELP, REPLAY_HELP } from '../../quarantine/cli-help.ts';
import {
  type ListOptions,
  listOptionsOf,
  type QuarantineTableOptions,
  type ReplayOptions,
  replayOptionsOf,
} from '../../quarantine/cli-options.ts';
import {
  QuarantineReadError,
  QuarantineRecordNotFoundError,
  QuarantineWriteError,
} from '../../quarantine/errors.ts';
import { type ReplayOutcome, replayRecords, unreplayableReason } from '../../quarantine/replay.ts';
import { QuarantineStore } from '../../quarantine/store.ts';
import { type QuarantinedRecord, QuarantineStatus, type QuarantineSummary } from '../../quarantine/types.ts';
import type { KafkaConnectionOptions } from '../../restore/clients.ts';
import { type DefaultRegion, requireAwsRegion, runRegion } from '../aws-region.ts';
import { type Command, UsageError } from '../command.ts';
import { KAFKA_AUTH_OPTIONS } from '../kafka-auth.ts';

/** How the CLI reaches DynamoDB, Kafka and the terminal; tests replace parts of it. */
export interface QuarantineCliDeps {
  /** A DynamoDB client with these settings (region, endpoint, and credentials for a local endpoint). */
  dynamodb(
    settings: DynamoDbClientSettings,
  ): (DynamoDBSender & { destroy?(): void }) | Promise<DynamoDBSender & { destroy?(): void }>;
  /** A kafkajs client for the brokers and auth mode (`region`: the MSK cluster's, for iam and scram). */
  kafka(connection: KafkaConnectionOptions): Promise<Pick<Kafka, 'producer'>>;
  /** Results (tables, summaries, the JSON answer). */
  out(line: string): void;
  /** Progress and notes. */
  err(line: string): void;
  /** Where defaults come from: MSKGUARD_QUARANTINE_TABLE, AWS_REGION, DYNAMODB_ENDPOINT, KAFKA_BROKERS, KAFKA_AUTH. */
  readonly env: NodeJS.ProcessEnv;
  /** The region the SDK finds without --region or AWS_REGION (a profile's), checked before any call. */
  readonly defaultRegion: DefaultRegion;
}

const DEFAULT_DEPS: QuarantineCliDeps = {
  dynamodb: async (settings) => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(settings),
  // The client restore and status use: the same auth settings (kafkaAuthConfig), timeouts and
  // retries, and no kafkajs log lines (a failure is one typed error, as in restore and status).
  kafka: async (connection) =>
    (await import('../../restore/clients.ts')).createRestoreKafka({
      ...connection,
      clientId: connection.clientId ?? 'mskguard-quarantine-replay',
    }),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  defaultRegion: sdkDefaultRegion,
};

/** What to check when no broker answers (BrokersUnreachableError), in the command line's terms. */
const BROKERS_HINT =
  'Check --brokers (or KAFKA_BROKERS, MSKGUARD_KAFKA_BROKERS), --kafka-auth (or KAFKA_AUTH) and that this ' +
  'machine reaches the brokers (MSK brokers are inside the VPC: run from there or through a bastion). ' +
  'Nothing was produced.';

/** The options list and replay both take: where the quarantine table is, and --json. */
const TABLE_OPTIONS = {
  'quarantine-table': { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const SELECTION_OPTIONS = {
  group: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** Rows as aligned columns under a header. */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function summaryRows(items: readonly (QuarantineSummary | QuarantinedRecord)[]): string[] {
  return formatTable(
    ['GROUP', 'RECORD', 'QUARANTINED AT', 'REASON', 'STATUS'],
    items.map((s) => [s.group, `${s.topic}-${s.partition}@${s.offset}`, s.quarantinedAt, s.reason, s.status]),
  );
}

const asJson = (answer: object): string => JSON.stringify(answer, null, 2);

async function withStore<T>(
  deps: QuarantineCliDeps,
  options: QuarantineTableOptions,
  run: (store: QuarantineStore) => Promise<T>,
): Promise<T> {
  await requireAwsRegion(
    { what: `The quarantine table ${options.table}`, api: 'dynamodb', endpoint: options.endpoint },
    runRegion(options.region, deps.defaultRegion),
  );
  const endpoints = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { dynamodbEndpoint: options.endpoint } : {}),
  };
  const client = await deps.dynamodb(dynamoDbClientSettings(endpoints));
  try {
    return await run(new QuarantineStore(client, options.table));
  } catch (error) {
    // The store's errors name the guarded function's MSKGUARD_QUARANTINE_TABLE: these name the flags, as status does.
    const where = whereOf(endpoints);
    throw inCallerTerms(
      error,
      `quarantine table ${options.table}`,
      where,
      TABLE_HINTS,
      quarantineTableFailure,
    );
  } finally {
    client.destroy?.();
  }
}

/** What to check when the quarantine table is missing or cannot be reached. */
const TABLE_HINTS = cliTableHints('--quarantine-table', 'MSKGUARD_QUARANTINE_TABLE');

/** Whether a quarantine store's error is a failed read or write of its table (else undefined). */
function quarantineTableFailure(error: unknown): 'read' | 'write' | undefined {
  if (error instanceof QuarantineWriteError) return 'write';
  return error instanceof QuarantineReadError || error instanceof TableNotFoundError ? 'read' : undefined;
}

async function list(deps: QuarantineCliDeps, options: ListOptions, json: boolean): Promise<number> {
  const { group, limit, since, status } = options;
  const records = await withStore(deps, options, (store) =>
    store.list({ group, limit, ...(since ? { since } : {}), ...(status ? { status } : {}) }),
  );
  const more = records.length === limit;
  if (json) {
    deps.out(asJson({ ok: true, exitCode: QUARANTINE_EXIT_CODES.ok, group, limit, more, records }));
    return QUARANTINE_EXIT_CODES.ok;
  }
  if (records.length > 0) deps.out(summaryRows(records).join('\n'));
  const count = `${records.length} record${records.length === 1 ? '' : 's'}`;
  deps.out(`${count}${more ? ` (limit ${limit}; more may exist)` : ''}`);
  return QUARANTINE_EXIT_CODES.ok;
}

/** The records a replay selects: by --id (all must exist), else the group's QUARANTINED ones. */
async function selectForReplay(store: QuarantineStore, options: ReplayOptions): Promise<QuarantinedRecord[]> {
  const { selection } = options;
  if ('ids' in selection) {
    const found = await store.getMany(selection.ids);
    const missing = selection.ids.find((id) => !found.some((r) => r.id === id));
    if (missing) throw new QuarantineRecordNotFoundError(missing);
    return found;
  }
  const { group, limit, since } = selection;
  const listed = await store.list({
    group,
    limit,
    status: QuarantineStatus.Quarantined,
    ...(since ? { since } : {}),
  });
  return store.getMany(listed.map((s) => s.id));
}

function describeOutcome(outcome: ReplayOutcome): string {
  if (outcome.status === 'replayed') return `replayed -> ${outcome.to}`;
  if (outcome.status === 'raced')
    return `produced -> ${outcome.to}, but another replay marked it first (now twice)`;
  return `skipped: ${outcome.reason}`;
}

/** What a dry run would do with each record. */
function dryRunOutcomes(records: readonly QuarantinedRecord[]) {
  return records.map((r) => {
    const reason = unreplayableReason(r);
    return { id: r.id, outcome: reason ? { status: 'skipped', reason } : { status: 'would-replay' } };
  });
}

async function replay(deps: QuarantineCliDeps, options: ReplayOptions, json: boolean): Promise<number> {
  return withStore(deps, options, async (store) => {
    const records = await selectForReplay(store, options);
    const execute = options.produce !== undefined;
    const answer = (exitCode: number, counts: object, outcomes: readonly object[]) =>
      asJson({ ok: exitCode === 0, exitCode, execute, selected: records.length, ...counts, outcomes });
    if (records.length === 0) {
      deps.out(
        json
          ? answer(0, { replayed: 0, skipped: 0, raced: 0 }, [])
          : 'Nothing to replay: no record in status QUARANTINED matches.',
      );
      return QUARANTINE_EXIT_CODES.ok;
    }
    if (!options.produce) {
      const outcomes = dryRunOutcomes(records);
      for (const { id, outcome } of outcomes)
        if (outcome.status === 'skipped') deps.err(`would skip ${id}: ${outcome.reason}`);
      const skipped = outcomes.filter((o) => o.outcome.status === 'skipped').length;
      if (json) deps.out(answer(0, { replayed: 0, skipped, raced: 0 }, outcomes));
      else {
        deps.out(summaryRows(records).join('\n'));
        deps.out(
          `Dry run: would re-produce ${records.length - skipped} of ${records.length} records to their ` +
            'topic-partition with header mskguard-replay. Nothing was produced; add --execute to replay.',
        );
      }
      return QUARANTINE_EXIT_CODES.ok;
    }
    const { by, ...connection } = options.produce;
    const { Partitioners } = await import('kafkajs');
    const region = options.region;
    const producer = (await deps.kafka({ ...connection, ...(region ? { region } : {}) })).producer({
      allowAutoTopicCreation: false,
      // Every message names its partition; this only silences kafkajs' partitioner-change warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const { connectBrokers } = await import('../../restore/clients.ts');
    await connectBrokers(producer, { brokers: connection.brokers, brokersHint: BROKERS_HINT });
    try {
      const summary = await replayRecords(records, {
        producer,
        store,
        by: by ?? userInfo().username,
        onProgress: (done, total, id, outcome) =>
          deps.err(`[${done}/${total}] ${id} ${describeOutcome(outcome)}`),
      });
      const { replayed, skipped, raced } = summary;
      const exitCode = skipped + raced > 0 ? QUARANTINE_EXIT_CODES.incomplete : QUARANTINE_EXIT_CODES.ok;
      deps.out(
        json
          ? answer(exitCode, { replayed, skipped, raced }, summary.outcomes)
          : `replayed ${replayed}, skipped ${skipped}, raced ${raced} (of ${records.length})`,
      );
      return exitCode;
    } finally {
      await producer.disconnect();
    }
  });
}

/**
 * `mskguard quarantine list|replay`, over the given dependencies (tests pass their own clients).
 *
 * @example
 * ```ts
 * const code = await runCli(createQuarantineCommands({ out: (l) => lines.push(l) }), ['quarantine', 'list', '--group', 'orders-svc']);
 * ```
 */
export function createQuarantineCommands(overrides: Partial<QuarantineCliDeps> = {}): Command[] {
  const deps: QuarantineCliDeps = { ...DEFAULT_DEPS, ...overrides };
  const bare: Command = {
    path: ['quarantine'],
    summary: 'list and replay records quarantined in probabilistic mode (list, replay)',
    help: QUARANTINE_HELP,
    options: { json: { type: 'boolean' } },
    run: async ({ positionals }) => {
      throw new UsageError(
        positionals.length > 0
          ? `Unknown quarantine command ${positionals[0]}: list or replay.`
          : 'Name a command: list or replay.',
      );
    },
  };
  return [
    bare,
    {
      path: ['quarantine', 'list'],
      summary: 'list records quarantined for a consumer group',
      help: LIST_HELP,
      options: { ...TABLE_OPTIONS, ...SELECTION_OPTIONS, status: { type: 'string' } },
      jsonErrorFields: { records: null },
      run: ({ values, positionals }) =>
        list(deps, listOptionsOf(values, positionals, deps.env), values.json === true),
    },
    {
      path: ['quarantine', 'replay'],
      summary: 're-produce quarantined records to their topic (dry run unless --execute)',
      help: REPLAY_HELP,
      options: {
        ...TABLE_OPTIONS,
        ...SELECTION_OPTIONS,
        id: { type: 'string', multiple: true },
        execute: { type: 'boolean' },
        brokers: { type: 'string' },
        ...KAFKA_AUTH_OPTIONS,
        by: { type: 'string' },
      },
      jsonErrorFields: { outcomes: null },
      run: ({ values, positionals }) =>
        replay(deps, replayOptionsOf(values, positionals, deps.env), values.json === true),
    },
  ];
}

/** `mskguard quarantine list|replay` with the real AWS SDK and kafkajs clients. */
export const quarantineCommands: Command[] = createQuarantineCommands();
