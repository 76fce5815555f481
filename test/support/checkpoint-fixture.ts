import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import type { StackEndpoints } from '#local/stack-config.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import type { CheckpointStore } from '#shared/checkpoints/types.ts';
import { ADAPTERS } from './runners.ts';
import { stackEnv, uniqueName } from './stack.ts';

/** A checkpoint store on DynamoDB Local, on fresh table names (the tables are created by the caller). */
export function localCheckpointStore(env: StackEndpoints = stackEnv()) {
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
  return { ddb, tables, store: new DynamoCheckpointStore(ddb, tables.checkpoints) };
}

/**
 * For a `describe` of middleware tests on the real services: fresh DynamoDB Local tables and a
 * checkpoint store on them, and a RESP cache runner; created before the suite's tests, closed
 * after them.
 *
 * @example
 * ```ts
 * describe('checkpoints', () => {
 *   const { store, runner } = useCheckpointStore();
 *   it('...', async () => guardedConsumer({ consumerGroup: 'g', cache: runner, checkpoints: store }));
 * });
 * ```
 */
export function useCheckpointStore() {
  const env = stackEnv();
  const { ddb, tables, store } = localCheckpointStore(env);
  const runner = ADAPTERS.resp();
  beforeAll(() => ensureTables(ddb, tables));
  afterAll(async () => {
    await runner.close();
    ddb.destroy();
  });
  return { env, ddb, tables, store, runner };
}

/**
 * `inner` with some of its calls replaced (a fault, a counter, a crash point); the others go to
 * `inner` unchanged.
 */
export function storeWith(inner: CheckpointStore, replaced: Partial<CheckpointStore>): CheckpointStore {
  return {
    load: (group, partitions) => inner.load(group, partitions),
    advance: (group, updates, meta) => inner.advance(group, updates, meta),
    listCurrent: (group, topic) => inner.listCurrent(group, topic),
    historyAt: (group, topic, at) => inner.historyAt(group, topic, at),
    committedOwners: (group, owners) => inner.committedOwners(group, owners),
    bumpEpoch: (group, meta) => inner.bumpEpoch(group, meta),
    ...replaced,
  };
}
