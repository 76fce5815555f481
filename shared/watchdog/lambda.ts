import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Admin } from 'kafkajs';
import { DynamoCheckpointStore } from '../checkpoints/dynamodb-store.ts';
import { ConfigurationError } from '../errors.ts';
import { createRestoreKafka, type KafkaConnectionOptions } from '../restore/clients.ts';
import { type EmfSink, stdoutSink } from './emit.ts';
import { runWatchdog, type WatchdogReport } from './run.ts';
import { AuditRestoreActivity, LambdaEsmStatusSource } from './sources.ts';
import type { WatchdogTarget } from './types.ts';

/** Environment variables the stack sets on the watchdog besides the shared FUNCTION_ENV ones. */
export const WATCHDOG_ENV = {
  /** JSON array of {@link WatchdogTarget}. */
  TARGETS: 'MSKGUARD_WATCHDOG_TARGETS',
  /** The restore function's timeout in seconds: an audit item `running` for longer is a dead run. */
  MAX_RESTORE_SECONDS: 'MSKGUARD_MAX_RESTORE_SECONDS',
} as const;

/** What the watchdog Lambda is wired with (functions/watchdog.ts reads it from the environment). */
export interface WatchdogLambdaConfig extends KafkaConnectionOptions {
  readonly targets: readonly WatchdogTarget[];
  readonly checkpointTable: string;
  readonly auditTable: string;
  readonly maxRestoreSeconds: number;
  /** DynamoDB Local and the like (tests); fake credentials are used when none are configured. */
  readonly dynamodbEndpoint?: string;
  /** @default stdout */
  readonly sink?: EmfSink;
}

/** Parses MSKGUARD_WATCHDOG_TARGETS, with the fix in the error. */
export function parseTargets(raw: string | undefined): WatchdogTarget[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? '');
  } catch {
    throw new ConfigurationError(
      `${WATCHDOG_ENV.TARGETS} must be a JSON array of targets, got ${String(raw)}.`,
    );
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.every(
      (t) =>
        t &&
        typeof t.consumerGroupId === 'string' &&
        typeof t.topic === 'string' &&
        typeof t.eventSourceMappingId === 'string' &&
        typeof t.functionName === 'string',
    );
  if (!ok)
    throw new ConfigurationError(
      `${WATCHDOG_ENV.TARGETS}: each target needs consumerGroupId, topic, eventSourceMappingId and functionName.`,
    );
  return parsed as WatchdogTarget[];
}

/**
 * The watchdog as a scheduled Lambda handler: one run per EventBridge event, one EMF line per
 * consumer. Clients are created once per container; the admin connection is reused.
 *
 * @example
 * ```ts
 * export const handler = createWatchdogHandler({ brokers, auth: 'iam', region, targets, checkpointTable, auditTable, maxRestoreSeconds: 600 });
 * ```
 */
export function createWatchdogHandler(config: WatchdogLambdaConfig): () => Promise<WatchdogReport> {
  const local = config.dynamodbEndpoint && !process.env.AWS_ACCESS_KEY_ID;
  const dynamodb = new DynamoDBClient({
    ...(config.region ? { region: config.region } : local ? { region: 'us-east-1' } : {}),
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  const lambda = new LambdaClient({ region: config.region ?? 'us-east-1' });
  const deps = {
    esm: new LambdaEsmStatusSource(lambda),
    restores: new AuditRestoreActivity(dynamodb, config.auditTable, config.maxRestoreSeconds),
    checkpoints: new DynamoCheckpointStore(dynamodb, config.checkpointTable),
  };
  let admin: Promise<Admin> | undefined;
  const connect = async (): Promise<Admin> => {
    const kafka = await createRestoreKafka({ ...config, clientId: config.clientId ?? 'mskguard-watchdog' });
    const a = kafka.admin();
    await a.connect();
    return a;
  };
  return async () => {
    admin ??= connect().catch((error) => {
      admin = undefined;
      throw error;
    });
    // Without the broker the ESM and checkpoints are still measured; lag and staleness go missing.
    const connected = await admin.catch((error: Error) => brokenAdmin(error));
    return runWatchdog(config.targets, { ...deps, admin: connected }, config.sink ?? stdoutSink);
  };
}

function brokenAdmin(error: Error): Admin {
  const fail = () => Promise.reject(error);
  return {
    fetchTopicOffsets: fail,
    fetchOffsets: fail,
    fetchTopicOffsetsByTimestamp: fail,
  } as unknown as Admin;
}
