// `mskguard status`'s command line, checked before any connection: which flags are missing, where
// DynamoDB is (--endpoint, DYNAMODB_ENDPOINT) and that a table or ESM read has a region.
import { describe, expect, it } from 'vitest';
import { ENDPOINT_CASES, runStatus } from '#test/support/restore-cli.ts';

/** `mskguard status` over a stand-in broker, with what it printed and how it opened its clients. */
const status = (argv: readonly string[], env: NodeJS.ProcessEnv = {}, profileRegion?: string) =>
  runStatus(argv, { env, defaultRegion: async () => profileRegion });

describe('mskguard status: required flags', () => {
  it.each([
    [['--group', 'g'], 'Missing --topic NAME.'],
    [['--topic', 'orders'], 'Missing --group ID.'],
    [[], 'Missing --group ID and --topic NAME.'],
  ])('%j names exactly what is missing, exit 2 before connecting', async (argv, message) => {
    // Act
    const { code, stderr, configs } = await status(argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`${message}\nRun 'mskguard status --help' for usage.\n`);
    expect(configs).toEqual([]);
  });
});

describe('mskguard status: a flag passed with an empty value', () => {
  it.each([
    [['--esm-uuid', ''], '--esm-uuid'],
    [['--checkpoint-table', ''], '--checkpoint-table'],
    [['--max-lag='], '--max-lag'],
  ])('%j is a usage error naming %s, exit 2 before connecting', async (argv, flag) => {
    // Act
    const { code, stderr, configs } = await status(['--group', 'g', '--topic', 'orders', ...argv]);

    // Assess
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      `${flag} is empty: give it a value, or leave the flag out for its default.`,
    );
    expect(configs).toEqual([]);
  });
});

describe('mskguard status: DynamoDB endpoint', () => {
  it.each(ENDPOINT_CASES)('%j (env %j) reads the tables at %s', async (argv, env, endpoint) => {
    // Act
    const { code, configs } = await status(
      ['--group', 'g', '--topic', 'orders', '--checkpoint-table', 'ckpt', ...argv],
      env,
    );

    // Assess
    expect(code).toBe(0);
    expect(configs).toEqual([
      expect.objectContaining({ checkpointTable: 'ckpt', dynamodbEndpoint: endpoint }),
    ]);
  });

  it('--help documents --endpoint and its environment variable', async () => {
    // Act
    const { code, stdout } = await status(['--help']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}--endpoint URL +DynamoDB endpoint .*\(env DYNAMODB_ENDPOINT\)/m);
  });
});

describe('mskguard status: region', () => {
  const line = ['--group', 'g', '--topic', 'orders'];
  const dynamodbHint =
    ' needs an AWS region: pass --region R or set AWS_REGION (or a region in your AWS profile); ' +
    'for DynamoDB Local pass --endpoint URL (or set DYNAMODB_ENDPOINT).';

  it.each([
    [['--checkpoint-table', 'C'], `--checkpoint-table C${dynamodbHint}`],
    [['--quarantine-table', 'Q'], `--quarantine-table Q${dynamodbHint}`],
    [
      ['--checkpoint-table', 'C', '--quarantine-table', 'Q'],
      `--checkpoint-table C and --quarantine-table Q${dynamodbHint}`,
    ],
    [
      ['--esm-uuid', 'u-1', '--endpoint', 'http://127.0.0.1:8000'],
      '--esm-uuid u-1 needs an AWS region: pass --region R or set AWS_REGION (or a region in your AWS profile).',
    ],
  ])('%j without a region exits 2 naming the flags, before connecting', async (argv, message) => {
    // Act
    const { code, stderr, configs } = await status([...line, ...argv]);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`${message}\nRun 'mskguard status --help' for usage.\n`);
    expect(configs).toEqual([]);
  });

  it.each([
    [['--checkpoint-table', 'C', '--region', 'eu-west-1'], {}, undefined],
    [['--checkpoint-table', 'C'], { AWS_REGION: 'eu-west-1' }, undefined],
    [['--checkpoint-table', 'C', '--esm-uuid', 'u-1'], {}, 'eu-west-1'],
    [['--checkpoint-table', 'C', '--endpoint', 'http://127.0.0.1:8000'], {}, undefined],
    [[], {}, undefined],
  ])('%j (env %j, profile region %s) connects', async (argv, env, profile) => {
    // Act
    const { code, configs } = await status([...line, ...argv], env, profile);

    // Assess
    expect(code).toBe(0);
    expect(configs).toHaveLength(1);
  });
});
