import { quarantineCommands } from './quarantine.ts';
import { restoreCommands } from './restore.ts';
import { statusCommands } from './status.ts';

/** The commands of the published `mskguard` CLI: what an operator runs against a deployed stack. */
export const operatorCommands = [...restoreCommands, ...statusCommands, ...quarantineCommands];
