import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { type KafkaAuthMode, kafkaAuthConfig } from '../aws/kafka-auth.ts';
import { dynamoDbClientSettings, whereOf } from '../aws/sdk.ts';
import { inCallerTerms, type TableHints } from '../aws/table-errors.ts';
import { describeError, TableNotFoundError } from '../checkpoints/dynamodb.ts';
import { DynamoCheckpointStore } from '../checkpoints/dynamodb-store.ts';
import { CheckpointReadError, CheckpointWriteError } from '../checkpoints/errors.ts';
import type { CheckpointStore } from '../checkpoints/types.ts';
import { ConfigurationError, MskGuardError } from '../errors.ts';
import { BrokersUnreachableError } from '../status/errors.ts';
import { DynamoAuditStore } from './audit.ts';
import { KafkaConsumerOffsetsReader } from './consumer-offsets-reader.ts';
import type { RestoreDeps } from './engine.ts';
import { RestoreUsageError } from './errors.ts';
import { directOffsetWriter } from './offset-commit.ts';
import type { ProgressSink } from './types.ts';

export type { KafkaAuthMode } from '../aws/kafka-auth.ts';

/** How restore, status, the watchdog and quarantine replay reach the brokers. */
export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  /** @default 'none' */
  readonly auth?: KafkaAuthMode;
  /** Needed by `iam` (token signing) and `scram` (Secrets Manager). */
  readonly region?: string;
  /** Secret holding `{"username","password"}` when auth is `scram`. */
  readonly scramSecretArn?: string;
  /** @default 'mskguard-restore' */
  readonly clientId?: string;
}

/** Where the tables and the Lambda API are. */
export interface RestoreClientsConfig extends KafkaConnectionOptions {
  /** Read by checkpoint, history and auto, written by reprocess; timestamp, consumer-offsets and file need none. */
  readonly checkpointTable?: string;
  /** Required to execute; a dry run needs none. */
  readonly auditTable?: string;
  /** DynamoDB Local and the like; fake credentials are used when none are configured. */
  readonly dynamodbEndpoint?: string;
  /** Create the Lambda client (only when an ESM is to be toggled). */
  readonly withLambda?: boolean;
  readonly progress?: ProgressSink;
  /**
   * What to check when no broker answers, in the caller's terms (the CLI's flags, the function's
   * environment). @default {@link BROKERS_HINT}
   */
  readonly brokersHint?: string;
  /**
   * What to check when the checkpoint table is missing or cannot be reached, in the caller's terms.
   * @default {@link CHECKPOINT_TABLE_HINTS}
   */
  readonly checkpointTableHints?: TableHints;
  /**
   * What to check when the audit table is missing or cannot be reached, in the caller's terms.
   * @default {@link AUDIT_TABLE_HINTS}
   */
  readonly auditTableHints?: TableHints;
}

/** What to check when no broker answers, for a caller that names no flags or variables. */
export const BROKERS_HINT =
  'Check the brokers, the Kafka auth mode and that this host reaches them, then retry.';

/** What to check about the checkpoint table, for a caller that names no flags or variables. */
export const CHECKPOINT_TABLE_HINTS: TableHints = {
  notFound:
    'Deploy the stack that creates it, or name the right table and region (--checkpoint-table for the CLI, ' +
    'MSKGUARD_CHECKPOINT_TABLE for the restore function).',
  unreachable: 'Check the AWS credentials, the region and the DynamoDB endpoint, then retry.',
};

/** The engine's dependencies, and how to release them. */
export interface RestoreClients {
  readonly deps: RestoreDeps;
  close(): Promise<void>;
}

/**
 * A kafkajs client for restore, status and the watchdog: plaintext for local brokers, TLS alone, or
 * TLS + MSK IAM (OAUTHBEARER tokens from aws-msk-iam-sasl-signer-js) or TLS + SCRAM for MSK.
 *
 * @example
 * ```ts
 * const kafka = await createRestoreKafka({ brokers: ['b-1:9098'], auth: 'iam', region: 'eu-west-1' });
 * ```
 */
export async function createRestoreKafka(options: KafkaConnectionOptions): Promise<Kafka> {
  if (options.brokers.length === 0)
    throw new ConfigurationError('No Kafka brokers: pass --brokers or set KAFKA_BROKERS.');
  const config: KafkaConfig = {
    clientId: options.clientId ?? 'mskguard-restore',
    brokers: [...options.brokers],
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 5 },
    logLevel: logLevel.NOTHING,
    ...(await kafkaAuthConfig(options)),
  };
  return new Kafka(config);
}

/**
 * The checkpoint store of a run without `--checkpoint-table`: strategies that never read it work;
 * one that does gets a typed error that names the missing option instead of a DynamoDB error.
 */
export function noCheckpointTable(): CheckpointStore {
  const missing = async (): Promise<never> => {
    throw new RestoreUsageError(
      'This restore reads or writes the checkpoint table (strategies checkpoint, history, auto; --mode reprocess): ' +
        'pass --checkpoint-table or set MSKGUARD_CHECKPOINT_TABLE.',
    );
  };
  return {
    load: missing,
    advance: missing,
    listCurrent: missing,
    historyAt: missing,
    committedOwners: missing,
    bumpEpoch: missing,
  };
}

/** Whether a checkpoint store's error is a failed read or write of its table (else undefined). */
function checkpointTableFailure(error: unknown): 'read' | 'write' | undefined {
  if (error instanceof CheckpointWriteError) return 'write';
  return error instanceof CheckpointReadError || error instanceof TableNotFoundError ? 'read' : undefined;
}

/**
 * The checkpoint store of a run, failing with a TableAccessError that names the table, where it was
 * looked for and what to check in the caller's terms: the store's own errors name the guarded
 * function's MSKGUARD_CHECKPOINT_TABLE.
 */
function reportingCheckpoints(
  store: CheckpointStore,
  table: string,
  where: string,
  hints: TableHints = CHECKPOINT_TABLE_HINTS,
): CheckpointStore {
  const what = `checkpoint table ${table}`;
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw inCallerTerms(error, what, where, hints, checkpointTableFailure);
    }
  };
  return {
    load: (...args) => call(() => store.load(...args)),
    advance: (...args) => call(() => store.advance(...args)),
    listCurrent: (...args) => call(() => store.listCurrent(...args)),
    historyAt: (...args) => call(() => store.historyAt(...args)),
    committedOwners: (...args) => call(() => store.committedOwners(...args)),
    bumpEpoch: (...args) => call(() => store.bumpEpoch(...args)),
  };
}

/**
 * Connects the admin, or throws a {@link BrokersUnreachableError} that names the brokers and what
 * to check: kafkajs's `KafkaJSNumberOfRetriesExceeded` names neither. A typed error raised while
 * connecting (the IAM or SCRAM credentials, say) is passed on as it is. Restore and status both
 * connect through it.
 */
export async function connectBrokers(
  admin: Pick<Admin, 'connect'>,
  config: Pick<RestoreClientsConfig, 'brokers' | 'brokersHint'>,
): Promise<void> {
  try {
    await admin.connect();
  } catch (error) {
    if (error instanceof MskGuardError) throw error;
    throw new BrokersUnreachableError(
      `Cannot connect to the brokers ${config.brokers.join(',')}: ${describeError(error)}`,
      { cause: error, hint: config.brokersHint ?? BROKERS_HINT },
    );
  }
}

/**
 * Connects everything the engine needs: kafkajs admin, the checkpoint store, the consumer-offsets
 * reader, the audit store and (optionally) the Lambda client for the ESM.
 *
 * @example
 * ```ts
 * const clients = await openRestoreClients({ brokers, checkpointTable, auditTable, region });
 * try { await runRestore(request, clients.deps); } finally { await clients.close(); }
 * ```
 */
export async function openRestoreClients(config: RestoreClientsConfig): Promise<RestoreClients> {
  const kafka = await createRestoreKafka(config);
  const admin = kafka.admin();
  await connectBrokers(admin, config);
  const dynamodb = new DynamoDBClient(dynamoDbClientSettings(config));
  const offsets = directOffsetWriter(kafka);
  const lambda = config.withLambda
    ? new (await import('@aws-sdk/client-lambda')).LambdaClient(
        config.region ? { region: config.region } : {},
      )
    : undefined;
  const { EventSourceMappingToggle } = lambda ? await import('./esm.ts') : { EventSourceMappingToggle: null };
  const deps: RestoreDeps = {
    admin,
    checkpoints: config.checkpointTable
      ? reportingCheckpoints(
          new DynamoCheckpointStore(dynamodb, config.checkpointTable),
          config.checkpointTable,
          whereOf(config),
          config.checkpointTableHints,
        )
      : noCheckpointTable(),
    offsets,
    consumerOffsets: new KafkaConsumerOffsetsReader(kafka, admin),
    ...(config.auditTable
      ? {
          audit: new DynamoAuditStore(dynamodb, config.auditTable, whereOf(config), config.auditTableHints),
        }
      : {}),
    ...(lambda && EventSourceMappingToggle ? { esm: new EventSourceMappingToggle(lambda) } : {}),
    ...(config.progress ? { progress: config.progress } : {}),
  };
  return {
    deps,
    close: async () => {
      await Promise.all([admin.disconnect(), offsets.close()]);
      dynamodb.destroy();
      lambda?.destroy();
    },
  };
}
