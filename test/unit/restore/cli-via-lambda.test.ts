// G6 (clear, typed errors) for `mskguard restore --via-lambda`: the function is invoked in the region
// the command line names (--region, else AWS_REGION / AWS_DEFAULT_REGION, else the AWS profile's),
// and without one the command exits 2 naming --region before invoking anything.
import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { capturedRestoreIo, runRestore } from '#test/support/restore-cli.ts';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

/**
 * A restore Lambda that answers a usage error (the answer does not matter here, the region does);
 * `profileRegion` is the region the SDK would find in the AWS profile.
 */
function cli(env: NodeJS.ProcessEnv, profileRegion?: string) {
  const answer = {
    ok: false,
    exitCode: 2,
    plan: null,
    result: null,
    error: { name: 'RestoreUsageError', kind: 'usage', message: 'Missing topic.' },
  };
  lambda
    .on(InvokeCommand)
    .resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(answer)) as never });
  const notUsed = (async () => {
    throw new Error('--via-lambda must not connect locally');
  }) as RestoreCliIo['openClients'];
  const captured = capturedRestoreIo(notUsed, env);
  const out = captured.out;
  const io: RestoreCliIo = { ...captured.io, defaultRegion: async () => profileRegion };
  const run = (...argv: string[]) =>
    runRestore(io, ['checkpoint', '--group', 'g', '--topic', 'orders', ...argv]);
  return { out, run };
}

/** The region of the client that sent the first InvokeCommand. */
async function invokedRegion(): Promise<string> {
  const call = lambda.commandCalls(InvokeCommand)[0];
  return (call?.thisValue as LambdaClient).config.region();
}

describe('mskguard restore --via-lambda', () => {
  it.each([
    ['--region', { AWS_REGION: 'us-east-1' }, ['--region', 'eu-west-1'], 'eu-west-1'],
    ['AWS_REGION', { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'us-east-1' }, [], 'eu-central-1'],
    ['AWS_DEFAULT_REGION', { AWS_DEFAULT_REGION: 'ap-southeast-2' }, [], 'ap-southeast-2'],
    ['the AWS profile', {}, [], 'eu-north-1'],
  ])('invokes the function in the region of %s', async (_source, env, flags, region) => {
    // Prepare
    const { out, run } = cli(env, 'eu-north-1');

    // Act
    const code = await run('--via-lambda', 'mskguard-restore', ...flags);

    // Assess
    expect(code).toBe(2);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(await invokedRegion()).toBe(region);
    expect(out.stderr).toContain(`[restore] invoking mskguard-restore in ${region} (RequestResponse)`);
  });

  it('without a region anywhere, exits 2 naming --region and AWS_REGION, and invokes nothing', async () => {
    // Prepare
    const { out, run } = cli({});

    // Act
    const code = await run('--via-lambda', 'mskguard-restore', '--json');

    // Assess
    expect(code).toBe(2);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: {
        name: 'UsageError',
        message:
          "--via-lambda mskguard-restore needs the function's region: pass --region R or set AWS_REGION (or a region " +
          'in your AWS profile).',
      },
    });
  });
});

/** `restore timestamp --via-lambda fn` (with `--execute` when asked) against a Lambda answering `answer`. */
async function invokeAnswering(answer: (mock: typeof lambda) => void, ...argv: string[]) {
  answer(lambda);
  const captured = capturedRestoreIo(
    (async () => {
      throw new Error('--via-lambda must not connect locally');
    }) as RestoreCliIo['openClients'],
    { AWS_REGION: 'eu-west-1' },
  );
  const line = ['timestamp', '--group', 'g', '--topic', 'orders', '--at=-1h', '--via-lambda', 'fn'];
  const code = await runRestore(captured.io, [...line, ...argv]);
  return { code, ...captured.out };
}

const payload = (text: string) => Buffer.from(text) as never;
const EXECUTE = ['--execute', '--audit-table', 'audit'];

describe('mskguard restore --via-lambda: an answer that is not a restore answer', () => {
  it.each([
    ['another function', '{"batchItemFailures":[]}', /\(no boolean ok\): \{"batchItemFailures":\[\]\}/],
    ['null', 'null', /\(null, not an object\)/],
    ['no JSON', '<html>oops</html>', /answered something that is not JSON: <html>oops<\/html>/],
    ['nothing', '', /not JSON: \(an empty payload\)/],
    [
      'ok without a plan',
      '{"ok":true,"exitCode":0,"plan":null,"result":null,"error":null}',
      /neither a plan/,
    ],
    [
      'ok with a failed exit code',
      '{"ok":true,"exitCode":4,"plan":null,"result":null,"error":null}',
      /ok true/,
    ],
  ])('a dry run answered by %s is a RestoreLambdaError naming --via-lambda and the function, exit 1', async (_, text, reason) => {
    // Act
    const { code, stdout, stderr } = await invokeAnswering((l) =>
      l.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(text) }),
    );

    // Assess
    expect(code).toBe(1);
    const [first, hint] = stderr.split('\n').slice(1);
    expect(first).toMatch(/^RestoreLambdaError: --via-lambda fn (answered|failed)/);
    expect(first).toMatch(reason);
    expect(first).toMatch(/A dry run: nothing was changed\.$/);
    expect(hint).toMatch(/^Check that fn is the restore function/);
    expect(stdout).toMatch(/^restore failed before planning \(elapsed /);
  });

  it('a plan of another group is not trusted', async () => {
    // Prepare
    const answer = { ok: true, exitCode: 0, plan: PLAN_OF_OTHER_GROUP, result: null, error: null };

    // Act
    const { code, stderr } = await invokeAnswering((l) =>
      l.on(InvokeCommand).resolves({ Payload: payload(JSON.stringify(answer)) }),
    );

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/RestoreLambdaError: .*\(a plan of other\/orders, not g\/orders\)/);
  });

  it('--execute answered by another function: exit 4, the outcome unknown, what to check', async () => {
    // Act
    const { code, stdout, stderr } = await invokeAnswering(
      (l) => l.on(InvokeCommand).resolves({ Payload: payload('{"batchItemFailures":[]}') }),
      ...EXECUTE,
    );

    // Assess
    expect(code).toBe(4);
    expect(stderr).toMatch(
      /^RestoreLambdaOutcomeUnknownError: --via-lambda fn answered something that is not a restore's answer .*its outcome is unknown/m,
    );
    expect(stderr).toMatch(/mskguard status --group g --topic orders .*audit table/);
    expect(stdout).toMatch(/^restore failed, its outcome unknown \(elapsed /);
    expect(stdout).not.toMatch(/before planning/);
  });

  it.each([
    ['a timeout', { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 900.00 seconds' }],
    ['a crash', { errorType: 'Runtime.ExitError', errorMessage: 'signal: killed' }],
  ])('--execute ended by %s of the function: exit 4, the outcome unknown', async (_, error) => {
    // Act
    const { code, stdout, stderr } = await invokeAnswering(
      (l) =>
        l.on(InvokeCommand).resolves({ FunctionError: 'Unhandled', Payload: payload(JSON.stringify(error)) }),
      ...EXECUTE,
    );

    // Assess
    expect(code).toBe(4);
    expect(stderr).toContain(
      `RestoreLambdaOutcomeUnknownError: --via-lambda fn failed (Unhandled): ${error.errorType}: ${error.errorMessage}. ` +
        'The restore was asked to --execute: its outcome is unknown',
    );
    expect(stderr).toMatch(
      /^Before retrying, look at what it did: mskguard status --group g --topic orders/m,
    );
    expect(stdout).not.toMatch(/before planning/);
  });

  it('--execute whose call was cut without an answer: exit 4, the outcome unknown', async () => {
    // Act
    const { code, stderr } = await invokeAnswering(
      (l) => l.on(InvokeCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      ...EXECUTE,
    );

    // Assess
    expect(code).toBe(4);
    expect(stderr).toMatch(
      /RestoreLambdaOutcomeUnknownError: --via-lambda fn: the invocation failed without an answer/,
    );
  });

  it('--execute the Lambda API refused (unknown function): the function did not run, exit 1', async () => {
    // Prepare
    const notFound = new ResourceNotFoundException({
      message: 'Function not found: fn',
      $metadata: { httpStatusCode: 404 },
    });

    // Act
    const { code, stderr, stdout } = await invokeAnswering(
      (l) => l.on(InvokeCommand).rejects(notFound),
      ...EXECUTE,
    );

    // Assess
    expect(code).toBe(1);
    expect(stdout).toMatch(/^restore failed before planning/);
    expect(stderr).toMatch(
      /RestoreLambdaError: --via-lambda fn: the function could not be invoked \(ResourceNotFoundException: Function not found: fn\)\. The function did not run: nothing was changed\./,
    );
  });

  it('--execute refused after the client had retried: the outcome is unknown, exit 4', async () => {
    // Prepare: a 429 on the third attempt; an earlier one may have reached the function.
    const throttled = new TooManyRequestsException({
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 429, attempts: 3 },
    });

    // Act
    const { code, stderr } = await invokeAnswering((l) => l.on(InvokeCommand).rejects(throttled), ...EXECUTE);

    // Assess
    expect(code).toBe(4);
    expect(stderr).toMatch(
      /RestoreLambdaOutcomeUnknownError: --via-lambda fn: the invocation failed without an answer/,
    );
  });
});

/** A well-formed plan, of the group `other`. */
const PLAN_OF_OTHER_GROUP = {
  restoreId: '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11',
  group: 'other',
  topic: 'orders',
  strategy: 'timestamp',
  mode: 'recover',
  at: null,
  clamp: false,
  esmUuid: null,
  requestedBy: 'alice',
  plannedAt: '2026-01-01T00:00:00.000Z',
  groupState: 'Empty',
  members: [],
  rows: [{ partition: 0 }],
  considered: [],
  warnings: [],
  refusals: [],
};
