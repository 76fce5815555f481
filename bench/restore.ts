/**
 * `npm run bench -- restore`: wall time of an executed restore on the local broker, mskguard next
 * to Apache Kafka's own `kafka-consumer-groups --reset-offsets --execute` (kafka-tools 3.9.1 from
 * Maven Central), same broker, same targets, same run. Rows: {impl, partitions, ms} (medians).
 *
 * mskguard: connect (kafkajs admin, DynamoDB), plan (checkpoint strategy: topic offsets, committed
 * offsets, group state, checkpoints), execute (group Empty check, one OffsetCommit, verify with
 * fetchOffsets, audit item start and finish), disconnect; in this process, no ESM (the ESM's state
 * change is not counted, as the issue asks). kafka-consumer-groups: one JVM per run, as the shell
 * script starts it (JVM start included), resetting to the same per-partition targets via
 * --from-file. Both start from a group committed at the end of the log.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaConsumerGroups } from '#local/kafka-tools.ts';
import { LOCAL_AWS } from '#local/services.ts';
import { PROJECT_ROOT } from '#local/stack-config.ts';
import { ensureTables } from '#local/tables.ts';
import { DynamoCheckpointStore } from '#shared/checkpoints/dynamodb-store.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { runRestore } from '#shared/restore/engine.ts';
import { directOffsetWriter } from '#shared/restore/offset-commit.ts';
import type { BenchContext } from './main.ts';
import { benchStack } from './stack.ts';
import { measure, median, type Row, type Table } from './table.ts';

const SIZES = [3, 12, 48] as const;
const execFileAsync = promisify(execFile);

/**
 * The published CLI as JavaScript (esbuild, packages left external), in the project's cache so its
 * imports resolve to node_modules: what `mskguard` runs once built, without tsx's start-up cost.
 */
async function buildCli(): Promise<string> {
  const outdir = join(PROJECT_ROOT, '.cache', 'bench-restore-cli');
  await build({
    entryPoints: [join(PROJECT_ROOT, 'shared', 'cli', 'main.ts')],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir,
    logLevel: 'error',
  });
  return join(outdir, 'main.js');
}
const RECORDS_PER_PARTITION = 50;

export async function run(ctx: BenchContext): Promise<readonly Table[]> {
  const { env, stop } = await benchStack(ctx, ['kafka', 'dynamodb']);
  const runId = Date.now().toString(36);
  const kafka = new Kafka({
    brokers: [env.KAFKA_BROKERS],
    logLevel: logLevel.NOTHING,
    clientId: 'bench-restore',
  });
  const admin = kafka.admin();
  const writer = directOffsetWriter(kafka);
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  const tables = {
    checkpoints: `bench-cp-${runId}`,
    quarantine: `bench-q-${runId}`,
    audit: `bench-a-${runId}`,
  };
  const checkpoints = new DynamoCheckpointStore(ddb, tables.checkpoints);
  const dir = await mkdtemp(join(tmpdir(), 'mskguard-bench-restore-'));
  const tool = kafkaConsumerGroups(ctx.log);
  const cli = await buildCli();
  const topics: string[] = [];
  const rows: Row[] = [];
  const executeOnly: string[] = [];
  try {
    await Promise.all([admin.connect(), ensureTables(ddb, tables)]);
    for (const partitions of SIZES) {
      const topic = `bench-restore-${partitions}-${runId}`;
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: partitions * RECORDS_PER_PARTITION }, (_, n) => ({
          partition: n % partitions,
          value: `v${n}`,
        })),
      });
      await producer.disconnect();
      const targets = Array.from({ length: partitions }, (_, p) => 10 + (p % 30));
      const csv = join(dir, `${topic}.csv`);
      await writeFile(csv, targets.map((o, p) => `${topic},${p},${o}\n`).join(''));
      let n = 0;
      /** A fresh group committed at the end of the log, with checkpoints at the targets. */
      const freshGroup = async (impl: string): Promise<string> => {
        const group = `bench-restore-${impl}-${partitions}-${runId}-${n++}`;
        const end = String(RECORDS_PER_PARTITION);
        await writer.commitOffsets({
          groupId: group,
          topic,
          partitions: targets.map((_, partition) => ({ partition, offset: end })),
        });
        await checkpoints.advance(
          group,
          targets.map((nextOffset, partition) => ({ topic, partition, nextOffset })),
          { requestId: 'bench', epoch: 0 },
        );
        return group;
      };
      const check = async (group: string) => {
        const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        const got = (entry?.partitions ?? [])
          .sort((a, b) => a.partition - b.partition)
          .map((p) => Number(p.offset));
        if (got.join() !== targets.join())
          throw new Error(`${group}: offsets ${got.join()} after the restore`);
      };

      ctx.log(`[bench] restore: ${partitions} partitions, mskguard`);
      const executed: number[] = [];
      const ours = await measure(
        ctx,
        () => freshGroup('mskguard'),
        async (group) => {
          const clients = await openRestoreClients({
            brokers: [env.KAFKA_BROKERS],
            checkpointTable: tables.checkpoints,
            auditTable: tables.audit,
            dynamodbEndpoint: env.DYNAMODB_ENDPOINT,
            region: 'us-east-1',
          });
          try {
            const { result } = await runRestore(
              { group, topic, strategy: 'checkpoint', execute: true, requestedBy: 'bench' },
              clients.deps,
            );
            if (result?.status !== 'succeeded' || !result.verified)
              throw new Error(`restore ${result?.status}: ${result?.error?.message}`);
            executed.push(result.elapsedMs);
          } finally {
            await clients.close();
          }
          await check(group);
        },
      );
      rows.push({ impl: 'mskguard', partitions, ms: Math.round(ours.medianMs) });
      executeOnly.push(`${partitions}: ${Math.round(median(executed))} ms`);

      ctx.log(`[bench] restore: ${partitions} partitions, mskguard CLI process`);
      const process_ = await measure(
        ctx,
        () => freshGroup('cli'),
        async (group) => {
          await execFileAsync(
            process.execPath,
            [
              cli,
              'restore',
              'checkpoint',
              '--group',
              group,
              '--topic',
              topic,
              '--execute',
              '--brokers',
              env.KAFKA_BROKERS,
              '--checkpoint-table',
              tables.checkpoints,
              '--audit-table',
              tables.audit,
              '--region',
              'us-east-1',
            ],
            { env: { ...process.env, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT } },
          );
          await check(group);
        },
      );
      rows.push({ impl: 'mskguard-cli', partitions, ms: Math.round(process_.medianMs) });

      ctx.log(`[bench] restore: ${partitions} partitions, kafka-consumer-groups`);
      const theirs = await measure(
        ctx,
        () => freshGroup('kcg'),
        async (group) => {
          await tool([
            '--bootstrap-server',
            env.KAFKA_BROKERS,
            '--group',
            group,
            '--reset-offsets',
            '--from-file',
            csv,
            '--execute',
          ]);
          await check(group);
        },
      );
      rows.push({ impl: 'kafka-consumer-groups', partitions, ms: Math.round(theirs.medianMs) });
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => {});
    await Promise.all([admin.disconnect(), writer.close()]);
    ddb.destroy();
    await rm(dir, { recursive: true, force: true });
    await stop();
  }
  return [
    {
      title: `restore --execute wall time, ms (median of ${ctx.repetitions} after ${ctx.warmup} warm-up; local broker)`,
      rows,
      columns: [{ key: 'impl' }, { key: 'partitions' }, { key: 'ms' }],
      notes: [
        'mskguard: connect + plan (checkpoint) + execute (Empty check, one OffsetCommit as a non-member, verify, audit) + disconnect, in process; no ESM.',
        'mskguard-cli: the same as `mskguard restore checkpoint --execute` in a new Node process (the CLI bundled by esbuild; Node start included).',
        'kafka-consumer-groups: ConsumerGroupCommand 3.9.1, one JVM per run (start included), --reset-offsets --from-file --execute to the same targets.',
        `mskguard execute step alone (result.elapsedMs), per partition count: ${executeOnly.join(', ')}.`,
      ],
    },
  ];
}
