// G6 (clear, typed errors) for `mskguard status`: a broker that does not answer, a table that does
// not exist and an event source mapping that cannot be read are StatusErrors that name the brokers,
// the table or the ESM and say what to check; `status --json` prints any error as JSON on stdout.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TableNotFoundError } from '#shared/checkpoints/dynamodb.ts';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import { connectBrokers } from '#shared/restore/clients.ts';
import {
  countQuarantined,
  readableCheckpoints,
  readEsm,
  STATUS_BROKERS_HINT,
} from '#shared/status/clients.ts';
import type { StatusAdmin } from '#shared/status/collect.ts';
import { BrokersUnreachableError, StatusEsmError, StatusTableError } from '#shared/status/errors.ts';

const dynamodb = mockClient(DynamoDBClient);
const lambda = mockClient(LambdaClient);
afterEach(() => {
  dynamodb.reset();
  lambda.reset();
});

/** What the AWS SDK throws for a table or mapping that does not exist. */
function notFound(message: string): Error {
  return Object.assign(new Error(message), { name: 'ResourceNotFoundException' });
}

describe('status clients', () => {
  it('names the brokers when none answers', async () => {
    // Prepare: kafkajs's error names no broker.
    const admin = {
      connect: async () => {
        throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
          name: 'KafkaJSNumberOfRetriesExceeded',
        });
      },
    };

    // Act
    const brokers = ['127.0.0.1:1', '127.0.0.1:2'];
    const failure = await connectBrokers(admin, { brokers, brokersHint: STATUS_BROKERS_HINT }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(BrokersUnreachableError);
    expect((failure as Error).message).toMatch(
      /brokers 127\.0\.0\.1:1,127\.0\.0\.1:2: KafkaJSNumberOfRetriesExceeded/,
    );
    expect((failure as BrokersUnreachableError).hint).toMatch(/--brokers/);
  });

  it('names the quarantine table and where it was looked for when it does not exist', async () => {
    // Prepare
    dynamodb.on(QueryCommand).rejects(notFound('Cannot do operations on a non-existent table'));

    // Act
    const failure = await countQuarantined(new DynamoDBClient({}), 'q-tbl', 'g', 'region eu-west-1').catch(
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(StatusTableError);
    expect((failure as Error).message).toBe('quarantine table q-tbl not found in region eu-west-1.');
    expect((failure as StatusTableError).hint).toMatch(/--quarantine-table/);
  });

  it.each([
    [
      new TableNotFoundError('c-tbl', 'Deploy it.'),
      /^checkpoint table c-tbl not found in http:\/\/ddb:8000\.$/,
    ],
    [
      new Error('socket hang up'),
      /^Cannot read checkpoint table c-tbl in http:\/\/ddb:8000: Error: socket hang up$/,
    ],
  ])('a failed checkpoint read is a StatusTableError naming the table (%s)', async (cause, message) => {
    // Prepare
    const store = {
      listCurrent: async () => {
        throw cause;
      },
    };

    // Act
    const failure = await readableCheckpoints(store, 'c-tbl', 'http://ddb:8000')
      .listCurrent('g', 't')
      .catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(StatusTableError);
    expect((failure as Error).message).toMatch(message);
  });

  it.each([
    [notFound('Function not found'), /^No event source mapping u-1 in region us-east-1\.$/],
    [
      Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }),
      /^Cannot read event source mapping u-1 .*CredentialsProviderError: Could not load credentials$/,
    ],
  ])('a failed ESM lookup is a StatusEsmError naming the mapping (%s)', async (cause, message) => {
    // Prepare
    lambda.on(GetEventSourceMappingCommand).rejects(cause);

    // Act
    const failure = await readEsm(new LambdaClient({}), 'u-1', 'region us-east-1').catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(StatusEsmError);
    expect((failure as Error).message).toMatch(message);
  });
});

describe('mskguard status errors', () => {
  function cli(fail: () => Error) {
    const out = { stdout: '', stderr: '' };
    const admin = {
      listTopics: async () => {
        throw fail();
      },
    } as unknown as StatusAdmin;
    const commands = createStatusCommands({
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      env: { KAFKA_BROKERS: '127.0.0.1:1' },
      isTty: false,
      openClients: async () => ({ deps: { admin }, close: async () => {} }),
      sleep: async () => {},
      watching: () => false,
    });
    const run = (...argv: string[]) =>
      runCli(commands, ['status', '--group', 'g', '--topic', 'orders', ...argv], 'mskguard', {
        stdout: (t) => {
          out.stdout += t;
        },
        stderr: (t) => {
          out.stderr += t;
        },
        env: {},
      });
    return { out, run };
  }

  it('prints an unexpected kafkajs error as one line and exits 1', async () => {
    // Prepare
    const { out, run } = cli(() =>
      Object.assign(new Error('This server is not the leader'), { name: 'KafkaJSProtocolError' }),
    );

    // Act
    const code = await run();

    // Assess
    expect(code).toBe(1);
    expect(out.stderr).toBe('KafkaJSProtocolError: This server is not the leader\n');
  });

  it('--json prints a typed error as JSON on stdout, exit 1', async () => {
    // Prepare
    const { out, run } = cli(
      () => new StatusTableError('checkpoint table c not found in region r.', { hint: 'Deploy.' }),
    );

    // Act
    const code = await run('--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({
      ok: false,
      exitCode: 1,
      error: {
        name: 'StatusTableError',
        kind: 'error',
        message: 'checkpoint table c not found in region r.',
        hint: 'Deploy.',
      },
    });
  });

  it('--json prints a usage error as JSON on stdout, exit 2', async () => {
    // Prepare
    const { out, run } = cli(() => new Error('unused'));

    // Act
    const code = await run('--json', '--max-lag', 'many');

    // Assess
    expect(code).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { name: 'UsageError', kind: 'usage', message: '--max-lag many: expected a whole number.' },
    });
  });
});
