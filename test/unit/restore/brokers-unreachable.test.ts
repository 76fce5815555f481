// G6 (clear, typed errors): brokers that cannot be reached are a BrokersUnreachableError, as in
// `mskguard status`, naming the brokers and what to check in the caller's terms: the CLI's flags
// and variables, the restore function's environment. kafkajs's KafkaJSNumberOfRetriesExceeded
// names neither.

import { describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { BROKERS_HINT, connectBrokers, type RestoreClientsConfig } from '#shared/restore/clients.ts';
import { BrokersUnreachableError } from '#shared/status/errors.ts';
import { capturedRestoreIo } from '#test/support/restore-cli.ts';
import { restoreLambda } from './lambda-fixtures.ts';

/** An admin whose connect fails as kafkajs's does when no broker answers. */
const UNREACHABLE = {
  connect: async (): Promise<void> => {
    throw Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
    });
  },
};

/** openRestoreClients up to its first step, the connect, against brokers that do not answer. */
const openUnreachable = async (config: RestoreClientsConfig): Promise<never> => {
  await connectBrokers(UNREACHABLE, config);
  throw new Error('connected to brokers that cannot be reached');
};

/** The reviewer's command line: `restore timestamp` against a port nothing listens on. */
async function restoreTimestamp(...extra: string[]) {
  const { out, io } = capturedRestoreIo(openUnreachable as RestoreCliIo['openClients'], {});
  const argv = [
    'restore',
    'timestamp',
    '--group',
    'g',
    '--topic',
    't',
    '--brokers',
    '127.0.0.1:1',
    '--at=-1h',
  ];
  const code = await runCli(createRestoreCommands(io), [...argv, ...extra], 'mskguard', {
    stdout: io.stdout,
    stderr: io.stderr,
    env: {},
  });
  return { code, ...out };
}

const CLI_HINT =
  /^Check --brokers \(or KAFKA_BROKERS, MSKGUARD_KAFKA_BROKERS\), --kafka-auth \(or KAFKA_AUTH\)/;

describe('connectBrokers', () => {
  it('names the brokers and the next step when none answers', async () => {
    // Act
    const failure = await connectBrokers(UNREACHABLE, { brokers: ['127.0.0.1:1', '127.0.0.1:2'] }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(BrokersUnreachableError);
    expect((failure as Error).message).toBe(
      'Cannot connect to the brokers 127.0.0.1:1,127.0.0.1:2: KafkaJSNumberOfRetriesExceeded: ' +
        'Connection error: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect((failure as BrokersUnreachableError).hint).toBe(BROKERS_HINT);
  });

  it('passes on a typed error raised while connecting (the credentials), not "brokers unreachable"', async () => {
    // Prepare: the IAM token provider fails with the project's own error.
    const typed = new ConfigurationError('AWS_REGION is not set: the MSK IAM signer needs the region.');
    const failing = {
      connect: async () => {
        throw typed;
      },
    };

    // Act
    const failure = await connectBrokers(failing, { brokers: ['b-1:9098'] }).catch((e: unknown) => e);

    // Assess
    expect(failure).toBe(typed);
  });
});

describe('mskguard restore: brokers that cannot be reached', () => {
  it('--json answers a BrokersUnreachableError with the hint; exit 1', async () => {
    // Act
    const { code, stdout, stderr } = await restoreTimestamp('--json');

    // Assess
    expect(code).toBe(1);
    // stderr says why, as without --json: the error, its hint, then the summary line.
    const lines = stderr.split('\n');
    expect(lines[0]).toMatch(/^BrokersUnreachableError: Cannot connect to the brokers 127\.0\.0\.1:1: /);
    expect(lines[1]).toMatch(CLI_HINT);
    expect(lines[2]).toMatch(/^restore failed before planning \(elapsed /);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      exitCode: 1,
      plan: null,
      result: null,
      error: {
        name: 'BrokersUnreachableError',
        kind: 'error',
        message: expect.stringMatching(
          /^Cannot connect to the brokers 127\.0\.0\.1:1: KafkaJSNumberOfRetries/,
        ),
        hint: expect.stringMatching(CLI_HINT),
      },
    });
  });

  it('prints the error and its hint once, without the generic next step', async () => {
    // Act
    const { code, stderr } = await restoreTimestamp();

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/^BrokersUnreachableError: Cannot connect to the brokers 127\.0\.0\.1:1: /m);
    expect(stderr.split('\n').filter((line) => CLI_HINT.test(line))).toHaveLength(1);
    expect(stderr).toMatch(/--via-lambda\)\.$/m);
    expect(stderr).not.toMatch(/next step/);
  });
});

describe('restore Lambda handler: brokers that cannot be reached', () => {
  it("names the function's environment, not the CLI's flags", async () => {
    // Prepare
    const handler = restoreLambda(openUnreachable, { brokers: ['b-1:9098'] });

    // Act
    const response = await handler({ group: 'g', topic: 'orders', strategy: 'checkpoint' });

    // Assess
    expect(response).toMatchObject({
      exitCode: 1,
      error: {
        name: 'BrokersUnreachableError',
        message: expect.stringMatching(/^Cannot connect to the brokers b-1:9098: /),
        hint: expect.stringMatching(/^Check the function's MSKGUARD_KAFKA_BROKERS and MSKGUARD_KAFKA_AUTH /),
      },
    });
    expect(response.error?.hint).not.toMatch(/--brokers|--kafka-auth/);
  });
});
