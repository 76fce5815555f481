// The CLI runs on the developer's Node (20+); the SDK's notice that it will need Node 22 in 2027 is
// noise in every command's output. Lambda functions run nodejs22.x and never see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runCli } from './command.ts';
import { localCommand } from './commands/local.ts';
import { quarantineCommands } from './commands/quarantine.ts';
import { restoreCommands } from './commands/restore.ts';
import { stackCommands } from './commands/stack.ts';

/** Every command of the `mskguard` CLI. */
export const commands = [...stackCommands, localCommand, ...restoreCommands, ...quarantineCommands];

process.exitCode = await runCli(commands, process.argv.slice(2));
