import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/**
 * A table of business effects: one item per (business key, record coordinate) a handler applied.
 * The fault suites count effects per key here, in the real DynamoDB, committed by `stageEffects`
 * with the checkpoints: what a crash loses, it loses from both.
 */
export class EffectsLedger {
  public constructor(
    private readonly ddb: DynamoDBClient,
    public readonly table: string,
  ) {}

  public async create(): Promise<void> {
    await this.ddb.send(
      new CreateTableCommand({
        TableName: this.table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  }

  /** The write that records one effect of `key` by the record at `coordinate`. */
  public effect(key: string, coordinate: string): TransactWriteItem {
    return { Put: { TableName: this.table, Item: { pk: { S: key }, sk: { S: coordinate } } } };
  }

  /** Effects per business key. */
  public async counts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let start: Record<string, never> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? [])
        counts.set(item.pk?.S ?? '', (counts.get(item.pk?.S ?? '') ?? 0) + 1);
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return counts;
  }
}
