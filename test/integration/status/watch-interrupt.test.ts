// `mskguard status --watch` as a person runs it, a process on the local broker: Ctrl-C (SIGINT)
// ends the watch with the exit code of the last round, as --help promises ("With --watch: the exit
// code of the last round"), not the runtime's 130, and without a stack trace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const MAIN = fileURLToPath(new URL('../../../shared/cli/main.ts', import.meta.url));
const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const topic = uniqueName('status-watch');
const group = uniqueName('g-status-watch');

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, n) => ({ value: `r${n}` })) });
  await producer.disconnect();
  // Committed at 0: lag 20, above --max-lag 5, so every round is unhealthy (exit 3).
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }] });
});
afterAll(() => admin.disconnect());

/** `mskguard status --watch --json` of the group as a process, with only the brokers in its environment. */
function watch(...argv: string[]) {
  const {
    MSKGUARD_CHECKPOINT_TABLE: _checkpoints,
    MSKGUARD_QUARANTINE_TABLE: _quarantine,
    DYNAMODB_ENDPOINT: _endpoint,
    ...rest
  } = process.env;
  const args = ['--group', group, '--topic', topic, '--max-lag', '5', '--watch', '--json', ...argv];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'status', ...args], {
    env: { ...rest, KAFKA_BROKERS: env.KAFKA_BROKERS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stderr.on('data', (chunk) => {
    out.stderr += String(chunk);
  });
  /** Resolves once the first round's line is on stdout. */
  const firstRound = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk) => {
      out.stdout += String(chunk);
      if (out.stdout.includes('\n')) resolve();
    });
  });
  return { child, out, firstRound, exited: once(child, 'exit') };
}

describe('mskguard status --watch and Ctrl-C', () => {
  it('SIGINT between rounds ends the watch at once with the last round’s exit code (3), no stack trace', async () => {
    // Prepare: the next round is an hour away, so the signal arrives while the watch waits for it.
    const { child, out, firstRound, exited } = watch('--interval', '1h');
    await firstRound;

    // Act
    child.kill('SIGINT');
    const [code, signal] = await exited;

    // Assess
    expect({ code, signal }).toEqual({ code: 3, signal: null });
    const rounds = out.stdout.trimEnd().split('\n');
    expect(rounds).toHaveLength(1);
    expect(JSON.parse(rounds[0] as string)).toMatchObject({ verdict: { healthy: false } });
    expect(out.stderr).toBe('');
  });
});
