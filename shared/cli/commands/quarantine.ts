import { userInfo } from 'node:os';
// Light imports only: the AWS SDK and kafkajs are imported when a command runs, so that
// `mskguard --help` starts fast.
import type { Kafka, KafkaConfig } from 'kafkajs';
import type { DynamoDBSender } from '../../checkpoints/dynamodb.ts';
import { QuarantineRecordNotFoundError } from '../../quarantine/errors.ts';
import { parseQuarantineId } from '../../quarantine/id.ts';
import { type ReplayOutcome, replayRecords, unreplayableReason } from '../../quarantine/replay.ts';
import { QuarantineStore } from '../../quarantine/store.ts';
import { type QuarantinedRecord, QuarantineStatus, type QuarantineSummary } from '../../quarantine/types.ts';
import { type Command, UsageError } from '../command.ts';

/** How the CLI reaches DynamoDB, Kafka and the terminal; tests replace parts of it. */
export interface QuarantineCliDeps {
  /** A DynamoDB client (`endpoint` from --endpoint, else the SDK's own resolution). */
  dynamodb(
    endpoint: string | undefined,
  ): (DynamoDBSender & { destroy?(): void }) | Promise<DynamoDBSender & { destroy?(): void }>;
  /** A kafkajs client for the brokers and auth mode. */
  kafka(brokers: string[], auth: KafkaAuth): Promise<Pick<Kafka, 'producer'>>;
  /** Results (tables, summaries). */
  out(line: string): void;
  /** Progress and notes. */
  err(line: string): void;
}

/** How the replay producer authenticates to the brokers. */
export type KafkaAuth = 'plaintext' | 'tls' | 'iam';

const DEFAULT_DEPS: QuarantineCliDeps = {
  dynamodb: async (endpoint) =>
    new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient(endpoint ? { endpoint } : {}),
  kafka: async (brokers, auth) => new (await import('kafkajs')).Kafka(await kafkaConfig(brokers, auth)),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function kafkaConfig(brokers: string[], auth: KafkaAuth): Promise<KafkaConfig> {
  const { logLevel } = await import('kafkajs');
  const base = { clientId: 'mskguard-quarantine-replay', brokers, logLevel: logLevel.WARN };
  if (auth === 'plaintext') return base;
  if (auth === 'tls') return { ...base, ssl: true };
  const region = process.env.AWS_REGION;
  if (!region)
    throw new UsageError('--kafka-auth iam needs AWS_REGION (the MSK cluster region) in the environment.');
  const { generateAuthToken } = (await import('aws-msk-iam-sasl-signer-js')).default;
  return {
    ...base,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
    },
  };
}

const COMMON_OPTIONS = {
  group: { type: 'string' },
  table: { type: 'string' },
  endpoint: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
} as const;

const COMMON_HELP = `  --group <id>        consumer group whose quarantine to read (required unless --id is given)
  --table <name>      quarantine table (default: env MSKGUARD_QUARANTINE_TABLE)
  --since <when>      only records quarantined at or after: an ISO-8601 time, or 30m, 12h, 7d ago
  --limit <n>         at most n records, oldest first (default 50)
  --endpoint <url>    DynamoDB endpoint (DynamoDB Local); the SDK also reads AWS_ENDPOINT_URL_DYNAMODB`;

type Values = Record<string, unknown>;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function parseSince(raw: string | undefined, now = Date.now()): Date | undefined {
  if (raw === undefined) return undefined;
  const relative = /^(\d+)([mhd])$/.exec(raw);
  if (relative)
    return new Date(
      now - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm'],
    );
  const at = new Date(raw);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`--since ${raw}: expected an ISO-8601 time or 30m, 12h, 7d.`);
  return at;
}

function parseLimit(raw: string | undefined): number {
  const limit = Number(raw ?? 50);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit ${raw}: expected a whole number >= 1.`);
  return limit;
}

function tableName(values: Values): string {
  const table = str(values, 'table') ?? process.env.MSKGUARD_QUARANTINE_TABLE;
  if (!table)
    throw new UsageError('No quarantine table: pass --table <name> or set MSKGUARD_QUARANTINE_TABLE.');
  return table;
}

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

async function withStore<T>(
  deps: QuarantineCliDeps,
  values: Values,
  run: (store: QuarantineStore) => Promise<T>,
): Promise<T> {
  const client = await deps.dynamodb(str(values, 'endpoint'));
  try {
    return await run(new QuarantineStore(client, tableName(values)));
  } finally {
    client.destroy?.();
  }
}

/** The records a replay selects: by --id (all must exist), else the group's QUARANTINED ones. */
async function selectForReplay(store: QuarantineStore, values: Values): Promise<QuarantinedRecord[]> {
  const ids = (values.id as string[] | undefined) ?? [];
  if (ids.length > 0) {
    for (const id of ids) parseQuarantineId(id);
    const found = await store.getMany(ids);
    const missing = ids.find((id) => !found.some((r) => r.id === id));
    if (missing) throw new QuarantineRecordNotFoundError(missing);
    return found;
  }
  const group = str(values, 'group');
  if (!group)
    throw new UsageError('Name the records to replay: --group <id> (with --since/--limit) or --id <id>.');
  const since = parseSince(str(values, 'since'));
  const listed = await store.list({
    group,
    limit: parseLimit(str(values, 'limit')),
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

async function replay(deps: QuarantineCliDeps, values: Values): Promise<number> {
  return withStore(deps, values, async (store) => {
    const records = await selectForReplay(store, values);
    if (records.length === 0) {
      deps.out('Nothing to replay: no record in status QUARANTINED matches.');
      return 0;
    }
    if (values.execute !== true) {
      deps.out(summaryRows(records).join('\n'));
      const replayable = records.filter((r) => !unreplayableReason(r));
      for (const r of records) {
        const reason = unreplayableReason(r);
        if (reason) deps.err(`would skip ${r.id}: ${reason}`);
      }
      deps.out(
        `Dry run: would re-produce ${replayable.length} of ${records.length} records to their topic-partition ` +
          `with header mskguard-replay. Nothing was produced; add --execute to replay.`,
      );
      return 0;
    }
    const brokers = (str(values, 'brokers') ?? process.env.MSKGUARD_KAFKA_BROKERS ?? '')
      .split(',')
      .filter(Boolean);
    if (brokers.length === 0)
      throw new UsageError('--execute needs --brokers host:port[,host:port] (or MSKGUARD_KAFKA_BROKERS).');
    const auth = (str(values, 'kafka-auth') ?? 'plaintext') as KafkaAuth;
    if (!['plaintext', 'tls', 'iam'].includes(auth))
      throw new UsageError(`--kafka-auth ${auth}: plaintext, tls or iam.`);
    const { Partitioners } = await import('kafkajs');
    const producer = (await deps.kafka(brokers, auth)).producer({
      allowAutoTopicCreation: false,
      // Every message names its partition; this only silences kafkajs' partitioner-change warning.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const summary = await replayRecords(records, {
        producer,
        store,
        by: str(values, 'by') ?? userInfo().username,
        onProgress: (done, total, id, outcome) =>
          deps.err(`[${done}/${total}] ${id} ${describeOutcome(outcome)}`),
      });
      deps.out(
        `replayed ${summary.replayed}, skipped ${summary.skipped}, raced ${summary.raced} (of ${records.length})`,
      );
      return summary.skipped + summary.raced > 0 ? 3 : 0;
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
  return [
    {
      path: ['quarantine', 'list'],
      summary: 'list records quarantined for a consumer group',
      help: `Usage: mskguard quarantine list --group <id> [options]

Lists a group's quarantined records, oldest first, from the quarantine table's byGroup index:
group, record (topic-partition@offset), quarantine time, reason, status. The id of a record for
'replay --id' is <group>/<record>.

Options:
${COMMON_HELP}
  --status <s>        quarantined, replayed or all (default all)

Examples:
  mskguard quarantine list --group orders-svc --since 24h
  mskguard quarantine list --group orders-svc --status quarantined --table prod-Quarantine --limit 200`,
      options: { ...COMMON_OPTIONS, status: { type: 'string' } },
      run: async ({ values }) => {
        const group = str(values, 'group');
        if (!group) throw new UsageError('--group <id> is required.');
        const status = (str(values, 'status') ?? 'all').toUpperCase();
        if (!['ALL', QuarantineStatus.Quarantined, QuarantineStatus.Replayed].includes(status)) {
          throw new UsageError(`--status ${str(values, 'status')}: quarantined, replayed or all.`);
        }
        const since = parseSince(str(values, 'since'));
        const limit = parseLimit(str(values, 'limit'));
        const items = await withStore(deps, values, (store) =>
          store.list({
            group,
            limit,
            ...(since ? { since } : {}),
            ...(status === 'ALL' ? {} : { status: status as QuarantineStatus }),
          }),
        );
        if (items.length > 0) deps.out(summaryRows(items).join('\n'));
        deps.out(
          `${items.length} record${items.length === 1 ? '' : 's'}${items.length === limit ? ` (limit ${limit}; more may exist)` : ''}`,
        );
        return 0;
      },
    },
    {
      path: ['quarantine', 'replay'],
      summary: 're-produce quarantined records to their topic (dry run unless --execute)',
      help: `Usage: mskguard quarantine replay (--group <id> [--since] [--limit] | --id <id>...) [--execute --brokers <list>]

Re-produces quarantined records to their original topic and partition with the same key, value and
headers, plus a header 'mskguard-replay: <id>', then marks them REPLAYED (who, when, new offset).
Replaying writes to production topics, so without --execute it only prints what it would do.
Records already replayed, or stored truncated (payload over the 400 KB item limit), are skipped.
Exit code 0 when every selected record was replayed, 3 when some were skipped or raced.

Options:
${COMMON_HELP}
  --id <id>           a record to replay, as printed by list: <group>/<topic>-<partition>@<offset> (repeatable)
  --execute           produce for real (default: dry run)
  --brokers <list>    bootstrap brokers host:port[,host:port] (default: env MSKGUARD_KAFKA_BROKERS)
  --kafka-auth <a>    plaintext (default), tls, or iam (MSK IAM; needs AWS_REGION)
  --by <name>         recorded as who replayed (default: the OS user)

Examples:
  mskguard quarantine replay --group orders-svc --since 2h
  mskguard quarantine replay --group orders-svc --since 2h --execute --brokers b-1.msk:9098 --kafka-auth iam
  mskguard quarantine replay --id orders-svc/orders-3@1234 --execute --brokers localhost:9092`,
      options: {
        ...COMMON_OPTIONS,
        id: { type: 'string', multiple: true },
        execute: { type: 'boolean' },
        brokers: { type: 'string' },
        'kafka-auth': { type: 'string' },
        by: { type: 'string' },
      },
      run: ({ values }) => replay(deps, values),
    },
  ];
}

/** `mskguard quarantine list|replay` with the real AWS SDK and kafkajs clients. */
export const quarantineCommands: Command[] = createQuarantineCommands();
