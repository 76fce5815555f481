// Design §7/§11 (execute as fast as Kafka's tool, never under a running consumer): on the real
// broker, directOffsetWriter commits a group's offsets as a non-member in one OffsetCommit (no
// join, no fetch), and the broker itself refuses that commit while a member is in the group: a
// GroupActiveError, nothing written. Durations are not asserted (see `npm run bench -- restore`).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupActiveError } from '#shared/restore/errors.ts';
import { directOffsetWriter } from '#shared/restore/offset-commit.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const fx = restoreFixture('restore-commit');
const { kafka, admin, topic, commit, committed, member } = fx;

/** Until the broker reports the group Stable (the member has joined and has its assignment). */
async function stable(group: string): Promise<void> {
  for (;;) {
    const { groups } = await admin.describeGroups([group]);
    if (groups[0]?.state === 'Stable') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const writer = directOffsetWriter(kafka);
const partitions = (offsets: readonly number[]) =>
  offsets.map((o, partition) => ({ partition, offset: String(o) }));

beforeAll(async () => {
  await fx.open(12);
  await fx.produce(12, 12 * 10, Date.now());
});
afterAll(async () => {
  await writer.close();
  await fx.close();
});

describe('directOffsetWriter', () => {
  it('commits every partition of an Empty group in one request, and of a group the broker does not know', async () => {
    // Prepare
    const known = uniqueName('g-commit');
    await commit(known, Array(12).fill(10));
    const fresh = uniqueName('g-fresh');
    const targets = Array.from({ length: 12 }, (_, p) => p % 10);

    // Act
    await writer.commitOffsets({ groupId: known, topic, partitions: partitions(targets) });
    await writer.commitOffsets({ groupId: fresh, topic, partitions: partitions(targets) });

    // Assess
    expect(await committed(known)).toEqual(targets);
    expect(await committed(fresh)).toEqual(targets);
  });

  it('is refused by the broker while a consumer is in the group: GroupActiveError, nothing written', async () => {
    // Prepare
    const group = uniqueName('g-busy');
    await commit(group, Array(12).fill(10));
    const consumer = await member(group, false);
    await stable(group);

    // Act
    const attempt = writer
      .commitOffsets({ groupId: group, topic, partitions: partitions(Array(12).fill(1)) })
      .finally(() => consumer.disconnect());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(GroupActiveError);
    await expect(attempt).rejects.toThrow(
      /refused to commit for group g-busy-.* \((UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS)\)/,
    );
    expect(await committed(group)).toEqual(Array(12).fill(10));
  });
});
