// G6 (typed errors) for `mskguard restore undo` with its real clients (the local broker, DynamoDB
// Local): an audit table that does not exist is named, with the endpoint it was looked for on, and
// the answer does not send the reader to --brokers (they answered); a malformed restoreId is a usage
// error before any network call.

import { describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const RESTORE_ID = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';

function cli() {
  const out = { stdout: '', stderr: '', opened: 0 };
  const stdout = (t: string) => {
    out.stdout += t;
  };
  const stderr = (t: string) => {
    out.stderr += t;
  };
  const io: RestoreCliIo = {
    stdout,
    stderr,
    env: { KAFKA_BROKERS: env.KAFKA_BROKERS, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT, USER: 'oncall' },
    openClients: (config) => {
      out.opened++;
      return openRestoreClients(config);
    },
    lambda: () => {
      throw new Error('undo without --via-lambda never calls the Lambda API');
    },
  };
  const run = (...argv: string[]) =>
    runCli(createRestoreCommands(io), ['restore', 'undo', ...argv, '--region', 'us-east-1'], 'mskguard', {
      stdout,
      stderr,
      env: {},
    });
  return { out, run };
}

describe('mskguard restore undo errors on the local stack', () => {
  it('names the audit table that does not exist and where it looked; exit 1', async () => {
    // Prepare
    const table = uniqueName('no-such-audit');
    const { out, run } = cli();

    // Act
    const code = await run(RESTORE_ID, '--group', 'g', '--topic', 'orders', '--audit-table', table);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toContain(
      `TableAccessError: audit table ${table} not found in ${env.DYNAMODB_ENDPOINT}.\n` +
        'Deploy the stack that creates it, or name the right table with --audit-table (or MSKGUARD_AUDIT_TABLE) ' +
        'and --region.\n',
    );
    expect(out.stderr).not.toMatch(/--brokers|^\s+at /m);
  });

  it('--json answers the missing audit table as JSON on stdout', async () => {
    // Prepare
    const table = uniqueName('no-such-audit');
    const { out, run } = cli();

    // Act
    const code = await run(RESTORE_ID, '--group', 'g', '--topic', 'orders', '--audit-table', table, '--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      plan: null,
      result: null,
      error: {
        name: 'TableAccessError',
        message: expect.stringContaining(`audit table ${table} not found`),
      },
    });
  });

  it('refuses a malformed restoreId with exit 2 before opening any client', async () => {
    // Prepare
    const { out, run } = cli();

    // Act
    const code = await run('restore-123', '--group', 'g', '--topic', 'orders', '--audit-table', 'audit-tbl');

    // Assess
    expect(code).toBe(2);
    expect(out.opened).toBe(0);
    expect(out.stderr).toBe(
      'Invalid restoreId restore-123: expected a UUID such as 0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11, as printed by ' +
        "the restore ('restore plan <restoreId>') and stored in the audit table.\n" +
        "Run 'mskguard restore undo --help' for usage.\n",
    );
  });
});
