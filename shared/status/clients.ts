import { DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoCheckpointStore } from '../checkpoints/dynamodb-store.ts';
import { QUARANTINE_ATTRIBUTES as Q, QUARANTINE_INDEX } from '../quarantine/schema.ts';
import { QuarantineStatus } from '../quarantine/types.ts';
import { createRestoreKafka, type KafkaConnectionOptions } from '../restore/clients.ts';
import type { StatusDeps } from './collect.ts';
import type { EsmStatus } from './types.ts';

/** Where status reads from; each table is optional. */
export interface StatusClientsConfig extends KafkaConnectionOptions {
  readonly checkpointTable?: string;
  readonly quarantineTable?: string;
  readonly dynamodbEndpoint?: string;
  readonly withLambda?: boolean;
  readonly progress?: (line: string) => void;
}

/** Counts a group's QUARANTINED records through the quarantine table's `byGroup` index (COUNT only). */
export async function countQuarantined(
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
export async function readEsm(lambda: Pick<LambdaClient, 'send'>, uuid: string): Promise<EsmStatus> {
  const { GetEventSourceMappingCommand } = await import('@aws-sdk/client-lambda');
  const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  return {
    uuid,
    state: m.State ?? 'Unknown',
    stateTransitionReason: m.StateTransitionReason ?? null,
    lastProcessingResult: m.LastProcessingResult ?? null,
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
  await admin.connect();
  const local = config.dynamodbEndpoint && !process.env.AWS_ACCESS_KEY_ID;
  const needsDynamo = config.checkpointTable || config.quarantineTable;
  const dynamodb = needsDynamo
    ? new DynamoDBClient({
        ...(config.region ? { region: config.region } : local ? { region: 'us-east-1' } : {}),
        ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
        ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      })
    : undefined;
  // Loaded only with --esm-uuid: each SDK client costs start-up time in the CLI.
  const lambda = config.withLambda
    ? new (await import('@aws-sdk/client-lambda')).LambdaClient(
        config.region ? { region: config.region } : {},
      )
    : undefined;
  const quarantineTable = config.quarantineTable;
  const deps: StatusDeps = {
    admin,
    ...(dynamodb && config.checkpointTable
      ? { checkpoints: new DynamoCheckpointStore(dynamodb, config.checkpointTable) }
      : {}),
    ...(dynamodb && quarantineTable
      ? { quarantineCount: (group: string) => countQuarantined(dynamodb, quarantineTable, group) }
      : {}),
    ...(lambda ? { esm: (uuid: string) => readEsm(lambda, uuid) } : {}),
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
