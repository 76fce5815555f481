// Proves the package works as an outside user gets it (issue 12): `npm pack` this repository, install
// the tarball into fresh projects outside it (plain `npm install`, no path aliases, no tsx), and use
// it there on the Lambda Node runtimes: a guarded JavaScript handler against the local stack (G1,
// G2 through the built code), TypeScript against the shipped declarations, a CDK app of the user's
// own, and the CLI. Guarantees: G1 (a redelivered batch reaches the handler 0 times) and G2 (each
// distinct key is processed once, nothing withheld that was not a duplicate).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsCurrent } from '#local/build-inputs.ts';
import { LOCAL_AWS } from '#local/services.ts';
import { PROJECT_ROOT } from '#local/stack-config.ts';
import { ensureTables } from '#local/tables.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';
import { installLambdaNode, type LambdaNode, lambdaNode } from './node-runtimes.ts';

const run = promisify(execFile);

const FIXTURES = join(PROJECT_ROOT, 'test/acceptance/fixtures');
const devVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

let work: string;
let tarball: string;
/** Middy 6 with everything a CDK and TypeScript user adds; Middy 7 with only the runtime. */
let middy6: string;
let middy7: string;

async function npmInstall(cwd: string, packages: string[]): Promise<void> {
  await run(
    'npm',
    ['install', ...packages, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

async function newProject(name: string, packages: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }, null, 2));
  await npmInstall(dir, [tarball, ...packages]);
  const fixtures = [
    'handler.mjs',
    'run-batch.mjs',
    'handler.ts',
    'no-global-types.ts',
    'cdk-app.mjs',
    'missing-peer.mjs',
  ];
  for (const file of fixtures) {
    copyFileSync(join(FIXTURES, file), join(dir, file));
  }
  copyFileSync(join(FIXTURES, 'orders.mjs'), join(dir, 'src/orders.mjs'));
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mskguard-outside-'));
  // prepack builds dist/ from the sources, as `npm publish` would; a dist/ already built from the
  // sources as they are (CI's build step) is packed as it is.
  const pack = ['pack', '--pack-destination', work, '--loglevel=error'];
  const out = execFileSync('npm', distIsCurrent() ? [...pack, '--ignore-scripts'] : pack, {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  tarball = join(work, out.trim().split('\n').at(-1) as string);
  const runtime = ['ioredis', `@aws-sdk/client-dynamodb@${devVersion('@aws-sdk/client-dynamodb')}`];
  // The two projects and the Lambda runtimes' Node binaries install at once: mostly network waits.
  [middy6, middy7] = await Promise.all([
    newProject('middy6', [
      '@middy/core@6',
      ...runtime,
      // Its CDK app deploys the upstash backend: synthesis refuses that backend without its client.
      '@upstash/redis',
      `typescript@${devVersion('typescript')}`,
      '@types/aws-lambda',
      '@types/node@20',
      `aws-cdk-lib@${devVersion('aws-cdk-lib')}`,
      'constructs@10',
      `cdk-nag@${devVersion('cdk-nag')}`,
      `esbuild@${devVersion('esbuild')}`,
    ]),
    newProject('middy7', ['@middy/core@7', ...runtime]),
    installLambdaNode('22'),
    installLambdaNode('24'),
  ]);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a. a plain JavaScript handler from the installed package', async () => {
  const env = stackEnv();
  const table = uniqueName('accept-ckpt');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
  await ensureTables(client, {
    checkpoints: table,
    quarantine: uniqueName('accept-q'),
    audit: uniqueName('accept-a'),
  });
  client.destroy();

  const cases: { node: LambdaNode; middy: 6 | 7 }[] = [
    { node: 'system', middy: 6 },
    { node: '22', middy: 6 },
    { node: '24', middy: 6 },
    { node: '22', middy: 7 },
    { node: '24', middy: 7 },
  ];
  it.each(cases)('Node $node, Middy $middy: 1,000 records with duplicates once, the redelivery withheld', ({
    node,
    middy,
  }) => {
    const dir = middy === 6 ? middy6 : middy7;
    const result = spawnSync(lambdaNode(node), ['run-batch.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        GROUP: uniqueName(`accept-n${node}-m${middy}`),
        TOPIC: 'orders',
        REDIS_URL: env.REDIS_URL,
        DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT,
        CHECKPOINT_TABLE: table,
        PROCESSED_LOG: join(dir, `processed-${node}.log`),
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    expect(result.status, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
    expect(run.middy.split('.')[0]).toBe(String(middy));
    if (node !== 'system') expect(run.node.split('.')[0]).toBe(node);
    expect(run.records).toBe(1000);
    expect(run.distinctKeys).toBeLessThan(run.records); // the batch does hold duplicates
    expect(run).toMatchObject({
      firstProcessed: run.distinctKeys,
      firstDistinct: run.distinctKeys,
      firstFailures: 0,
      secondProcessed: 0,
      secondFailures: 0,
    });
  });
});

describe('b. TypeScript against the shipped declarations', () => {
  // The checks run at once (each is one single-threaded tsc over every declaration installed).
  // `types: []`: no global @types loaded, so the declarations must reference Node's types themselves.
  it.concurrent.for([
    ['nodenext', 'handler.ts', ['node']],
    ['bundler', 'handler.ts', ['node']],
    ['nodenext', 'no-global-types.ts', []],
  ] as const)('type-checks under moduleResolution %s: %s with types %j', async ([resolution, file, types], {
    expect,
  }) => {
    const config = {
      compilerOptions: {
        target: 'ES2022',
        module: resolution === 'nodenext' ? 'NodeNext' : 'ESNext',
        moduleResolution: resolution,
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types,
      },
      files: [file],
    };
    const tsconfig = `tsconfig.${resolution}.${file}.json`;
    writeFileSync(join(middy6, tsconfig), JSON.stringify(config));
    const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tsconfig], {
      cwd: middy6,
    }).catch((error: { stdout?: string; stderr?: string; code?: number }) => error);
    expect(`${result.stdout ?? ''}${result.stderr ?? ''}`).toBe('');
    expect('code' in result ? result.code : 0).toBe(0);
  });
});

describe('c. a CDK app of the user with mskguard/cdk', () => {
  it("synthesizes with cdk-nag clean, bundling the user's handler relative to the project", () => {
    const outdir = join(middy6, 'cdk.out');
    const result = spawnSync(process.execPath, ['cdk-app.mjs'], {
      cwd: middy6,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir },
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'OrdersStack.template.json'), 'utf8'));
    const functions = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((f) => f.Properties.Runtime)).toContain('nodejs24.x');
    const bundles = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(outdir, d, 'index.mjs'))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'));
    // The user's handler (src/orders.mjs) with mskguard bundled in.
    expect(bundles.some((code) => code.includes('.coordinate') && code.includes('MskGuardError'))).toBe(true);
    // Every alarm names a runbook that the install holds at that path, relative to the project.
    const runbooks = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { AlarmDescription?: string } }>,
    )
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => /^Runbook: (\S+)\. /.exec(r.Properties.AlarmDescription ?? '')?.[1]);
    expect(runbooks.length).toBeGreaterThan(0);
    for (const runbook of runbooks) expect(runbook && existsSync(join(middy6, runbook)), runbook).toBe(true);
  });

  it('fails synthesis naming the path when the entry does not exist', () => {
    const result = spawnSync(process.execPath, ['cdk-app.mjs'], {
      cwd: middy6,
      encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: join(middy6, 'cdk.out.missing'), ENTRY: 'src/nope.mjs' },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ConfigurationError');
    expect(result.stderr).toContain(join(middy6, 'src/nope.mjs'));
  });
});

describe('d. the CLI from the install', () => {
  it.each([
    [['--help'], 'restore'],
    [['restore', 'timestamp', '--help'], '--at'],
  ])('mskguard %s runs without TypeScript tooling', (args, expected) => {
    expect(existsSync(join(middy7, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(middy7, 'node_modules/typescript'))).toBe(false);
    const result = spawnSync(join(middy7, 'node_modules/.bin/mskguard'), args, {
      cwd: middy7,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(expected);
  });
});

describe('e. the docs the README links to', () => {
  it('every relative link of the installed README resolves inside the package', () => {
    const installed = join(middy7, 'node_modules/mskguard');
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map(([, target = '']) => target.split('#')[0] as string)
      .filter((target) => target !== '' && !/^[a-z]+:/i.test(target));
    expect(targets.length).toBeGreaterThan(10);
    const missing = [...new Set(targets)].filter((target) => !existsSync(join(installed, target)));
    expect(missing).toEqual([]);
  });
});

describe('bad input from the install', () => {
  it('a cache runner whose client is not installed names the package to install', () => {
    expect(existsSync(join(middy7, 'node_modules/@upstash/redis'))).toBe(false);
    const result = spawnSync(process.execPath, ['missing-peer.mjs'], { cwd: middy7, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.error).toBe('ConfigurationError');
    expect(outcome.message).toContain('npm install @upstash/redis');
  });
});
