import { DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import type { GetEventSourceMappingCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { esmStartOf } from '../aws/esm-start.ts';
import { dynamoDbClientSettings, whereOf } from '../aws/sdk.ts';
import { cliTableHints, tableAccessError } from '../aws/table-errors.ts';
import { describeError } from '../checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '../checkpoints/dynamodb-store.ts';
import type { CheckpointStore } from '../checkpoints/types.ts';
import { QUARANTINE_ATTRIBUTES as Q, QUARANTINE_INDEX } from '../quarantine/schema.ts';
import { QuarantineStatus } from '../quarantine/types.ts';
import { connectBrokers, createRestoreKafka, type KafkaConnectionOptions } from '../restore/clients.ts';
import type { StatusDeps } from './collect.ts';
import { StatusEsmError, StatusTableError } from './errors.ts';
import type { EsmStatus } from './types.ts';

/** Where status reads from; each table is optional. */
export interface StatusClientsConfig extends KafkaConnectionOptions {
  readonly checkpointTable?: string;
  readonly quarantineTable?: string;
  readonly dynamodbEndpoint?: string;
  readonly withLambda?: boolean;
  readonly progress?: (line: string) => void;
}

/**
 * A failed read of a status table as a {@link StatusTableError} naming the table and where it was
 * looked for: the SDK's ResourceNotFoundException names neither.
 */
export function tableError(
  kind: 'checkpoint' | 'quarantine',
  table: string,
  where: string,
  cause: unknown,
): StatusTableError {
  return tableAccessError(`${kind} table ${table}`, where, cause, cliTableHints(`--${kind}-table`), {
    Err: StatusTableError,
  });
}

/** What to check when no broker answers `status`, in its command line's terms. */
export const STATUS_BROKERS_HINT =
  'Check --brokers (or KAFKA_BROKERS), --kafka-auth (or KAFKA_AUTH), and that this machine reaches ' +
  'them (MSK brokers are inside the VPC: run from there, or use a bastion).';

/** Counts a group's QUARANTINED records through the quarantine table's `byGroup` index (COUNT only). */
export async function countQuarantined(
  client: Pick<DynamoDBClient, 'send'>,
  table: string,
  group: string,
  where = 'the configured region',
): Promise<number> {
  try {
    return await countPages(client, table, group);
  } catch (error) {
    throw tableError('quarantine', table, where, error);
  }
}

async function countPages(
  client: Pick<DynamoDBClient, 'send'>,
  table: string,
  group: string,
): Promise<number> {
  let total = 0;
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const out: QueryCommandOutput = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: QUARANTINE_INDEX,
        KeyConditionExpression: '#g = :g',
        FilterExpression: '#s = :s',
        ExpressionAttributeNames: { '#g': Q.GROUP_INDEX_PARTITION_KEY, '#s': Q.STATUS },
        ExpressionAttributeValues: { ':g': { S: group }, ':s': { S: QuarantineStatus.Quarantined } },
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    total += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return total;
}

/** GetEventSourceMapping, reduced to what status shows. */
export async function readEsm(
  lambda: Pick<LambdaClient, 'send'>,
  uuid: string,
  where = 'the configured region',
): Promise<EsmStatus> {
  const { GetEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
  let m: GetEventSourceMappingCommandOutput;
  try {
    m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  } catch (error) {
    const notFound = (error as { name?: string } | null)?.name === 'ResourceNotFoundException';
    throw new StatusEsmError(
      notFound
        ? `No event source mapping ${uuid} in ${where}.`
        : `Cannot read event source mapping ${uuid} (lambda:GetEventSourceMapping, ${where}): ${describeError(error)}`,
      {
        cause: error,
        hint: notFound
          ? 'Check --esm-uuid (aws lambda list-event-source-mappings) and --region.'
          : 'Check the AWS credentials and --region, then retry; without --esm-uuid status skips the ESM.',
      },
    );
  }
  return {
    uuid,
    state: m.State ?? 'Unknown',
    stateTransitionReason: m.StateTransitionReason ?? null,
    lastProcessingResult: m.LastProcessingResult ?? null,
    // Since when and from where a consumer without checkpoints should have made progress (decision
    // 0024); left out, not null, when unknown, so `--json` only gains fields.
    ...esmStartOf(m),
  };
}

/** The checkpoint reads of status, failing with a {@link StatusTableError} that names the table. */
export function readableCheckpoints(
  store: Pick<CheckpointStore, 'listCurrent'>,
  table: string,
  where: string,
): Pick<CheckpointStore, 'listCurrent'> {
  return {
    listCurrent: async (group, topic) => {
      try {
        return await store.listCurrent(group, topic);
      } catch (error) {
        throw tableError('checkpoint', table, where, error);
      }
    },
  };
}

/**
 * Connects what `mskguard status` reads: a kafkajs admin, DynamoDB (checkpoints, quarantine) when
 * a table is named, and the Lambda API when an ESM is named.
 *
 * @example
 * ```ts
 * const clients = await openStatusClients({ brokers, checkpointTable });
 * try { await collectStatus(clients.deps, { group, topic }); } finally { await clients.close(); }
 * ```
 */
export async function openStatusClients(
  config: StatusClientsConfig,
): Promise<{ deps: StatusDeps; close(): Promise<void> }> {
  const kafka = await createRestoreKafka({ clientId: 'mskguard-status', ...config });
  const admin = kafka.admin();
  await connectBrokers(admin, { brokers: config.brokers, brokersHint: STATUS_BROKERS_HINT });
  const where = whereOf(config);
  const needsDynamo = config.checkpointTable || config.quarantineTable;
  const dynamodb = needsDynamo ? new DynamoDBClient(dynamoDbClientSettings(config)) : undefined;
  // Loaded only with --esm-uuid: each SDK client costs start-up time in the CLI.
  const lambda = config.withLambda
    ? new (await import('@aws-sdk/client-lambda')).LambdaClient(
        config.region ? { region: config.region } : {},
      )
    : undefined;
  const { checkpointTable, quarantineTable } = config;
  const deps: StatusDeps = {
    admin,
    ...(dynamodb && checkpointTable
      ? {
          checkpoints: readableCheckpoints(
            new DynamoCheckpointStore(dynamodb, checkpointTable),
            checkpointTable,
            where,
          ),
        }
      : {}),
    ...(dynamodb && quarantineTable
      ? { quarantineCount: (group: string) => countQuarantined(dynamodb, quarantineTable, group, where) }
      : {}),
    ...(lambda
      ? {
          esm: (uuid: string) =>
            // The Lambda API has no local endpoint here: its region only.
            readEsm(lambda, uuid, whereOf({ region: config.region })),
        }
      : {}),
    ...(config.progress ? { progress: config.progress } : {}),
  };
  return {
    deps,
    close: async () => {
      await admin.disconnect();
      dynamodb?.destroy();
      lambda?.destroy();
    },
  };
}
