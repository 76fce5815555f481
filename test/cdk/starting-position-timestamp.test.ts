// Guarantee: none of G1–G6 directly; proves that a consumer group can start AT_TIMESTAMP, and that a
// missing, misplaced or mistyped start time fails synth naming the setting to fix (design §8).
import { Template } from 'aws-cdk-lib/assertions';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { appConfigFromContext } from '#cdk/config.ts';
import { MskGuardStack } from '#cdk/stacks/mskguard-stack.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { synth } from './consumer-fixture.ts';
import { contextFixture, FIXTURE_CONSUMER_ENTRY, FIXTURE_RESTORE_ENTRY, testApp } from './helpers.ts';

/** 2025-01-01T00:00:00Z in Unix seconds. */
const NEW_YEAR = 1_735_689_600;

function esmProperties(template: Template): Record<string, unknown> {
  const [esm] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
  return (esm as { Properties: Record<string, unknown> }).Properties;
}

/** The MskGuardStack of the serverless fixture, with its one consumer changed by `consumer`. */
function stackWithConsumer(consumer: Record<string, unknown>) {
  const context = contextFixture('existing-serverless-iam.context.json');
  const [base] = context['mskguard:consumers'] as Record<string, unknown>[];
  const config = appConfigFromContext(
    (key) => ({ ...context, 'mskguard:consumers': [{ ...base, ...consumer }] })[key],
  );
  const stack = new MskGuardStack(testApp(), config.stackName, {
    ...config.props,
    consumers: config.props.consumers.map((c) => ({ ...c, entry: FIXTURE_CONSUMER_ENTRY })),
    restoreEntry: FIXTURE_RESTORE_ENTRY,
  });
  return Template.fromStack(stack);
}

describe('GuardedKafkaConsumer startingPosition AT_TIMESTAMP', () => {
  it('passes the start time to the event source mapping', () => {
    // Act
    const { template } = synth({
      startingPosition: StartingPosition.AT_TIMESTAMP,
      startingPositionTimestamp: NEW_YEAR,
    });

    // Assess
    expect(esmProperties(template)).toMatchObject({
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: NEW_YEAR,
    });
  });

  it('refuses AT_TIMESTAMP without startingPositionTimestamp, naming the prop', () => {
    const act = () => synth({ startingPosition: StartingPosition.AT_TIMESTAMP });
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/AT_TIMESTAMP needs startingPositionTimestamp/);
  });

  it('refuses a start time without AT_TIMESTAMP instead of ignoring it', () => {
    const act = () =>
      synth({ startingPosition: StartingPosition.LATEST, startingPositionTimestamp: NEW_YEAR });
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/startingPositionTimestamp is only used with startingPosition AT_TIMESTAMP/);
  });

  it('refuses a start time in milliseconds', () => {
    const act = () =>
      synth({ startingPosition: StartingPosition.AT_TIMESTAMP, startingPositionTimestamp: NEW_YEAR * 1000 });
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/milliseconds/);
  });

  it('keeps TRIM_HORIZON without a timestamp by default', () => {
    const { template } = synth();
    expect(esmProperties(template).StartingPosition).toBe('TRIM_HORIZON');
    expect(esmProperties(template).StartingPositionTimestamp).toBeUndefined();
  });
});

describe('mskguard:consumers startingPosition', () => {
  it('accepts AT_TIMESTAMP with startingPositionTimestamp', () => {
    // Act
    const template = stackWithConsumer({
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: NEW_YEAR,
    });

    // Assess
    expect(esmProperties(template)).toMatchObject({
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: NEW_YEAR,
    });
  });

  it('refuses AT_TIMESTAMP without a timestamp instead of starting from TRIM_HORIZON', () => {
    const act = () => stackWithConsumer({ startingPosition: 'AT_TIMESTAMP' });
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(/startingPositionTimestamp/);
  });

  it.each([
    ['latest'],
    ['AT_SEQUENCE_NUMBER'],
    [7],
  ])('refuses the unknown position %j instead of starting from TRIM_HORIZON', (position) => {
    const act = () => stackWithConsumer({ startingPosition: position });
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(
      /startingPosition must be TRIM_HORIZON, LATEST or AT_TIMESTAMP \(context mskguard:consumers\)/,
    );
  });

  it('refuses a start time given as a string', () => {
    const act = () =>
      stackWithConsumer({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: String(NEW_YEAR) });
    expect(act).toThrow(/startingPositionTimestamp must be a number of Unix seconds/);
  });
});
