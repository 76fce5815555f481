// The stack formats Kafka's log dir with a fresh cluster id each start: an id starting with '-'
// was read as an option by the StorageTool and failed the stack in CI about one run in 64.
import { describe, expect, it } from 'vitest';
import { kafkaClusterId } from '#local/kafka-config.ts';

describe('kafkaClusterId', () => {
  it('is 16 bytes of base64url that never starts with "-"', () => {
    // 5,000 draws: with the first character uniform over 64, a '-' start would appear ~78 times.
    for (let i = 0; i < 5_000; i++) {
      const id = kafkaClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
