// Guarantee: supports the restore flow of design §7 (undo from the audit item, §11): the restore
// function may read the audit table the way `undo` does, or `restore undo --via-lambda` fails with
// AccessDenied. AuditStore.find (shared/restore/audit.ts) looks a restore up by restoreId with a Scan.
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RestoreFunction } from '#cdk/constructs/restore-function.ts';
import { consumerDependencies, FIXTURE_RESTORE_ENTRY, ordersConsumer, testStack } from './helpers.ts';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function restoreStatements(): { statements: Statement[]; auditArn: unknown } {
  const stack = testStack();
  const deps = consumerDependencies(stack);
  const consumer = ordersConsumer(stack, {
    ...deps,
  });
  new RestoreFunction(stack, 'Restore', {
    entry: FIXTURE_RESTORE_ENTRY,
    cluster: deps.cluster,
    tables: deps.tables,
    consumers: [consumer],
  });
  const template = Template.fromStack(stack);
  const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) =>
    id.startsWith('Restore'),
  )!;
  const statements = (policy[1] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
    .PolicyDocument.Statement;
  return { statements, auditArn: stack.resolve(deps.tables.audit.tableArn) };
}

describe('RestoreFunction audit access for undo', () => {
  it('may Scan the audit table (AuditStore.find looks a restore up by restoreId)', () => {
    const { statements, auditArn } = restoreStatements();
    const scans = statements.filter((s) => [s.Action].flat().includes('dynamodb:Scan'));
    expect(scans).toHaveLength(1);
    expect(scans[0]!.Resource).toEqual(auditArn);
  });

  it('may Scan nothing else (the checkpoints table stays read by key)', () => {
    const { statements, auditArn } = restoreStatements();
    for (const s of statements.filter((s) => [s.Action].flat().includes('dynamodb:Scan'))) {
      expect([s.Resource].flat()).toEqual([auditArn]);
    }
  });
});
