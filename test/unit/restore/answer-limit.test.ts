// Decision 0025, addendum: how the restore function's answer is kept under Lambda's 6 MB response
// limit, at a small bound so that each step shows: an answer that fits is sent as it is; the compact
// form keeps `applied` only while it fits and cuts free text last; `--via-lambda` prints it with the
// counts standing for the left-out lists, and never trusts lists missing without `omitted` saying so.
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { answerWithinLimit } from '#shared/restore/answer-limit.ts';
import type { CompactRestoreAnswer, RestoreAnswer } from '#shared/restore/compact-answer.ts';
import { type RestoreResponse, toResponse } from '#shared/restore/engine.ts';
import type { RestorePlan, RestoreResult } from '#shared/restore/types.ts';
import { capturedRestoreIo, runRestore } from '#test/support/restore-cli.ts';
import { checkpointPlanOf, largeTopic } from '../../integration/restore/large-topic-fixture.ts';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

const GROUP = 'g';
const AUDIT = { auditTable: 'mskguard-restore-audit' };
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A `checkpoint` plan of `partitions` partitions, and the result of executing it. */
async function executed(partitions: number, plan: Partial<RestorePlan> = {}): Promise<RestoreResponse> {
  const topic = largeTopic({ group: GROUP, partitions });
  const full = { ...(await checkpointPlanOf(topic, GROUP, randomUUID())), ...plan };
  const result: RestoreResult = {
    restoreId: full.restoreId,
    status: 'succeeded',
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:00:02.000Z',
    elapsedMs: 2000,
    applied: full.rows.map((r) => ({ partition: r.partition, offset: r.target! })),
    verified: true,
    esm: null,
    epoch: null,
    audit: 'written',
    steps: ['+0.1s audit item written (running)', '+1.0s verified'],
    error: null,
  };
  return toResponse({ plan: full, result });
}

/** `mskguard restore checkpoint --execute --via-lambda f` answered `answer` by the function. */
async function printed(answer: RestoreAnswer, plan: RestoreResponse['plan'], ...flags: string[]) {
  const payload = Buffer.from(JSON.stringify(answer));
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload as never });
  const notUsed = (async () => {
    throw new Error('--via-lambda must not connect locally');
  }) as never;
  const { out, io } = capturedRestoreIo(notUsed, {});
  const argv = ['checkpoint', '--group', GROUP, '--topic', plan!.topic, '--execute', '--via-lambda', 'f'];
  const code = await runRestore(io, [...argv, '--region', 'eu-west-1', ...flags]);
  return { code, ...out };
}

describe('the restore answer under the response limit', () => {
  it('sends an answer that fits as it is: the same object, so the same bytes', async () => {
    // Prepare
    const response = await executed(50);

    // Act
    const answer = answerWithinLimit(response, { ...AUDIT, limitBytes: bytes(response) });

    // Assess
    expect(answer).toBe(response);
  });

  it('leaves applied out only when the answer with it does not fit, and --via-lambda prints the count', async () => {
    // Prepare: 2,000 applied entries take ~83 KB, the rest of the compact answer ~2 KB.
    const response = await executed(2000);

    // Act
    const withApplied = answerWithinLimit(response, {
      ...AUDIT,
      limitBytes: 100_000,
    }) as CompactRestoreAnswer;
    const without = answerWithinLimit(response, { ...AUDIT, limitBytes: 20_000 }) as CompactRestoreAnswer;
    const text = await printed(without, response.plan);
    const json = await printed(without, response.plan, '--json');

    // Assess
    expect(withApplied.omitted.fields).toEqual(['plan.rows', 'plan.considered']);
    expect(withApplied.result?.applied).toHaveLength(2000);
    expect(without.omitted.fields).toEqual(['plan.rows', 'plan.considered', 'result.applied']);
    expect(bytes(without)).toBeLessThanOrEqual(20_000);
    expect(without.result && 'applied' in without.result).toBe(false);
    expect(without.omitted).toMatchObject({
      partitions: 2000,
      applied: 2000,
      auditItem: { state: 'written' },
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/; 2000 offset\(s\) committed\.$/m);
    expect(text.stdout).toContain('the offset committed per partition (result.applied)');
    expect(text.stdout).toMatch(/^restore g\/\S+ succeeded: 2000 partition\(s\) set and verified \(elapsed/m);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(without)));
  });

  it('cuts free text last, so that even a plan of long warnings answers under the bound', async () => {
    // Prepare
    const warnings = Array.from({ length: 500 }, (_, i) => `warning ${i}: ${'x'.repeat(5000)}`);
    const response = await executed(100, { warnings });

    // Act
    const answer = answerWithinLimit(response, { ...AUDIT, limitBytes: 200_000 }) as CompactRestoreAnswer;

    // Assess
    expect(bytes(response)).toBeGreaterThan(2_500_000);
    expect(bytes(answer)).toBeLessThanOrEqual(200_000);
    expect(answer.plan.warnings).toHaveLength(21);
    expect(answer.plan.warnings[20]).toBe('… 480 more');
    expect(answer.omitted.fields).toContain('text beyond 20 lines or 4000 characters');
  });

  it('a dry run stores nothing: the answer says how to see every row instead of naming an audit item', async () => {
    // Prepare
    const { plan } = await executed(2000);

    // Act
    const answer = answerWithinLimit(toResponse({ plan: plan!, result: null }), {
      ...AUDIT,
      limitBytes: 100_000,
    }) as CompactRestoreAnswer;

    // Assess
    expect(answer.omitted).toMatchObject({ auditItem: null, applied: null, moving: 2000 });
    expect(answer.omitted.readWith).toMatch(
      /a dry run\), so the rows are not stored: .*\(--partitions 0-\d+, /,
    );
  });

  it('--via-lambda --execute does not trust an answer whose rows are missing without omitted saying so: exit 4', async () => {
    // Prepare
    const response = await executed(2000);
    const answer = answerWithinLimit(response, { ...AUDIT, limitBytes: 100_000 }) as CompactRestoreAnswer;
    const unsaid = { ...answer, omitted: { ...answer.omitted, fields: ['plan.considered'] } };

    // Act
    const out = await printed(unsaid, response.plan);

    // Assess
    expect(out.code).toBe(4);
    expect(out.stderr).toMatch(
      /not a restore's answer \(plan\.rows is missing and not listed in omitted\.fields\)/,
    );
  });
});
