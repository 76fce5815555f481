// G6 (clear, typed errors) for `mskguard restore`: with --json every error, usage or not, is the
// restore's JSON answer on stdout; `restore undo` checks the restoreId before any network call
// and names the audit table (and where it looked) when the table does not exist.
import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { whereOf } from '#shared/aws/sdk.ts';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { AuditStore } from '#shared/restore/audit.ts';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import type { RestoreClients, RestoreClientsConfig } from '#shared/restore/clients.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import {
  capturedRestoreIo,
  fakeRestoreAdmin,
  fakeRestoreClients,
  runRestore,
  UNUSED_CONSUMER_OFFSETS,
} from '#test/support/restore-cli.ts';

const dynamodb = mockClient(DynamoDBClient);
afterEach(() => dynamodb.reset());

const RESTORE_ID = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';

/** A broker that knows only the topic `orders`, and the audit table on a mocked DynamoDB. */
function fakeClients(opened: RestoreClientsConfig[]) {
  return async (config: RestoreClientsConfig): Promise<RestoreClients> => {
    opened.push(config);
    const audit = config.auditTable
      ? {
          // As openRestoreClients builds it: the store names where it looks.
          audit: new DynamoAuditStore(
            new DynamoDBClient({ region: 'us-east-1' }),
            config.auditTable,
            whereOf(config),
            config.auditTableHints,
          ),
        }
      : {};
    const deps = {
      admin: fakeRestoreAdmin(),
      checkpoints: new MemoryCheckpointStore(),
      consumerOffsets: UNUSED_CONSUMER_OFFSETS,
      ...audit,
    };
    return { deps, close: async () => {} };
  };
}

function cli(env: NodeJS.ProcessEnv = {}) {
  const opened: RestoreClientsConfig[] = [];
  const { out, io } = capturedRestoreIo(fakeClients(opened) as RestoreCliIo['openClients'], env);
  const run = (...argv: string[]) => runRestore(io, argv);
  return { out: Object.assign(out, { opened }), run };
}

/** `restore undo` of a well-formed restoreId against the audit table `audit-tbl`. */
const UNDO = ['undo', RESTORE_ID, '--group', 'g', '--topic', 'orders', '--audit-table', 'audit-tbl'];

describe('mskguard restore --json errors', () => {
  it.each([
    [
      ['file', '--topic', 'orders', '--from-file', '/nonexistent.csv'],
      /Cannot read --from-file \/nonexistent\.csv: ENOENT/,
    ],
    [['timestamp', '--topic', 'missing', '--at=-1h'], /Topic missing does not exist/],
    [['auto', '--topic', 'orders', '--execute'], /--execute needs --audit-table/],
    [['checkpoint', '--topic', 'orders', '--bogus'], /Unknown option '--bogus'/],
  ])('%j prints the JSON answer on stdout and exits 2', async (argv, message) => {
    // Prepare
    const { out, run } = cli({ MSKGUARD_CHECKPOINT_TABLE: 'ckpt' });

    // Act
    const code = await run(...argv, '--group', 'g', '--json');

    // Assess
    expect(code).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      plan: null,
      result: null,
      error: { name: 'UsageError', kind: 'usage', message: expect.stringMatching(message) },
    });
    expect(out.stderr).not.toMatch(/Usage: mskguard restore/);
  });
});

describe('mskguard restore undo', () => {
  it.each([
    ['not-an-id'],
    ['0b0f5f0e5d7c4a559d0b1f0f3a7c2d11'],
    [`${RESTORE_ID}x`],
  ])('refuses the malformed restoreId %s with exit 2 before connecting to anything', async (id) => {
    // Prepare
    const { out, run } = cli();

    // Act
    const code = await run('undo', id, '--group', 'g', '--topic', 'orders', '--audit-table', 'audit-tbl');

    // Assess
    expect(code).toBe(2);
    expect(out.opened).toEqual([]);
    expect(out.stderr).toMatch(new RegExp(`^Invalid restoreId ${id}: expected a UUID`));
    expect(dynamodb.commandCalls(ScanCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  it.each([
    [{ DYNAMODB_ENDPOINT: 'http://127.0.0.1:18000' }, [], 'http://127.0.0.1:18000'],
    [{}, ['--region', 'eu-west-1'], 'region eu-west-1'],
  ])('names the audit table and where it looked when it does not exist (%j); exit 1', async (env, flags, where) => {
    // Prepare: find queries the audit table's index first; a missing table fails there.
    dynamodb.on(QueryCommand).rejects(
      Object.assign(new Error('Cannot do operations on a non-existent table'), {
        name: 'ResourceNotFoundException',
      }),
    );
    const { out, run } = cli(env);

    // Act
    const code = await run(...UNDO, ...flags);

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toContain(
      `TableAccessError: audit table audit-tbl not found in ${where}.\n` +
        'Deploy the stack that creates it, or name the right table with --audit-table (or MSKGUARD_AUDIT_TABLE) ' +
        'and --region.\n',
    );
    // The brokers were reached: pointing at --brokers would send the reader the wrong way.
    expect(out.stderr).not.toMatch(/--brokers/);
  });
});

describe('mskguard restore --json: stderr says why it failed, stdout stays the JSON answer', () => {
  it('an error before planning (a missing audit table): the JSON answer on stdout; its name, message and the summary line on stderr', async () => {
    // Prepare
    dynamodb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }));
    const { out, run } = cli({ AWS_REGION: 'us-east-1' });

    // Act
    const code = await run(...UNDO, '--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      plan: null,
      result: null,
      error: {
        name: 'TableAccessError',
        message: expect.stringContaining('audit table audit-tbl not found'),
      },
    });
    const answer = JSON.parse(out.stdout) as { error: { name: string; message: string } };
    expect(answer.error.name).toBe('TableAccessError');
    expect(out.stderr).toMatch(
      new RegExp(
        '^TableAccessError: audit table audit-tbl not found in region us-east-1\\.\\n.*\\n' +
          'restore failed before planning \\(elapsed [^)]+\\)\\n$',
      ),
    );
    expect(out.stderr).toContain(`${answer.error.name}: ${answer.error.message}\n`);
  });

  it('a failed --execute: the error of its result, then the summary line', async () => {
    // Prepare: an audit table that cannot be written.
    const audit: AuditStore = {
      start: async () => {
        throw new Error('AccessDeniedException');
      },
      finish: async () => {},
      find: async () => null,
    };
    const { out, io } = capturedRestoreIo(fakeRestoreClients({ audit }) as RestoreCliIo['openClients'], {});
    const argv = ['file', '--offsets', '0=5', '--group', 'g', '--topic', 'orders', '--execute'];

    // Act
    const code = await runRestore(io, [...argv, '--audit-table', 'audit-tbl', '--json']);

    // Assess
    expect(code).toBe(4);
    const answer = JSON.parse(out.stdout) as { error: { name: string; message: string } };
    expect(out.stderr).toContain(`${answer.error.name}: ${answer.error.message}\nrestore g/orders failed: `);
  });
});
