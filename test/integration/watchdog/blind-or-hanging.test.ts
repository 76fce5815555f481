// Guarantee: none of G1–G6 directly; proves the watchdog (design §8, decision 0013) does not pass for
// healthy when it cannot see: an unreadable or hanging ESM read (Lambda control plane mocked with
// aws-sdk-client-mock) withholds WatchdogCheckpointAgeSeconds, whose alarm treats missing data as
// breaching, while lag and checkpoints come from the real broker and DynamoDB Local.
import { GetEventSourceMappingCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runWatchdog } from '#shared/watchdog/run.ts';
import { AuditRestoreActivity, LambdaEsmStatusSource } from '#shared/watchdog/sources.ts';
import type { WatchdogDeps, WatchdogTarget } from '#shared/watchdog/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARTITIONS = 2;
const lambdaMock = mockClient(LambdaClient);

describe('the watchdog blind to the ESM', () => {
  const fx = restoreFixture('wd-blind');
  let deps: WatchdogDeps;
  const target = (group: string): WatchdogTarget => ({
    consumerGroupId: group,
    topic: fx.topic,
    eventSourceMappingId: `esm-${group}`,
    functionName: 'consumer',
  });

  beforeAll(async () => {
    await fx.open(PARTITIONS);
    await fx.produce(PARTITIONS, 10, Date.now());
    deps = {
      esm: new LambdaEsmStatusSource(new LambdaClient({ region: 'us-east-1' })),
      restores: new AuditRestoreActivity(fx.ddb, fx.tables.audit, 600),
      checkpoints: fx.checkpoints,
      admin: fx.admin,
    };
  });
  afterEach(() => lambdaMock.reset());
  afterAll(() => fx.close());

  it('withholds the breaching-on-missing metric when GetEventSourceMapping is denied', async () => {
    // Prepare: caught up, so every measured part says "healthy"; only the ESM is unreadable.
    const group = uniqueName('denied');
    await fx.commit(group, [5, 5]);
    await fx.advance(group, [5, 5]);
    lambdaMock.on(GetEventSourceMappingCommand).rejects(
      new LambdaServiceException({
        name: 'AccessDeniedException',
        message: 'not authorized to perform: lambda:GetEventSourceMapping',
        $fault: 'client',
        $metadata: {},
      }),
    );
    const lines: string[] = [];

    // Act
    const report = await runWatchdog([target(group)], deps, (l) => lines.push(l));

    // Assess
    expect(report.consumers[0]).toMatchObject({ esmNotEnabled: null, lag: 0, checkpointAgeBehindSeconds: 0 });
    const emf = JSON.parse(lines[0]!);
    const names = emf._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);
    expect(names).not.toContain('EsmNotEnabled');
    expect(names).not.toContain('WatchdogCheckpointAgeSeconds');
    expect(emf).not.toHaveProperty('WatchdogCheckpointAgeSeconds');
    expect(emf.watchdogErrors).toContain('event source mapping');
    expect(emf).toMatchObject({ WatchdogRun: 1, GroupLag: 0, checkpointAgeBehindSecondsWithheld: '0' });
  });

  it('reports a hanging ESM read within its deadline instead of holding back every line', async () => {
    // Prepare
    const hanging = uniqueName('hanging');
    const fine = uniqueName('fine');
    await fx.commit(fine, [5, 5]);
    await fx.advance(fine, [5, 5]);
    lambdaMock
      .on(GetEventSourceMappingCommand, { UUID: `esm-${hanging}` })
      .callsFake(() => new Promise(() => undefined))
      .on(GetEventSourceMappingCommand, { UUID: `esm-${fine}` })
      .resolves({ State: 'Enabled', StateTransitionReason: 'USER_INITIATED', LastProcessingResult: 'OK' });
    const lines: string[] = [];
    const started = Date.now();

    // Act
    const report = await runWatchdog([target(hanging), target(fine)], { ...deps, partTimeoutMs: 500 }, (l) =>
      lines.push(l),
    );

    // Assess
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines).toHaveLength(2);
    expect(report.consumers[0]?.errors.join(' ')).toMatch(/event source mapping: no answer within 500 ms/);
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('WatchdogCheckpointAgeSeconds');
    expect(JSON.parse(lines[1]!)).toMatchObject({ EsmNotEnabled: 0, WatchdogCheckpointAgeSeconds: 0 });
  });
});
