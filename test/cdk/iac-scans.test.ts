// Guarantee: none of G1–G6 directly; proves design §8's scans on the real app (`cdk/app.ts`) in its three
// configurations (demo, existing SCRAM + Upstash, existing serverless IAM + ElastiCache):
// - cfn-lint: every template is valid CloudFormation, no error or warning;
// - checkov: no failed check, and each finding is fixed or acknowledged in code with a reason
//   (Metadata.checkov.skip).
// Each configuration is synthesized once for both scanners, and the synths and scans run at once: they
// are single-threaded processes, and this file has the machine to itself (one test file at a time).
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT, contextFixture } from './helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/**
 * W3005 (redundant DependsOn) is the only cfn-lint check left out: aws-cdk-lib adds explicit
 * DependsOn on a function's role next to the GetAtt it already has; harmless and not ours to change.
 */
const IGNORED_CFN_LINT_CHECKS = ['W3005'];

const found = new Map<string, string>();
/** A scanner from its environment variable, else from PATH; a missing one fails the suite, never skips it. */
function scanner(name: 'cfn-lint' | 'checkov', variable: 'CFN_LINT' | 'CHECKOV'): string {
  const candidate = process.env[variable] ?? name;
  if (found.get(name) === candidate) return candidate;
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${name} not found (tried ${JSON.stringify(candidate)}). Install it (python3 -m venv .cache/venv && ` +
        `.cache/venv/bin/pip install ${name}) and set ${variable} to its path, or put ${name} on PATH.`,
    );
  }
  found.set(name, candidate);
  return candidate;
}

const CONFIGURATIONS: [string, Record<string, unknown>][] = [
  ['demo (no context)', {}],
  ['existing provisioned 3.5 + SCRAM + Upstash', contextFixture('existing-scram-upstash.context.json')],
  ['existing serverless + IAM + ElastiCache', contextFixture('existing-serverless-iam.context.json')],
];

const outdirs: string[] = [];
/** Per configuration: the synthesized template files. */
const templates = new Map<string, Promise<string[]>>();

/** Runs the real app the way the CDK CLI does: cdk.json context plus the given context. */
async function synthesize(context: Record<string, unknown>): Promise<string[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'mskguard-scans-'));
  outdirs.push(outdir);
  await run('npx', ['tsx', 'cdk/app.ts'], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      // No bundling: the scanners read the template, not the function code.
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] }),
    },
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`cdk/app.ts failed:\n${error.stdout}\n${error.stderr}`);
  });
  return readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(outdir, f));
}

/** A scanner's exit code and output; exiting non-zero is a result here, not an exception. */
async function scan(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = await run(command, args, { maxBuffer: 64 * 1024 * 1024, env }).then(
    (r) => ({ ...r, code: 0 }),
    (error: { stdout?: string; stderr?: string; code?: number }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
      code: error.code ?? -1,
    }),
  );
  return { status: result.code, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

interface CheckovFinding {
  readonly check_id: string;
  readonly resource: string;
  readonly check_result?: { readonly suppress_comment?: string };
}
interface CheckovReport {
  readonly summary: { passed: number; failed: number; skipped: number };
  readonly results: { failed_checks: CheckovFinding[]; skipped_checks: CheckovFinding[] };
}

describe('the IaC scans on the synthesized app', () => {
  beforeAll(() => {
    for (const [name, context] of CONFIGURATIONS) {
      const synth = synthesize(context);
      synth.catch(() => {}); // awaited (and reported) by the configuration's tests
      templates.set(name, synth);
    }
  });
  afterAll(async () => {
    await Promise.allSettled(templates.values());
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('finds cfn-lint and checkov', () => {
    expect(scanner('cfn-lint', 'CFN_LINT')).toBeTruthy();
    expect(scanner('checkov', 'CHECKOV')).toBeTruthy();
  });

  // All six scans at once; each waits only for its own configuration's synth.
  const cases = CONFIGURATIONS.map(([name]) => name);
  it.concurrent.for(cases)(
    '%s: cfn-lint finds no error or warning',
    { timeout: 240_000 },
    async (name, { expect }) => {
      const files = await templates.get(name)!;
      expect(files).toHaveLength(1);

      const { status, output } = await scan(scanner('cfn-lint', 'CFN_LINT'), [
        ...files,
        '--ignore-checks',
        ...IGNORED_CFN_LINT_CHECKS,
      ]);

      expect(output).toBe('');
      expect(status).toBe(0);
    },
  );

  it.concurrent.for(cases)(
    '%s: checkov fails no check, and every skip carries a reason',
    { timeout: 240_000 },
    async (name, { expect }) => {
      const files = await templates.get(name)!;
      expect(files).toHaveLength(1);

      const result = await scan(
        scanner('checkov', 'CHECKOV'),
        ['-f', files[0]!, '--framework', 'cloudformation', '--compact', '-o', 'json'],
        { ...process.env, BC_SKIP_MAPPING: 'TRUE' },
      );

      // checkov exits 1 when a check failed; anything else (2: usage, crash) is an error of the run.
      if (result.status !== 0 && result.status !== 1) throw new Error(`checkov failed:\n${result.output}`);
      const parsed = JSON.parse(result.stdout) as CheckovReport | CheckovReport[];
      const report = Array.isArray(parsed) ? parsed[0]! : parsed;
      expect(report.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`)).toEqual([]);
      expect(report.summary.passed).toBeGreaterThan(100);
      for (const skip of report.results.skipped_checks) {
        const reason = skip.check_result?.suppress_comment ?? '';
        expect(reason.length, `${skip.check_id} ${skip.resource} needs a reason`).toBeGreaterThan(40);
      }
    },
  );
});
