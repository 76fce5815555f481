// Guarantee: none of G1–G6 directly; proves that several ElastiCache dedup caches fit in one stack
// without renaming (and so replacing) the cache a stack already has.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DedupCache } from '#cdk/constructs/dedup-cache.ts';
import { existingCluster, testApp, testStack } from './helpers.ts';

function cacheNames(stack: Stack): string[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::ElastiCache::ServerlessCache')).map(
    (r) => (r as { Properties: { ServerlessCacheName: string } }).Properties.ServerlessCacheName,
  );
}

function addCaches(stack: Stack, ids: readonly string[]): void {
  const cluster = existingCluster(stack);
  for (const id of ids) {
    new DedupCache(stack, id, { backend: 'elasticache', vpc: cluster.vpc, subnets: cluster.subnets });
  }
}

describe('DedupCache names', () => {
  it('keeps <stack>-dedup for a lone cache', () => {
    // Arrange
    const stack = testStack('Orders');

    // Act
    addCaches(stack, ['Cache']);

    // Assess
    expect(cacheNames(stack)).toEqual(['orders-dedup']);
  });

  it('gives a second cache of the same stack its own name and keeps the first one unchanged', () => {
    // Arrange
    const stack = testStack('Orders');

    // Act
    addCaches(stack, ['Cache', 'PaymentsCache']);
    const names = cacheNames(stack);

    // Assess
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    expect(names).toContain('orders-dedup');
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    expect(names.find((n) => n !== 'orders-dedup')).toMatch(/^orders-dedup-[0-9a-f]{8}$/);
  });

  it('derives the extra name from the construct path, not from the order of creation', () => {
    // Arrange
    const first = testStack('Orders');
    const second = testStack('Orders');

    // Act
    addCaches(first, ['Cache', 'A', 'B']);
    addCaches(second, ['Cache', 'B', 'A']);

    // Assess
    expect(cacheNames(first).sort()).toEqual(cacheNames(second).sort());
    expect(new Set(cacheNames(first)).size).toBe(3);
  });

  it('keeps names unique when the stack name is too long for the plain name', () => {
    // Arrange
    const stack = new Stack(testApp(), 'VeryLongStackNameForTheOrdersPipelineInProduction');

    // Act
    addCaches(stack, ['Cache', 'PaymentsCache']);
    const names = cacheNames(stack);

    // Assess
    expect(new Set(names).size).toBe(2);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(40);
  });

  it('names caches of different stacks independently', () => {
    // Arrange
    const app = testApp();
    const a = new Stack(app, 'Orders');
    const b = new Stack(app, 'Payments');

    // Act
    addCaches(a, ['Cache']);
    addCaches(b, ['Cache']);

    // Assess
    expect(cacheNames(a)).toEqual(['orders-dedup']);
    expect(cacheNames(b)).toEqual(['payments-dedup']);
  });
});
