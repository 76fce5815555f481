// Guarantee: none of G1–G6 directly; proves the watchdog (design §8) measures a stopped consumer from
// outside: ESM state (Lambda control plane mocked with aws-sdk-client-mock), restores in the audit
// table and checkpoints (DynamoDB Local), lag (the real KRaft broker), and prints them as EMF.
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import type { RestorePlan } from '#shared/restore/types.ts';
import { createWatchdogHandler } from '#shared/watchdog/lambda.ts';
import { measureConsumer } from '#shared/watchdog/measure.ts';
import { runWatchdog } from '#shared/watchdog/run.ts';
import { AuditRestoreActivity, LambdaEsmStatusSource } from '#shared/watchdog/sources.ts';
import type { WatchdogTarget } from '#shared/watchdog/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARTITIONS = 2;
const lambdaMock = mockClient(LambdaClient);

function esm(state: string, extra: Record<string, string> = {}) {
  return {
    UUID: 'uuid',
    State: state,
    StateTransitionReason: 'USER_INITIATED',
    LastProcessingResult: 'OK',
    ...extra,
  };
}

describe('watchdog on DynamoDB Local and the real broker', () => {
  const fx = restoreFixture('watchdog');
  const lambda = new LambdaClient({ region: 'us-east-1' });
  let deps: Parameters<typeof measureConsumer>[1];
  const target = (group: string): WatchdogTarget => ({
    consumerGroupId: group,
    topic: fx.topic,
    eventSourceMappingId: `esm-${group}`,
    functionName: 'consumer',
  });

  beforeAll(async () => {
    await fx.open(PARTITIONS);
    await fx.produce(PARTITIONS, 20, Date.now());
    deps = {
      esm: new LambdaEsmStatusSource(lambda),
      restores: new AuditRestoreActivity(fx.ddb, fx.tables.audit, 600),
      checkpoints: fx.checkpoints,
      admin: fx.admin,
    };
  });
  afterEach(() => lambdaMock.reset());
  afterAll(() => fx.close());

  it('reports a healthy consumer: Enabled, no lag, no stale checkpoint', async () => {
    // Prepare
    const group = uniqueName('healthy');
    await fx.commit(group, [10, 10]);
    await fx.advance(group, [10, 10]);
    lambdaMock.on(GetEventSourceMappingCommand, { UUID: `esm-${group}` }).resolves(esm('Enabled'));
    const lines: string[] = [];

    // Act
    const report = await runWatchdog([target(group)], { ...deps, now: () => Date.now() + 3_600_000 }, (l) =>
      lines.push(l),
    );

    // Assess
    const [health] = report.consumers;
    expect(health).toMatchObject({ esmNotEnabled: 0, esmProblem: 0, restoreRunning: false, lag: 0 });
    expect(health?.checkpointAgeBehindSeconds).toBe(0);
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('MskGuard');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'consumerGroup']]);
    expect(emf).toMatchObject({ consumerGroup: group, service: 'mskguard', EsmNotEnabled: 0, GroupLag: 0 });
    expect(emf.WatchdogCheckpointAgeSeconds).toBe(0);
  });

  it('reports a stopped consumer: Disabled, lag on the broker, checkpoint age where records wait', async () => {
    // Prepare
    const group = uniqueName('stopped');
    await fx.commit(group, [4, 10]);
    await fx.advance(group, [4, 10]);
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm('Disabled'));
    const lines: string[] = [];

    // Act
    const report = await runWatchdog([target(group)], { ...deps, now: () => Date.now() + 1_000_000 }, (l) =>
      lines.push(l),
    );

    // Assess
    const [health] = report.consumers;
    expect(health).toMatchObject({ esmNotEnabled: 1, lag: 6, partitionsBehind: 1, restoreRunning: false });
    expect(health?.checkpointAgeBehindSeconds).toBeGreaterThanOrEqual(999);
    expect(health?.esm?.stateTransitionReason).toBe('USER_INITIATED');
    const emf = JSON.parse(lines[0]!);
    expect(emf).toMatchObject({ EsmNotEnabled: 1, GroupLag: 6, esmState: 'Disabled' });
  });

  it('counts a group without commits from the log start', async () => {
    // Prepare
    const group = uniqueName('fresh');
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm('Enabled'));

    // Act
    const health = await measureConsumer(target(group), deps);

    // Assess
    expect(health).toMatchObject({ lag: 20, partitionsBehind: 2, checkpointAgeBehindSeconds: 0 });
  });

  it('does not count a disabled ESM while a restore of the group runs, but does once the run is stale', async () => {
    // Prepare
    const group = uniqueName('restoring');
    const audit = new DynamoAuditStore(fx.ddb, fx.tables.audit);
    const plan = {
      group,
      topic: fx.topic,
      restoreId: 'r1',
      strategy: 'checkpoint',
      mode: 'recover',
      requestedBy: 'test',
    };
    await audit.start(plan as unknown as RestorePlan, new Date().toISOString());
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm('Disabled'));

    // Act
    const during = await measureConsumer(target(group), deps);
    const stale = await measureConsumer(target(group), { ...deps, now: () => Date.now() + 3_600_000 });

    // Assess
    expect(during).toMatchObject({ restoreRunning: true, esmNotEnabled: 0 });
    expect(stale).toMatchObject({ restoreRunning: false, esmNotEnabled: 1 });
  });

  it('reads a deleted ESM as Missing and a PROBLEM processing result as a problem', async () => {
    // Prepare
    const gone = uniqueName('gone');
    const failing = uniqueName('failing');
    lambdaMock
      .on(GetEventSourceMappingCommand, { UUID: `esm-${gone}` })
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }))
      .on(GetEventSourceMappingCommand, { UUID: `esm-${failing}` })
      .resolves(esm('Enabled', { LastProcessingResult: 'PROBLEM: Connection error.' }));

    // Act
    const [deleted, problem] = await Promise.all([
      measureConsumer(target(gone), deps),
      measureConsumer(target(failing), deps),
    ]);

    // Assess
    expect(deleted).toMatchObject({ esmNotEnabled: 1, esm: { state: 'Missing' } });
    expect(problem).toMatchObject({ esmNotEnabled: 0, esmProblem: 1 });
  });

  it('still reports the ESM when the broker is unreachable, and leaves lag out of the EMF line', async () => {
    // Prepare
    const group = uniqueName('nobroker');
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm('Enabled'));
    const unreachable = new Kafka({
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    }).admin();
    const lines: string[] = [];

    // Act
    const report = await runWatchdog([target(group)], { ...deps, admin: unreachable }, (l) => lines.push(l));

    // Assess
    const [health] = report.consumers;
    expect(health).toMatchObject({ esmNotEnabled: 0, lag: null, checkpointAgeBehindSeconds: null });
    expect(health?.errors.join(' ')).toContain('broker offsets');
    const emf = JSON.parse(lines[0]!);
    expect(emf).not.toHaveProperty('GroupLag');
    expect(emf).not.toHaveProperty('WatchdogCheckpointAgeSeconds');
    expect(emf.watchdogErrors).toContain('broker offsets');
  });

  it('runs as the Lambda handler, wired like functions/watchdog.ts', async () => {
    // Prepare
    const group = uniqueName('handler');
    await fx.commit(group, [10, 10]);
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm('Enabled'));
    const lines: string[] = [];
    const handler = createWatchdogHandler({
      brokers: [fx.env.KAFKA_BROKERS],
      auth: 'none',
      targets: [target(group)],
      checkpointTable: fx.tables.checkpoints,
      auditTable: fx.tables.audit,
      maxRestoreSeconds: 600,
      dynamodbEndpoint: fx.env.DYNAMODB_ENDPOINT,
      sink: (l) => lines.push(l),
    });

    // Act
    const first = await handler();
    const second = await handler();

    // Assess
    expect(first.consumers[0]).toMatchObject({ esmNotEnabled: 0, lag: 0, errors: [] });
    expect(second.consumers[0]).toMatchObject({ lag: 0 });
    expect(lines).toHaveLength(2);
  });
});
