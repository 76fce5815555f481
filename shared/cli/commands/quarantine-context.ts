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
import type { QuarantineTableOptions } from '../../quarantine/cli-options.ts';
import { QuarantineReadError, QuarantineWriteError } from '../../quarantine/errors.ts';
import { QuarantineStore } from '../../quarantine/store.ts';
import type { QuarantinedRecord, QuarantineSummary } from '../../quarantine/types.ts';
import type { KafkaConnectionOptions } from '../../restore/clients.ts';
import { type DefaultRegion, requireAwsRegion, runRegion } from '../aws-region.ts';

/*
 * What `mskguard quarantine list` and `replay` share: how they reach the quarantine table, and how
 * they print records.
 */

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

export const DEFAULT_DEPS: QuarantineCliDeps = {
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

export function summaryRows(items: readonly (QuarantineSummary | QuarantinedRecord)[]): string[] {
  return formatTable(
    ['GROUP', 'RECORD', 'QUARANTINED AT', 'REASON', 'STATUS'],
    items.map((s) => [s.group, `${s.topic}-${s.partition}@${s.offset}`, s.quarantinedAt, s.reason, s.status]),
  );
}

export const asJson = (answer: object): string => JSON.stringify(answer, null, 2);

/** Runs `run` with a store on the table the options name; its errors in the command line's terms. */
export async function withStore<T>(
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
