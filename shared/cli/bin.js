#!/usr/bin/env node
// The `mskguard` executable. The project runs TypeScript sources directly (see
// docs/decisions/0000-typescript-without-emit.md), so register tsx's loader, then run the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
