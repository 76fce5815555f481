// G6 (clear, typed errors) for `mskguard restore --via-lambda`: the function is invoked in the region
// the command line names (--region, else AWS_REGION / AWS_DEFAULT_REGION, else the AWS profile's),
// and without one the command exits 2 naming --region before invoking anything.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
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
