import { createRestoreHandler, type RestoreLambdaConfig } from '#shared/restore/lambda.ts';

/** A logger that keeps nothing: the answers, not the logs, are what these tests read. */
export const SILENT = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * The restore function's handler as the tests run it: brokers `b:1`, checkpoint table `c`, audit
 * table `a`, any group (no targets), a silent logger and metrics dropped, with `openClients` (a
 * fake) and whatever `overrides` change.
 */
export function restoreLambda(openClients: unknown, overrides: Partial<RestoreLambdaConfig> = {}) {
  return createRestoreHandler({
    brokers: ['b:1'],
    checkpointTable: 'c',
    auditTable: 'a',
    targets: null,
    logger: SILENT,
    openClients: openClients as RestoreLambdaConfig['openClients'],
    metricsSink: () => {},
    ...overrides,
  });
}
