// The single-node KRaft broker's files: server.properties, log4j and a fresh cluster id.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './stack-config.ts';

/** Writes a fresh data dir and the broker's config files into `dir`; returns server.properties. */
export function writeKafkaConfig(config: StackConfig, dir: string): string {
  rmSync(join(dir, 'data'), { recursive: true, force: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const { host, kafkaPort, kafkaControllerPort } = config;
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host}:${kafkaControllerPort}`,
      `listeners=PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${kafkaControllerPort}`,
      `advertised.listeners=PLAINTEXT://${host}:${kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      // Topics are created explicitly (with their partition count) by the code under test.
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      // Fewer __consumer_offsets partitions: faster first group join and faster decoding in restore tests.
      'offsets.topic.num.partitions=5',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // Tests crash consumers on purpose; short sessions let the group notice quickly.
      'group.min.session.timeout.ms=1000',
      'log.retention.hours=24',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaServer=INFO',
      'log4j.logger.kafka.server.BrokerServer=INFO',
      '',
    ].join('\n'),
  );
  return properties;
}

/**
 * A random KRaft cluster id: 16 bytes in base64url (22 characters), never starting with '-': the
 * StorageTool's argument parser would read such an id as an option and fail the format (1 run in
 * 64 did, in CI). Kafka's own Uuid.randomUuid skips those ids for the same reason.
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
