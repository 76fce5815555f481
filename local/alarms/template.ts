import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { appConfigFromContext, CONTEXT_KEYS } from '#cdk/config.ts';
import { MskGuardStack } from '#cdk/stacks/mskguard-stack.ts';

/** What the local run's stack is made of: its topic and consumer group. */
export interface LocalStackShape {
  readonly topic: string;
  readonly partitions: number;
  readonly group: string;
}

/**
 * Synthesizes the app's default (demo) stack, as `cdk synth` does with cdk.json's context, with the
 * local run's topic and consumer group in place of the demo's, and returns its CloudFormation
 * template. Functions are not bundled (only the template is read).
 *
 * @example
 * ```ts
 * const template = synthesizeLocalTemplate({ topic, partitions: 3, group });
 * ```
 */
export function synthesizeLocalTemplate(shape: LocalStackShape): { Resources?: Record<string, unknown> } {
  const cdkJson = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8'),
  ) as {
    context: Record<string, unknown>;
  };
  const context: Record<string, unknown> = {
    ...cdkJson.context,
    [CONTEXT_KEYS.TOPICS]: JSON.stringify([
      { name: shape.topic, partitions: shape.partitions, replicationFactor: 1 },
    ]),
    [CONTEXT_KEYS.CONSUMERS]: JSON.stringify([
      { name: 'Orders', topic: shape.topic, consumerGroupId: shape.group },
    ]),
    'aws:cdk:bundling-stacks': [],
  };
  const app = new App({ context, outdir: undefined });
  const config = appConfigFromContext((key) => app.node.tryGetContext(key));
  const stack = new MskGuardStack(app, config.stackName, config.props);
  return app.synth().getStackByName(stack.stackName).template as { Resources?: Record<string, unknown> };
}
