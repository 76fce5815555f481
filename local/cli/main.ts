// The development CLI (`npm run local`, `npm run stack:*`): the local stack and pipeline next to
// the operator commands of the published `mskguard` CLI. Not part of the package.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runCli } from '#shared/cli/command.ts';
import { operatorCommands } from '#shared/cli/commands/index.ts';
import { localCommand } from './commands/local.ts';
import { stackCommands } from './commands/stack.ts';

process.exitCode = await runCli([...stackCommands, localCommand, ...operatorCommands], process.argv.slice(2));
