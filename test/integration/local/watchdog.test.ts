// Decision 0024 in `npm run local`: the local watchdog gives the emulated mapping a LastModified (when
// its poller last started or stopped), so a partition with records and no checkpoint item is aged
// from it, as the watchdog in AWS ages it from the real mapping's, and the local run can exercise
// the rule. Real broker and DynamoDB Local; the poller emulator stands in for the mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic } from '#local/pipeline/kafka.ts';
import { LocalSession } from '#local/pipeline/session.ts';
import { LocalWatchdog } from '#local/pipeline/watchdog.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const HOUR = 3_600_000;
/** The watchdog's clock: the age is exact, whatever the host's speed. */
const NOW = Date.now();

/** The EMF line of one watchdog run (start runs once at once; stop waits for it). */
async function oneRun(watchdog: LocalWatchdog, lines: string[]): Promise<Record<string, unknown>> {
  const before = lines.length;
  watchdog.start();
  await watchdog.stop();
  expect(lines.length).toBe(before + 1);
  return JSON.parse(lines.at(-1)!) as Record<string, unknown>;
}

describe('LocalWatchdog', () => {
  const fx = restoreFixture('local-wd');

  beforeAll(async () => {
    await fx.open(2);
    await fx.produce(2, 10, NOW - 2 * HOUR);
  });
  afterAll(() => fx.close());

  it('ages partitions with records and no checkpoint from when the emulated mapping changed', async () => {
    // Prepare: a group that never committed or checkpointed; its poller started an hour ago.
    const changed = new Date(NOW - HOUR);
    const lines: string[] = [];
    const watchdog = new LocalWatchdog({
      group: uniqueName('never'),
      topic: fx.topic,
      admin: fx.admin,
      dynamodb: fx.ddb,
      auditTable: fx.tables.audit,
      checkpoints: fx.checkpoints,
      polling: () => true,
      lastModified: () => changed,
      now: () => NOW,
      emf: (line) => lines.push(line),
      intervalMs: 60_000,
    });

    // Act
    const emf = await oneRun(watchdog, lines);

    // Assess
    expect(emf).toMatchObject({
      WatchdogCheckpointAgeSeconds: 3600,
      EsmNotEnabled: 0,
      partitionsWithoutCheckpoint: '2',
      esmLastModified: changed.toISOString(),
    });
  });
});

describe('LocalSession', () => {
  const env = stackEnv();
  const topic = uniqueName('local-wd-session');
  const session = new LocalSession({
    endpoints: env,
    tables: { checkpoints: uniqueName('ckpt'), quarantine: uniqueName('quar'), audit: uniqueName('audit') },
    topic,
    group: uniqueName('local-wd-group'),
    batchSize: 100,
    batchingWindowMs: 100,
    cache: 'upstash',
    stallTimeoutMs: 30_000,
    redeliveryBudget: 0,
    produced: 0,
    note: () => {},
    watchdogIntervalMs: 60_000,
  });

  beforeAll(async () => {
    await session.open();
    await createTopic(session.admin, topic, 1);
  });
  afterAll(async () => {
    await session.admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await session.close();
  });

  it("dates the emulated mapping's LastModified when its poller starts and when it stops", async () => {
    // Act
    const beforeStart = Date.now();
    await session.startPoller();
    const afterStart = Date.now();
    const started = await oneRun(session.watchdog, session.emf);
    const beforeStop = Date.now();
    await session.stopPoller();
    const afterStop = Date.now();
    const stopped = await oneRun(session.watchdog, session.emf);

    // Assess
    const at = (emf: Record<string, unknown>) => Date.parse(String(emf.esmLastModified));
    expect(started.EsmNotEnabled).toBe(0);
    expect(at(started)).toBeGreaterThanOrEqual(beforeStart);
    expect(at(started)).toBeLessThanOrEqual(afterStart);
    expect(stopped.EsmNotEnabled).toBe(1);
    expect(at(stopped)).toBeGreaterThanOrEqual(beforeStop);
    expect(at(stopped)).toBeLessThanOrEqual(afterStop);
  });
});
