/** The oldest Node the package supports (package.json#engines); Lambda's oldest Node runtime is 22. */
export const MIN_NODE_MAJOR = 20;

/**
 * The message for a Node older than package.json#engines, or undefined when this one will do. The
 * CLI checks before it loads any dependency: without it an old Node fails inside some module with
 * an error that names neither mskguard nor the version it needs.
 */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number.parseInt(version.split('.')[0] ?? '0', 10);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return (
    `mskguard needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node.js ${version}. ` +
    'Install a current Node (https://nodejs.org) or run the command on a machine that has one.'
  );
}
