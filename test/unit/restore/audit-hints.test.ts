// G6 (clear, typed errors): a restoreId no audit item has, and an audit item that cannot be written,
// point at where the audit table is set in the caller's terms: --audit-table for the CLI, the
// function's table and environment variable for the restore Lambda (whose caller has no flag).
import { describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { AuditStore } from '#shared/restore/audit.ts';
import { capturedRestoreIo, fakeRestoreClients, runRestore } from '#test/support/restore-cli.ts';
import { restoreLambda } from './lambda-fixtures.ts';

const RESTORE_ID = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';

/** An audit table that holds no restore and, when `failStart`, cannot be written. */
function openClients(failStart = false) {
  const audit: AuditStore = {
    start: async () => {
      if (failStart) throw new Error('AccessDeniedException');
      return { pk: 'g', sk: 's' };
    },
    finish: async () => {},
    find: async () => null,
  };
  return fakeRestoreClients({ audit });
}

function handler(failStart = false) {
  return restoreLambda(openClients(failStart), { checkpointTable: 'ckpt', auditTable: 'stack-audit' });
}

async function cli(failStart: boolean, ...argv: string[]) {
  const { out, io } = capturedRestoreIo(openClients(failStart) as RestoreCliIo['openClients'], {
    MSKGUARD_AUDIT_TABLE: 'audit-tbl',
  });
  const code = await runRestore(io, [...argv, '--group', 'g', '--topic', 'orders', '--json']);
  return { code, message: (JSON.parse(out.stdout) as { error: { message: string } }).error.message };
}

describe('where the audit table is set, in the caller’s terms', () => {
  it('an unknown restoreId: the CLI names --audit-table and the table it read', async () => {
    // Act
    const { code, message } = await cli(false, 'undo', RESTORE_ID);

    // Assess
    expect(code).toBe(2);
    expect(message).toBe(
      `No audit item has restoreId ${RESTORE_ID}: check the id (printed by the restore and stored in the audit table) ` +
        'and --audit-table (or MSKGUARD_AUDIT_TABLE; this run read audit-tbl).',
    );
  });

  it('an unknown restoreId: the Lambda names its own table and variable, no flag', async () => {
    // Act
    const response = await handler()({ group: 'g', topic: 'orders', strategy: 'undo', undoes: RESTORE_ID });

    // Assess
    expect(response.error).toMatchObject({ name: 'UnknownRestoreIdError', kind: 'usage' });
    expect(response.error?.message).toBe(
      `No audit item has restoreId ${RESTORE_ID}: check the id (printed by the restore and stored in the audit table) ` +
        'and the audit table the function reads (stack-audit, its MSKGUARD_AUDIT_TABLE environment variable).',
    );
    expect(response.error?.message).not.toMatch(/--/);
  });

  it('an audit item that cannot be written: each caller is told where the table is set', async () => {
    // Act
    const viaCli = await cli(true, 'file', '--offsets', '0=5', '--execute');
    const viaLambda = await handler(true)({
      group: 'g',
      topic: 'orders',
      strategy: 'file',
      offsets: [{ partition: 0, offset: 5 }],
      execute: true,
    });

    // Assess
    expect(viaCli.code).toBe(4);
    expect(viaCli.message).toMatch(
      /Check --audit-table \(or MSKGUARD_AUDIT_TABLE; this run read audit-tbl\) and/,
    );
    expect(viaLambda.exitCode).toBe(4);
    expect(viaLambda.error?.message).toMatch(
      /Check the audit table the function reads \(stack-audit, its MSKGUARD_AUDIT_TABLE/,
    );
    expect(viaLambda.error?.message).not.toMatch(/--/);
  });
});
