// Decision 0002 (addendum): `restore undo <restoreId>` finds the audit item by its id alone. It used
// to Scan the whole audit table, chunk items of large plans included (up to 350 KB each), so every
// large restore made every later undo slower and dearer, and the restore function needed an unscoped
// Scan grant. The table now has a sparse KEYS_ONLY index on `restoreId` (restore items only) that
// `find` queries, then reads the item consistently; a table without the index (created by an older
// version, a stack not yet deployed) is still scanned. On DynamoDB Local, through DynamoAuditStore.

import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables, tableDefinitions } from '#local/tables.ts';
import { AUDIT_RESTORE_ID_INDEX, DynamoAuditStore } from '#shared/restore/audit.ts';
import type { RestorePlan } from '#shared/restore/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { checkpointPlanOf, largeTopic } from './large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
/** An audit table as versions before the index created it: same keys, no index. */
const oldAudit = uniqueName('a-old');

/** A client that keeps every command it sends (name and input), for what find asked DynamoDB. */
function recording() {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const sender = {
    send: (command: object) => {
      const { input } = command as { input: Record<string, unknown> };
      sent.push({ name: command.constructor.name, input });
      return client.send(command as never);
    },
  };
  return { sender, sent };
}

/** A plan of `partitions` partitions of a fresh group (10,000: 4 plan chunks of up to 350 KB). */
async function planOf(partitions: number): Promise<RestorePlan> {
  const group = uniqueName('g-find');
  return checkpointPlanOf(largeTopic({ group, partitions }), group, randomUUID());
}

let large: RestorePlan;
let small: RestorePlan;
beforeAll(async () => {
  await ensureTables(client, tables);
  const audit = tableDefinitions(tables).find((t) => t.input.TableName === tables.audit)!.input;
  const { GlobalSecondaryIndexes: _, AttributeDefinitions, ...keys } = audit;
  await client.send(
    new CreateTableCommand({
      ...keys,
      TableName: oldAudit,
      AttributeDefinitions: AttributeDefinitions!.filter((a) => ['pk', 'sk'].includes(a.AttributeName!)),
    }),
  );
  [large, small] = [await planOf(10_000), await planOf(3)];
  const startedAt = new Date().toISOString();
  for (const table of [tables.audit, oldAudit]) {
    const store = new DynamoAuditStore(client, table);
    await store.start(large, startedAt);
    await store.start(small, startedAt);
  }
}, 120_000);
afterAll(() => client.destroy());

describe('DynamoAuditStore.find by restoreId', () => {
  it('queries the byRestoreId index and reads the item consistently, without scanning the table', async () => {
    // Prepare
    const { sender, sent } = recording();
    const store = new DynamoAuditStore(sender, tables.audit);

    // Act
    const found = await store.find(large.restoreId);
    const none = await store.find(randomUUID());

    // Assess
    expect(found?.plan).toEqual(large);
    expect(found).toMatchObject({ restoreId: large.restoreId, group: large.group, status: 'running' });
    expect(none).toBeNull();
    expect(sent.filter((c) => c.name === ScanCommand.name)).toEqual([]);
    const indexQueries = sent.filter((c) => c.input.IndexName === AUDIT_RESTORE_ID_INDEX);
    expect(indexQueries).toHaveLength(2);
    expect(sent.find((c) => c.name === 'GetItemCommand')?.input).toMatchObject({ ConsistentRead: true });
  });

  it('falls back to scanning a table created without the index, after DynamoDB refuses the index', async () => {
    // Prepare
    const { sender, sent } = recording();
    const store = new DynamoAuditStore(sender, oldAudit);

    // Act
    const found = await store.find(small.restoreId);

    // Assess
    expect(found?.plan).toEqual(small);
    // The index first (refused: ValidationException), then the Scan, paged through the chunks.
    const [first, ...rest] = sent;
    expect(first).toMatchObject({ name: QueryCommand.name, input: { IndexName: AUDIT_RESTORE_ID_INDEX } });
    expect(rest.length).toBeGreaterThan(0);
    expect(new Set(rest.map((c) => c.name))).toEqual(new Set([ScanCommand.name]));
  });

  it('names the missing index when the fallback Scan is refused too (a function without the Scan grant)', async () => {
    // Prepare: DynamoDB Local has no IAM; the refusal is the one AWS answers a role without dynamodb:Scan.
    const denied = {
      send: (command: object) => {
        if (command instanceof ScanCommand) {
          const error = new Error('User is not authorized to perform: dynamodb:Scan');
          error.name = 'AccessDeniedException';
          return Promise.reject(error);
        }
        return client.send(command as never);
      },
    };

    // Act
    const refused = await new DynamoAuditStore(denied, oldAudit).find(small.restoreId).catch((e: Error) => e);

    // Assess
    expect((refused as Error).message).toContain(`index ${AUDIT_RESTORE_ID_INDEX} unusable`);
    expect((refused as Error).message).toContain('does not have the specified index');
    expect((refused as Error).message).toContain('AccessDeniedException');
  });

  it('scans when the caller may not Query the index (an operator whose IAM names the table ARN only)', async () => {
    // Prepare: DynamoDB Local has no IAM; the refusal is the one AWS answers a Query of an index
    // whose ARN (<table>/index/<name>) the caller's policy does not name.
    const { sender, sent } = recording();
    const tableOnly = {
      send: (command: object) => {
        if (command instanceof QueryCommand && command.input.IndexName) {
          const error = new Error('User is not authorized to perform: dynamodb:Query on resource: …/index/…');
          error.name = 'AccessDeniedException';
          return Promise.reject(error);
        }
        return sender.send(command);
      },
    };

    // Act
    const found = await new DynamoAuditStore(tableOnly, tables.audit).find(small.restoreId);

    // Assess
    expect(found?.plan.rows).toHaveLength(3);
    expect(sent.map((c) => c.name)).toContain(ScanCommand.name);
  });

  it('indexes restore items only: no chunk item is ever an index entry, so find cannot return one', async () => {
    // Act: every entry of the index (a Scan of the index itself, a few hundred bytes per restore).
    const entries: Record<string, unknown>[] = [];
    let start: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const out = (await client.send(
        new ScanCommand({
          TableName: tables.audit,
          IndexName: AUDIT_RESTORE_ID_INDEX,
          ExclusiveStartKey: start,
        }),
      )) as ScanCommandOutput;
      entries.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    const chunks = (await client.send(
      new QueryCommand({
        TableName: tables.audit,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
        ExpressionAttributeValues: { ':pk': { S: large.group }, ':chunk': { S: '#plan#' } },
        Select: 'COUNT',
      }),
    )) as { Count: number };

    // Assess: 2 restores, while the table also holds the large plan's chunk items (sort keys `#plan#…`).
    expect(chunks.Count).toBeGreaterThan(0);
    expect(entries.map((e) => (e.restoreId as { S: string }).S).sort()).toEqual(
      [large.restoreId, small.restoreId].sort(),
    );
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['pk', 'restoreId', 'sk']);
      expect((entry.sk as { S: string }).S.startsWith('#')).toBe(false);
    }
  });
});
