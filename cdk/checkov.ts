import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One checkov skip as checkov reads it from a resource's `Metadata.checkov.skip`. */
interface CheckovSkip {
  readonly id: string;
  readonly comment: string;
}

function cfnResourceOf(scope: IConstruct): CfnResource {
  if (CfnResource.isCfnResource(scope)) return scope;
  const child = scope.node.defaultChild;
  if (child && CfnResource.isCfnResource(child)) return child;
  throw new Error(
    `acknowledgeCheckov: ${scope.node.path} is not a CloudFormation resource and has none as default child.`,
  );
}

/**
 * Acknowledges a checkov finding on one resource, with the reason, the way cdk-nag findings are
 * acknowledged with `Validations.of(x).acknowledge`: checkov honours `Metadata.checkov.skip` and
 * reports the check as skipped with the comment. Accumulates skips of several checks.
 *
 * @example
 * ```ts
 * acknowledgeCheckov(logGroup, 'CKV_AWS_158', 'CloudWatch Logs encrypts at rest; a customer key is optional.');
 * ```
 */
export function acknowledgeCheckov(scope: IConstruct, id: string, comment: string): void {
  const resource = cfnResourceOf(scope);
  const existing = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
  if (existing.some((s) => s.id === id)) return;
  resource.addMetadata('checkov', { skip: [...existing, { id, comment }] });
}

/** Why a function has no dead-letter queue (CKV_AWS_116): depends on who invokes it. */
export const NO_DLQ_REASONS = {
  esm:
    'Invoked synchronously by the Kafka event source mapping: a DLQ applies to asynchronous invocations only; ' +
    "failed batches go to the mapping's own on-failure destination after bounded retries.",
  direct:
    'Invoked synchronously (aws lambda invoke, the CLI) by an operator who reads the answer; a DLQ applies to ' +
    'asynchronous invocations only.',
  schedule:
    'Invoked every minute by an EventBridge rule without retries: a failed run is replaced by the next one a ' +
    'minute later, and a silent watchdog pages through its checkpoint-age alarm (missing data breaching).',
  customResource:
    'Invoked by CloudFormation through the custom-resource framework, which reports a failure to the stack ' +
    'operation itself; a DLQ would hold events nobody replays.',
} as const;

/** What {@link acknowledgeFunctionFindings} needs to know about a function. */
export interface FunctionFindingContext {
  /** Who invokes it (the CKV_AWS_116 reason). */
  readonly invokedBy: keyof typeof NO_DLQ_REASONS;
  /** Why it runs outside a VPC, when it does (CKV_AWS_117). */
  readonly outsideVpcReason?: string;
  /** Why it has no reserved concurrency, when it has none (CKV_AWS_115). */
  readonly unreservedReason?: string;
}

const ENVIRONMENT_REASON =
  'The environment holds names, ARNs and endpoints only (assertNoSecretsInEnvironment rejects secret-looking ' +
  'names; secrets are read from Secrets Manager at runtime); Lambda encrypts it at rest with its service key.';

/**
 * The checkov acknowledgements every mskguard function shares (environment encryption, DLQ), plus
 * the VPC and reserved-concurrency findings when the function's settings give them, each with its
 * reason. Findings that a prop fixes are acknowledged only while the prop is unset.
 */
export function acknowledgeFunctionFindings(fn: IConstruct, context: FunctionFindingContext): void {
  const cfn = cfnResourceOf(fn);
  acknowledgeCheckov(cfn, 'CKV_AWS_173', ENVIRONMENT_REASON);
  acknowledgeCheckov(cfn, 'CKV_AWS_116', NO_DLQ_REASONS[context.invokedBy]);
  const props = cfn as unknown as { vpcConfig?: unknown; reservedConcurrentExecutions?: unknown };
  if (props.vpcConfig === undefined && context.outsideVpcReason)
    acknowledgeCheckov(cfn, 'CKV_AWS_117', context.outsideVpcReason);
  if (props.reservedConcurrentExecutions === undefined && context.unreservedReason)
    acknowledgeCheckov(cfn, 'CKV_AWS_115', context.unreservedReason);
}

/** The reason a function or log group of aws-cdk-lib itself (custom-resource frameworks) is acknowledged. */
export const FRAMEWORK_REASON =
  'A handler owned by aws-cdk-lib (custom-resource framework or singleton), invoked by CloudFormation during ' +
  "deployments only: its settings are the library's, it handles no record data and calls only AWS APIs.";

/**
 * Acknowledges the checkov findings of a function aws-cdk-lib creates (and its log group, when it has
 * one): concurrency, DLQ, VPC, environment encryption, log group key.
 */
export function acknowledgeFrameworkFunction(fn: IConstruct): void {
  const cfn = cfnResourceOf(fn);
  for (const id of ['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117', 'CKV_AWS_173'])
    acknowledgeCheckov(cfn, id, FRAMEWORK_REASON);
  for (const c of fn.node.findAll()) {
    if (CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Logs::LogGroup')
      acknowledgeCheckov(c, 'CKV_AWS_158', FRAMEWORK_REASON);
  }
}
