import { quarantineCommands } from './quarantine.ts';
import { restoreCommands } from './restore.ts';

/** The commands of the published `mskguard` CLI: what an operator runs against a deployed stack. */
export const operatorCommands = [...restoreCommands, ...quarantineCommands];
