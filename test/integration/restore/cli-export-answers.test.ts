// `mskguard restore --export FILE` on the two answers of decision 0025's addendum that carry no plan
// rows to write: the compact answer of `--via-lambda` (the rows are left out: the file is not written,
// the message names the audit item holding them), and the refusal to undo a restore that recorded no
// result (its hint holds the offsets from before that run as CSV: the file gets them, the terminal
// gets the message, not 10,000 lines). DynamoDB Local holds the audit; the broker is the large-topic
// fake; only the Lambda data plane is mocked.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import type { RestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { createRestoreHandler } from '#shared/restore/lambda.ts';
import { parseOffsetsCsv } from '#shared/restore/offsets-csv.ts';
import { capturedRestoreIo, runRestore } from '#test/support/restore-cli.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { checkpointPlanOf, largeTopic } from './large-topic-fixture.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const tables = { checkpoints: uniqueName('cp'), quarantine: uniqueName('q'), audit: uniqueName('a') };
const audit = new DynamoAuditStore(client, tables.audit);
const lambda = mockClient(LambdaClient);
const SILENT = { info: () => {}, warn: () => {}, error: () => {} };
/** `auto --at` this time on stale checkpoints: the largest answer per partition (answer-limit.test.ts). */
const AT = '2026-11-20T09:00:00.000Z';

const dirs: string[] = [];
beforeAll(async () => {
  await ensureTables(client, tables);
});
afterEach(() => {
  lambda.reset();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => client.destroy());

function tempFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mskguard-export-'));
  dirs.push(dir);
  return join(dir, name);
}

/** The restore function over the fake broker and the real audit table, behind the mocked Lambda service. */
function deployed(topic: ReturnType<typeof largeTopic>): void {
  const clients: RestoreClients = { deps: topic.deps(audit), close: async () => {} };
  const handler = createRestoreHandler({
    brokers: ['unused:9092'],
    checkpointTable: tables.checkpoints,
    auditTable: tables.audit,
    targets: null,
    logger: SILENT,
    metricsSink: () => {},
    openClients: async () => clients,
  });
  lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput) => {
    const event = JSON.parse(Buffer.from(input.Payload as string | Uint8Array).toString('utf8'));
    const answer = await handler(event, { functionName: input.FunctionName });
    return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(answer)) };
  });
}

/** `mskguard restore <argv>` with the restore's clients over `topic` and the real audit table. */
async function cli(topic: ReturnType<typeof largeTopic>, argv: string[]) {
  const openClients = async (): Promise<RestoreClients> => ({
    deps: topic.deps(audit),
    close: async () => {},
  });
  const { out, io } = capturedRestoreIo(openClients, { MSKGUARD_AUDIT_TABLE: tables.audit });
  const code = await runRestore(io, argv);
  return { code, ...out };
}

describe('restore --export with a compact --via-lambda answer', () => {
  it('does not write a file of no lines: it says the rows were left out and names the audit item holding them', async () => {
    // Prepare: a 10,000-partition auto restore, whose answer is over Lambda's 6 MB.
    const group = uniqueName('g-export-compact');
    const topic = largeTopic({ group, partitions: 10_000, staleCheckpoints: true });
    deployed(topic);
    const path = tempFile('plan.csv');

    // Act
    const out = await cli(topic, [
      'auto',
      ...['--group', group, '--topic', topic.topic, '--at', AT, '--execute'],
      ...['--via-lambda', 'mskguard-restore', '--region', 'eu-west-1', '--export', path],
    ]);

    // Assess: the restore's answer and exit code stand; the file is not there.
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^restore [\w-]+: SUCCEEDED$/m);
    expect(existsSync(path)).toBe(false);
    expect(out.stderr).not.toMatch(/wrote \d+ line\(s\)/);
    const restoreId = /^restore ([\w-]+): SUCCEEDED$/m.exec(out.stdout)![1]!;
    // The audit item's key as the answer printed it: `{startedAt}#{restoreId}`.
    const sk = new RegExp(`, sk (\\S+#${restoreId}) \\(gzipped`).exec(out.stdout)?.[1];
    expect(sk).toBeDefined();
    expect(out.stderr).toContain(
      `[restore] --export ${path} not written: the restore function's answer left out the plan's rows ` +
        `(10000 partition(s); Lambda answers at most 6 MB), and a file without them would list no offset. ` +
        `Audit item: table ${tables.audit}, pk ${group}, sk ${sk} (written). The full plan and result are in the audit item`,
    );
    expect(out.stderr).toContain(
      `mskguard restore undo ${restoreId} --group ${group} --topic ${topic.topic} --audit-table ${tables.audit}`,
    );
  });
});

describe('restore undo --export of a restore that recorded no result', () => {
  /** A 10,000-partition restore killed after its commit: its item `running`, its plan in chunks. */
  async function killedRestore() {
    const group = uniqueName('g-export-undo');
    const topic = largeTopic({ group, partitions: 10_000 });
    const plan = await checkpointPlanOf(topic, group, randomUUID());
    await audit.start(plan, new Date().toISOString());
    for (const r of plan.rows) topic.committed.set(r.partition, r.target!);
    const argv = ['undo', plan.restoreId, '--group', group, '--topic', topic.topic];
    return { group, topic, plan, argv };
  }

  it('writes the offsets from before it to FILE and prints the message and the line count, not the CSV', async () => {
    // Prepare
    const { group, topic, plan, argv } = await killedRestore();
    const path = tempFile('before.csv');

    // Act
    const out = await cli(topic, [...argv, '--export', path]);
    const plain = await cli(topic, argv);

    // Assess: the file is what restore file --from-file reads; the output is short.
    expect(out.code).toBe(3);
    const csv = readFileSync(path, 'utf8');
    expect(csv.trimEnd().split('\n')).toHaveLength(10_000);
    expect(parseOffsetsCsv(csv, { topic: topic.topic, group })).toEqual(
      plan.rows.map((r) => ({ partition: r.partition, offset: r.committed })),
    );
    expect(out.stderr).toMatch(
      new RegExp(
        `^UndoNotPossibleError: Restore ${plan.restoreId} is running and its audit item records no result`,
      ),
    );
    expect(out.stderr).toContain(
      `\n[restore] wrote 10000 line(s) to ${path}: the offsets from before that restore, for mskguard restore ` +
        `file --from-file ${path}\n`,
    );
    expect(out.stderr).not.toContain(`${topic.topic},0,`);
    expect(out.stderr.split('\n').length).toBeLessThan(10);
    // Without --export, the CSV follows the message as before.
    expect(plain.code).toBe(3);
    expect(plain.stderr.split('\n').length).toBeGreaterThan(10_000);
    expect(plain.stderr).toContain(`\n${topic.topic},0,${plan.rows[0]!.committed}\n`);
  });

  it('with --json, the answer still carries the hint', async () => {
    // Prepare
    const { topic, argv } = await killedRestore();
    const path = tempFile('before.csv');

    // Act
    const out = await cli(topic, [...argv, '--export', path, '--json']);

    // Assess
    expect(out.code).toBe(3);
    const answer = JSON.parse(out.stdout) as RestoreResponse;
    expect(answer.error?.hint?.split('\n')).toHaveLength(10_000);
    expect(`${answer.error?.hint}\n`).toBe(readFileSync(path, 'utf8'));
  });
});
