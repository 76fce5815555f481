// Decision 0025, addendum (G6: the caller learns what a restore did): Lambda answers a synchronous
// invocation with at most 6 MB. The answer of a 10,000-partition `auto` restore (plan and result) is
// ~10 MB: the restore ran, committed and was audited, and the caller got Function.ResponseSizeTooLarge,
// which `--via-lambda --execute` reports as an unknown outcome (exit 4). The function now answers a
// compact form under 5 MB naming its audit item. DynamoDB Local holds the audit; the broker is the
// large-topic fake; only the Lambda data plane is mocked, with the service's size limit.

import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { ANSWER_LIMIT_BYTES } from '#shared/restore/answer-limit.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import type { RestoreClients } from '#shared/restore/clients.ts';
import type { CompactRestoreAnswer } from '#shared/restore/compact-answer.ts';
import { createRestoreHandler } from '#shared/restore/lambda.ts';
import { capturedRestoreIo, runRestore } from '#test/support/restore-cli.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { largeTopic } from './large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const audit = new DynamoAuditStore(client, tables.audit);
const lambda = mockClient(LambdaClient);

/** What the Lambda runtime reports as the most a synchronous invocation may answer ("6 MB"). */
const LAMBDA_RESPONSE_LIMIT = 6_291_556;
/** `auto --at` this time: every checkpoint lies below the log start, so each partition lists four verdicts. */
const AT = '2026-11-20T09:00:00.000Z';
const SILENT = { info: () => {}, warn: () => {}, error: () => {} };

beforeAll(async () => {
  await ensureTables(client, tables);
});
afterEach(() => lambda.reset());
afterAll(() => client.destroy());

/** A group on a 10,000-partition topic whose checkpoints retention has passed. */
function staleTopic() {
  const group = uniqueName('g-answer');
  return { group, topic: largeTopic({ group, partitions: 10_000, staleCheckpoints: true }) };
}

/** The restore function as functions/restore.ts wires it, over the fake broker and the real audit table. */
function restoreFunction(topic: ReturnType<typeof largeTopic>) {
  const clients: RestoreClients = { deps: topic.deps(audit), close: async () => {} };
  return createRestoreHandler({
    brokers: ['unused:9092'],
    checkpointTable: tables.checkpoints,
    auditTable: tables.audit,
    targets: null,
    logger: SILENT,
    metricsSink: () => {},
    openClients: async () => clients,
  });
}

/** The Lambda service in front of `handler`: an answer over its limit becomes the function error it sends. */
function deployed(handler: ReturnType<typeof restoreFunction>): void {
  lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput) => {
    const event = JSON.parse(Buffer.from(input.Payload as string | Uint8Array).toString('utf8'));
    const answer = JSON.stringify(await handler(event, { functionName: input.FunctionName }));
    const bytes = Buffer.byteLength(answer, 'utf8');
    if (bytes <= LAMBDA_RESPONSE_LIMIT) return { StatusCode: 200, Payload: Buffer.from(answer) };
    const error = {
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${LAMBDA_RESPONSE_LIMIT} bytes).`,
    };
    return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify(error)) };
  });
}

/** `mskguard restore auto ... --execute --via-lambda` on `group`, with its exit code and output. */
async function viaLambda(group: string, topic: string, ...flags: string[]) {
  const notUsed = (async () => {
    throw new Error('--via-lambda must not connect locally');
  }) as never;
  const { out, io } = capturedRestoreIo(notUsed, {});
  const argv = ['auto', '--group', group, '--topic', topic, '--at', AT, '--execute'];
  const code = await runRestore(io, [
    ...argv,
    '--via-lambda',
    'mskguard-restore',
    '--region',
    'eu-west-1',
    ...flags,
  ]);
  return { code, ...out };
}

describe('the restore function answers a restore over many partitions', () => {
  it('answers a 10,000-partition auto restore in under 5 MB: counts, applied entries and the audit item holding the full plan', async () => {
    // Prepare
    const { group, topic } = staleTopic();
    const handler = restoreFunction(topic);

    // Act
    const answer = (await handler({
      group,
      topic: topic.topic,
      strategy: 'auto',
      at: AT,
      execute: true,
    })) as CompactRestoreAnswer;

    // Assess
    expect(Buffer.byteLength(JSON.stringify(answer), 'utf8')).toBeLessThanOrEqual(ANSWER_LIMIT_BYTES);
    expect([answer.ok, answer.exitCode, answer.result?.status]).toEqual([true, 0, 'succeeded']);
    expect('rows' in answer.plan || 'considered' in answer.plan).toBe(false);
    const record = await audit.find(answer.plan.restoreId);
    const { omitted } = answer;
    expect(omitted.fullBytes).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT);
    expect(omitted).toMatchObject({
      fields: ['plan.rows', 'plan.considered'],
      limitBytes: ANSWER_LIMIT_BYTES,
      partitions: 10_000,
      moving: record?.plan.rows.filter((r) => r.delta !== 0).length,
      refused: 0,
      applied: 10_000,
      auditItem: { table: tables.audit, pk: group, state: 'written' },
    });
    expect(answer.result?.applied).toEqual(record?.result?.applied);
    expect(record?.plan.rows).toHaveLength(10_000);
    expect(record?.plan.considered.length).toBeGreaterThan(10_000);
    const { pk, sk } = omitted.auditItem!;
    const item = await client.send(
      new GetItemCommand({
        TableName: tables.audit,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.status?.S).toBe('succeeded');
    expect(omitted.readWith).toContain(
      `mskguard restore undo ${answer.plan.restoreId} --group ${group} --topic ${topic.topic} --audit-table ${tables.audit}`,
    );
  });

  it('--via-lambda --execute prints it: the counts and the audit item in place of the table, exit 0', async () => {
    // Prepare
    const { group, topic } = staleTopic();
    deployed(restoreFunction(topic));

    // Act
    const out = await viaLambda(group, topic.topic);

    // Assess
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^\d+ of 10000 partition\(s\) move; 10000 offset\(s\) committed\.$/m);
    expect(out.stdout).toMatch(
      /^LEFT OUT of this answer: the table \(plan\.rows\), why each source was chosen \(plan\.considered\)\. The function's full answer is \d+\.\d MB of JSON, more than the 5\.0 MB it sends/m,
    );
    expect(out.stdout).toContain(
      `The full plan and result are in the audit item: table ${tables.audit}, pk ${group}, sk `,
    );
    expect(out.stdout).toMatch(/^restore [\w-]+: SUCCEEDED$/m);
    expect(out.stdout).toMatch(
      new RegExp(
        `^restore ${group}/${topic.topic} succeeded: 10000 partition\\(s\\) set and verified \\(elapsed`,
        'm',
      ),
    );
    expect(out.stderr).not.toMatch(/outcome is unknown/);
  });

  it('--via-lambda --execute --json prints the compact answer as sent, and a failed restore still exits 4', async () => {
    // Prepare: the broker refuses the commit, after the audit item was written.
    const { group, topic } = staleTopic();
    topic.admin.setOffsets = async () => {
      throw new Error('The broker refused the commit');
    };
    deployed(restoreFunction(topic));

    // Act
    const out = await viaLambda(group, topic.topic, '--json');

    // Assess
    expect(out.code).toBe(4);
    const answer = JSON.parse(out.stdout) as CompactRestoreAnswer;
    expect([answer.ok, answer.exitCode, answer.result?.status]).toEqual([false, 4, 'failed']);
    expect(Object.keys(answer)).toEqual(['ok', 'exitCode', 'plan', 'result', 'error', 'omitted']);
    expect('rows' in answer.plan).toBe(false);
    expect(answer.error?.message).toMatch(/The broker refused the commit/);
    expect(answer.omitted).toMatchObject({ partitions: 10_000, auditItem: { pk: group, state: 'written' } });
    expect((await audit.find(answer.plan.restoreId))?.status).toBe('failed');
    expect(out.stderr).toMatch(/The broker refused the commit/);
    expect(out.stderr).toMatch(
      new RegExp(`^restore ${group}/${topic.topic} failed: \\d+ partition\\(s\\) set`, 'm'),
    );
  });
});
