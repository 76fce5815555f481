// G6: the CLI on a Node older than package.json#engines says which Node it needs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '#shared/cli/node-version.ts';

describe('nodeVersionProblem', () => {
  it.each([
    ['18.20.4', true],
    ['19.9.0', true],
    ['20.0.0', false],
    ['22.23.5', false],
    ['24.22.3', false],
  ])('Node %s: refused %s', (version, refused) => {
    const problem = nodeVersionProblem(version);
    expect(problem !== undefined).toBe(refused);
    if (problem) expect(problem).toContain(`Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version}`);
  });

  it('agrees with package.json#engines', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
  });
});
