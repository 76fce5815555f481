// G6 (typed errors, one line, no stack trace) for `mskguard status` with its real clients: a broker
// that refuses connections and tables missing from DynamoDB Local are errors that name the brokers
// or the table, exit 1 as `status --help` promises, and are JSON on stdout with --json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';
import { capturedStatusIo } from '#test/support/status-cli.ts';

const fx = restoreFixture('status-errors');
const { env, tables, topic, commit } = fx;

function cli(brokers: string) {
  const { out, io } = capturedStatusIo({ env: { ...env, KAFKA_BROKERS: brokers } });
  const { stdout, stderr } = io;
  const commands = createStatusCommands(io);
  const run = (...argv: string[]) =>
    runCli(commands, ['status', '--region', 'us-east-1', ...argv], 'mskguard', { stdout, stderr, env: {} });
  return { out, run };
}

beforeAll(() => fx.open(1));
afterAll(() => fx.close());

describe('mskguard status errors on the local stack', () => {
  it('an unreachable broker is one line naming it, exit 1, no stack trace', async () => {
    // Prepare: nothing listens on port 1; kafkajs retries, then gives up.
    const { out, run } = cli('127.0.0.1:1');

    // Act
    const code = await run('--group', 'g', '--topic', topic);

    // Assess
    expect(code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^BrokersUnreachableError: Cannot connect to the brokers 127\.0\.0\.1:1: /);
    expect(out.stderr).toMatch(/\nCheck --brokers \(or KAFKA_BROKERS\)/);
    expect(out.stderr).not.toMatch(/^\s+at /m);
  });

  it.each([
    ['--quarantine-table', 'quarantine'],
    ['--checkpoint-table', 'checkpoint'],
  ])('a missing table (%s) is JSON naming it and the endpoint with --json, exit 1', async (option, kind) => {
    // Prepare
    const group = uniqueName('g-missing-table');
    await commit(group, [1]);
    const missing = uniqueName('no-such-table');
    const { out, run } = cli(env.KAFKA_BROKERS);

    // Act
    const code = await run('--group', group, '--topic', topic, option, missing, '--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      error: {
        name: 'StatusTableError',
        kind: 'error',
        message: `${kind} table ${missing} not found in ${env.DYNAMODB_ENDPOINT}.`,
        hint: expect.stringContaining(option),
      },
    });
    expect(out.stderr).not.toMatch(/^\s+at /m);
  });

  it('the tables that exist still answer (the wrapping changes no result)', async () => {
    // Prepare
    const group = uniqueName('g-tables-ok');
    await commit(group, [1]);
    const { out, run } = cli(env.KAFKA_BROKERS);

    // Act
    const code = await run(
      '--group',
      group,
      '--topic',
      topic,
      '--checkpoint-table',
      tables.checkpoints,
      '--quarantine-table',
      tables.quarantine,
      '--json',
    );

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ group, quarantined: 0 });
  });
});
