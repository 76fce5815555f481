#!/usr/bin/env node
// The `mskguard` executable (package.json#bin, compiled to dist/shared/cli/main.js).
// The CLI may run on a developer's Node 20; the SDK's notice that it will need Node 22 in 2027 is
// noise in every command's output. Lambda functions run nodejs22.x or newer and never see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { nodeVersionProblem } from './node-version.ts';

// A reader that stops early (`mskguard quarantine list | head -1`) closes the pipe: the next write
// fails with EPIPE, which Node raises as an unhandled 'error' event and a stack trace. Without stdout
// there is no one to answer: exit as a process killed by SIGPIPE does (141), quietly. Commands print
// their answer on stdout once what they change is done. A closed stderr only loses progress and
// diagnostics: the command runs on (a restore must not stop between its steps) and exits with its code.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
// Commands are imported after the version check, so an old Node gets the message and not a syntax
// or loader error from a dependency; `--help` loads no AWS SDK or kafkajs (each command imports its
// heavy modules when it runs).
const { runCli } = await import('./command.ts');
const { operatorCommands } = await import('./commands/index.ts');
const { packageVersion } = await import('./version.ts');
process.exitCode = await runCli(operatorCommands, process.argv.slice(2), 'mskguard', {
  version: () => packageVersion(import.meta.url),
});
