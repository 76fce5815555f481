// mskguard/testing's MemoryCheckpointStore keeps DynamoCheckpointStore's write conditions (decision
// 0002, G3; decision 0018), so a user's unit test of a guarded handler sees what production does.
import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';

const ref = { topic: 'orders', partition: 0 };
const meta = (epoch: number) => ({ requestId: 'r', epoch });

describe('MemoryCheckpointStore', () => {
  it('moves a checkpoint forward only within an epoch, and lets a newer epoch set any offset (G3)', async () => {
    const store = new MemoryCheckpointStore();
    await store.advance('g', [{ ...ref, nextOffset: 10 }], meta(0));
    expect((await store.advance('g', [{ ...ref, nextOffset: 10 }], meta(0))).alreadyAhead).toHaveLength(1);
    expect((await store.advance('g', [{ ...ref, nextOffset: 3 }], meta(1))).advanced).toHaveLength(1);
    // A writer still in epoch 0 never overwrites epoch 1, whatever its offset.
    expect((await store.advance('g', [{ ...ref, nextOffset: 50 }], meta(0))).alreadyAhead).toHaveLength(1);
    expect((await store.listCurrent('g'))[0]).toMatchObject({ nextOffset: 3, epoch: 1 });
  });

  it('shrinks skipped ranges at the same offset only if nobody changed them since they were read', async () => {
    const store = new MemoryCheckpointStore();
    const before = [{ first: 2, last: 4 }];
    await store.advance('g', [{ ...ref, nextOffset: 10, skipped: before }], meta(0));
    const shrink = { ...ref, nextOffset: 10, skippedBefore: before };
    expect((await store.advance('g', [shrink], meta(0))).advanced).toHaveLength(1);
    expect((await store.advance('g', [shrink], meta(0))).alreadyAhead).toHaveLength(1);
    expect((await store.listCurrent('g'))[0]?.skipped).toBeUndefined();
  });
});
