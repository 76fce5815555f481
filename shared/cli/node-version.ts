/** The oldest Node the package supports (package.json#engines); Lambda's oldest Node runtime is 22. */
const MIN_MAJOR = 20;

/**
 * Exits with a clear message on a Node older than package.json#engines, before any dependency is
 * loaded: without it an old Node fails inside some module with an error that names neither.
 */
export function checkNodeVersion(version: string = process.versions.node): void {
  const major = Number.parseInt(version.split('.')[0] ?? '0', 10);
  if (major >= MIN_MAJOR) return;
  process.stderr.write(
    `mskguard needs Node.js ${MIN_MAJOR} or newer; this is Node.js ${version}. ` +
      'Install a current Node (https://nodejs.org) or run the command on a machine that has one.\n',
  );
  process.exit(1);
}
