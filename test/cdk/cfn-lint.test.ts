// Guarantee: none of G1–G6 directly; proves the synthesized templates of the app (demo and existing-cluster
// configurations) are valid CloudFormation according to cfn-lint (design §8).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CDK_JSON_CONTEXT, contextFixture } from './helpers.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * W3005 (redundant DependsOn) is the only check left out: aws-cdk-lib adds explicit DependsOn on a
 * function's role next to the GetAtt it already has; it is harmless and not ours to change.
 */
const IGNORED_CHECKS = ['W3005'];

/** cfn-lint from $CFN_LINT, else from PATH; a missing linter fails the suite instead of skipping it. */
function cfnLint(): string {
  const candidate = process.env.CFN_LINT ?? 'cfn-lint';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `cfn-lint not found (tried ${JSON.stringify(candidate)}). Install it (python -m venv .venv && ` +
        '.venv/bin/pip install cfn-lint) and set CFN_LINT to its path, or put cfn-lint on PATH.',
    );
  }
  return candidate;
}

const outdirs: string[] = [];

/** Runs the real app (`cdk/app.ts`) the way the CDK CLI does: cdk.json context plus the given context. */
function synthesizeApp(context: Record<string, unknown>): string {
  const outdir = mkdtempSync(join(tmpdir(), 'mskguard-cfn-lint-'));
  outdirs.push(outdir);
  const result = spawnSync('npx', ['tsx', 'cdk/app.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, ...context }),
    },
  });
  if (result.status !== 0) throw new Error(`cdk/app.ts failed:\n${result.stdout}\n${result.stderr}`);
  return outdir;
}

function lint(outdir: string): { status: number | null; output: string; templates: string[] } {
  const templates = readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(outdir, f));
  const result = spawnSync(cfnLint(), [...templates, '--ignore-checks', ...IGNORED_CHECKS], {
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, templates };
}

describe('cfn-lint on the synthesized app', () => {
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('finds cfn-lint', () => {
    expect(cfnLint()).toBeTruthy();
  });

  it.each([
    ['demo (no context)', {}],
    ['existing provisioned 3.5 + SCRAM + Upstash', contextFixture('existing-scram-upstash.context.json')],
    ['existing serverless + IAM + ElastiCache', contextFixture('existing-serverless-iam.context.json')],
  ])(
    '%s has no error or warning',
    (_name, context) => {
      // Prepare
      const outdir = synthesizeApp(context);

      // Act
      const { status, output, templates } = lint(outdir);

      // Assess
      expect(templates).toHaveLength(1);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
    180_000,
  );
});
