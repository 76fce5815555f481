// G6 (clear, typed errors) reaches on-call: the restore function answers every error instead of
// throwing, so AWS/Lambda Errors never counts a failed restore; each answer prints the EMF line
// (RestoreFailed) the restoreErrors alarm reads (docs/decisions/0021-restore-failure-metric.md).
import { describe, expect, it } from 'vitest';
import type { RestoreClients } from '#shared/restore/clients.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import { fakeRestoreAdmin, UNUSED_CONSUMER_OFFSETS } from '#test/support/restore-cli.ts';
import { restoreLambda } from './lambda-fixtures.ts';

/** Group g on orders (committed 3) with a checkpoint at 42; the commit fails when `commitFails`. */
function handlerWith(options: { commitFails?: boolean; members?: number } = {}) {
  const lines: string[] = [];
  const admin = fakeRestoreAdmin(options.members ?? 0);
  let committed = '3';
  const openClients = async (): Promise<RestoreClients> => {
    const checkpoints = new MemoryCheckpointStore();
    await checkpoints.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 42 }], {
      requestId: 'req',
      epoch: 0,
    });
    const deps = {
      admin: {
        ...admin,
        setOffsets: async ({ partitions }: { partitions: { offset: string }[] }) => {
          if (options.commitFails) throw new Error('The coordinator is not available');
          committed = partitions[0]!.offset;
        },
        fetchOffsets: async () => [
          { topic: 'orders', partitions: [{ partition: 0, offset: committed, metadata: null }] },
        ],
      },
      checkpoints,
      consumerOffsets: UNUSED_CONSUMER_OFFSETS,
      audit: {
        start: async () => ({ pk: 'g', sk: 's' }),
        finish: async () => {},
      },
    };
    return { deps, close: async () => {} };
  };
  const handler = restoreLambda(openClients, { metricsSink: (line) => lines.push(line) });
  return { handler, lines };
}

const EXECUTE = { group: 'g', topic: 'orders', strategy: 'checkpoint', execute: true };

describe('restore Lambda handler metrics', () => {
  it('a restore that failed while executing answers exit 4 and emits RestoreFailed 1 for its function', async () => {
    // Prepare
    const { handler, lines } = handlerWith({ commitFails: true });

    // Act
    const response = await handler(EXECUTE, { functionName: 'stack-restore' });

    // Assess
    expect(response).toMatchObject({ ok: false, exitCode: 4, result: { status: 'failed' } });
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'MskGuard',
        Dimensions: [['service', 'functionName']],
        Metrics: [{ Name: 'RestoreFailed', Unit: 'Count' }],
      },
    ]);
    expect(emf).toMatchObject({
      service: 'mskguard',
      functionName: 'stack-restore',
      RestoreFailed: 1,
      consumerGroup: 'g',
      topic: 'orders',
      exitCode: '4',
      restoreId: response.plan?.restoreId,
    });
  });

  it.each([
    ['a restore that succeeded', {}, EXECUTE, 0],
    ['a refused execute (the group has members)', { members: 1 }, EXECUTE, 3],
    ['a refused dry run', { members: 1 }, { ...EXECUTE, execute: false }, 3],
    ['a usage error', {}, { group: 'g', strategy: 'checkpoint' }, 2],
  ])('%s changed nothing that needs on-call: RestoreFailed 0', async (_name, options, event, exitCode) => {
    // Prepare
    const { handler, lines } = handlerWith(options);

    // Act
    const response = await handler(event, { functionName: 'stack-restore' });

    // Assess
    expect(response.exitCode).toBe(exitCode);
    expect(lines.map((l) => JSON.parse(l).RestoreFailed)).toEqual([0]);
  });
});
