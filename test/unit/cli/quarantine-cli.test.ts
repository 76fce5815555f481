// G6 (clear, typed errors) for `mskguard quarantine`, as restore and status do it: every subcommand
// has --help; a bad command line (a malformed --id included) exits 2 with a pointer to --help before
// any DynamoDB call, and is JSON on stdout with --json; the table is --quarantine-table (as status
// names it) or --table; --endpoint alone reaches DynamoDB Local (no region or credentials needed).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands, type QuarantineCliDeps } from '#shared/cli/commands/quarantine.ts';

/**
 * The CLI over a DynamoDB that holds no record, with what it was asked and printed captured;
 * `profileRegion`: the region the SDK would find in an AWS profile (none, as on a bare laptop).
 */
function cli(env: NodeJS.ProcessEnv = {}, profileRegion?: string) {
  const seen = { stdout: '', stderr: '', clients: [] as unknown[], tables: [] as unknown[] };
  const dynamodb: QuarantineCliDeps['dynamodb'] = (settings) => {
    seen.clients.push(settings);
    return {
      send: async (command: object) => {
        seen.tables.push((command as { input: { TableName?: string } }).input.TableName);
        return { Items: [], Responses: {} };
      },
    };
  };
  const commands = createQuarantineCommands({
    dynamodb,
    kafka: async () => {
      throw new Error('no broker in unit tests');
    },
    out: (line) => {
      seen.stdout += `${line}\n`;
    },
    err: (line) => {
      seen.stderr += `${line}\n`;
    },
    env,
    defaultRegion: async () => profileRegion,
  });
  const run = (...argv: string[]) =>
    runCli(commands, ['quarantine', ...argv], 'mskguard', {
      stdout: (t) => {
        seen.stdout += t;
      },
      stderr: (t) => {
        seen.stderr += t;
      },
      env: {},
    });
  return { seen, run };
}

describe('mskguard quarantine --help', () => {
  it.each([
    [[], /^Usage: mskguard quarantine <list\|replay>[\s\S]*mskguard quarantine replay /],
    [['list'], /^Usage: mskguard quarantine list --group ID[\s\S]*--quarantine-table T[\s\S]*--json/],
    [['replay'], /^Usage: mskguard quarantine replay [\s\S]*--id ID[\s\S]*Exit codes: 0 [\s\S]*2 usage/],
  ])('quarantine %j --help prints its help, exit 0', async (words, help) => {
    // Prepare
    const { seen, run } = cli();

    // Act
    const code = await run(...words, '--help');

    // Assess
    expect(code).toBe(0);
    expect(seen.stdout).toMatch(help);
  });
});

describe('mskguard quarantine usage errors', () => {
  it.each([
    [[], 'quarantine', /Name a command: list or replay/],
    [['replay', '--id', 'bogus'], 'quarantine replay', /Invalid quarantine id "bogus": expected <group>\//],
    [['replay', '--group', 'g', '--execute'], 'quarantine replay', /--execute needs --brokers/],
    [
      ['replay', '--group', 'g', '--execute', '--brokers', 'b:9092', '--kafka-auth', 'iam'],
      'quarantine replay',
      /--kafka-auth iam needs the MSK cluster region/,
    ],
    [
      ['replay', '--group', 'g', '--kafka-auth', 'sasl', '--execute', '--brokers', 'b:9092'],
      'quarantine replay',
      /--kafka-auth sasl/,
    ],
    [['list', '--group', 'g', '--since', 'yesterday'], 'quarantine list', /--since yesterday: expected/],
    [['list', '--group', 'g', 'orders'], 'quarantine list', /Unexpected argument\(s\): orders/],
    [
      ['list', '--group', 'g', '--status', 'lost'],
      'quarantine list',
      /--status lost: quarantined, replayed or all/,
    ],
    [['replay', '--group', '', '--execute', '--brokers', 'b:9092'], 'quarantine replay', /^--group is empty/],
    [['list', '--group', 'g', '--quarantine-table', ''], 'quarantine list', /^--quarantine-table is empty/],
  ])('%j exits 2 with a pointer to --help, before any DynamoDB call', async (argv, command, message) => {
    // Prepare
    const { seen, run } = cli({ MSKGUARD_QUARANTINE_TABLE: 'quarantine-tbl' });

    // Act
    const code = await run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(seen.stdout).toBe('');
    const lines = seen.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toBe(`Run 'mskguard ${command} --help' for usage.`);
    expect(seen.clients).toEqual([]);
  });

  it('names both ways to give the table when none is given', async () => {
    // Prepare
    const { seen, run } = cli();

    // Act
    const code = await run('list', '--group', 'g');

    // Assess
    expect(code).toBe(2);
    expect(seen.stderr).toMatch(/pass --quarantine-table <name> or set MSKGUARD_QUARANTINE_TABLE/);
  });

  it.each([
    [['replay', '--id', 'bogus'], { outcomes: null }, /Invalid quarantine id "bogus"/],
    [['list', '--limit', '0', '--group', 'g'], { records: null }, /--limit 0: expected a whole number/],
  ])('with --json, %j is the JSON error answer on stdout, exit 2', async (argv, fields, message) => {
    // Prepare
    const { seen, run } = cli({ MSKGUARD_QUARANTINE_TABLE: 'quarantine-tbl' });

    // Act
    const code = await run(...argv, '--json');

    // Assess
    expect(code).toBe(2);
    expect(JSON.parse(seen.stdout)).toEqual({
      ok: false,
      exitCode: 2,
      ...fields,
      error: {
        name: 'UsageError',
        kind: 'usage',
        message: expect.stringMatching(message),
        hint: `Run 'mskguard quarantine ${argv[0]} --help' for usage.`,
      },
    });
  });
});

describe('mskguard quarantine DynamoDB settings', () => {
  beforeEach(() => {
    // As on an operator's laptop with nothing configured: the settings must not rely on the environment.
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_DEFAULT_REGION']) vi.stubEnv(name, undefined);
  });
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    [['--endpoint', 'http://127.0.0.1:8000'], {}],
    [[], { DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }],
  ])('%j (env %j) reaches the endpoint with a region and local credentials', async (argv, env) => {
    // Prepare
    const { seen, run } = cli(env);

    // Act
    const code = await run('list', '--group', 'g', '--quarantine-table', 'quarantine-tbl', ...argv);

    // Assess
    expect(code).toBe(0);
    expect(seen.clients).toEqual([
      {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:8000',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    ]);
    expect(seen.tables).toEqual(['quarantine-tbl']);
  });

  it.each([
    ['--quarantine-table', 'prod-Quarantine'],
    ['--table', 'prod-Quarantine'],
  ])('%s names the table; --region the region (no local credentials without an endpoint)', async (flag, table) => {
    // Prepare
    const { seen, run } = cli();

    // Act
    const code = await run('list', '--group', 'g', flag, table, '--region', 'eu-west-1');

    // Assess
    expect(code).toBe(0);
    expect(seen.clients).toEqual([{ region: 'eu-west-1' }]);
    expect(seen.tables).toEqual([table]);
    expect(seen.stdout).toBe('0 records\n');
  });
});

describe('mskguard quarantine region', () => {
  it.each([
    ['list', '--group', 'g'],
    ['replay', '--group', 'g'],
  ])('%s without a region or endpoint exits 2 naming --region and --endpoint, before any call', async (...argv) => {
    // Prepare
    const { seen, run } = cli({ MSKGUARD_QUARANTINE_TABLE: 'Q' });

    // Act
    const code = await run(...argv, '--since', '24h');

    // Assess
    expect(code).toBe(2);
    expect(seen.stderr).toBe(
      'The quarantine table Q needs an AWS region: pass --region R or set AWS_REGION (or a region in your ' +
        'AWS profile); for DynamoDB Local pass --endpoint URL (or set DYNAMODB_ENDPOINT).\n' +
        `Run 'mskguard quarantine ${argv[0]} --help' for usage.\n`,
    );
    expect(seen.clients).toEqual([]);
  });

  it.each([
    [{ AWS_REGION: 'eu-west-1' }, undefined, { region: 'eu-west-1' }],
    [{ AWS_DEFAULT_REGION: 'eu-west-1' }, undefined, { region: 'eu-west-1' }],
    // The SDK finds the profile's region itself: the client is built without one.
    [{}, 'eu-west-1', {}],
  ])('env %j (profile region %s) is a region: the table is read with %j', async (env, profile, settings) => {
    // Prepare
    const { seen, run } = cli({ MSKGUARD_QUARANTINE_TABLE: 'Q', ...env }, profile);

    // Act
    const code = await run('list', '--group', 'g');

    // Assess
    expect(code).toBe(0);
    expect(seen.clients).toEqual([settings]);
  });
});
