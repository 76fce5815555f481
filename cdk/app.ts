import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { appConfigFromContext } from './config.ts';
import { MskGuardStack } from './stacks/mskguard-stack.ts';

/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`). Configured by context only — no lookups, no
 * credentials needed to synthesize. Without context it builds the self-contained demo.
 * See docs/deploy.md for the context keys.
 */
const app = new App();
const config = appConfigFromContext((key) => app.node.tryGetContext(key));
new MskGuardStack(app, config.stackName, config.props);
if (config.nag) {
  // cdk-nag v3 runs as a policy-validation plugin: unacknowledged errors fail the synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
}
app.synth();
