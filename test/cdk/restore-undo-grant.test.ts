// Guarantee: supports the restore flow of design §7 (undo from the audit item, §11): the restore
// function may read the audit table the way `undo` does, or `restore undo --via-lambda` fails with
// AccessDenied. AuditStore.find (shared/restore/audit.ts) looks a restore up by restoreId with a
// Query of the audit table's sparse index `byRestoreId`, then GetItem of the item (decision 0002,
// addendum); it no longer scans, so the function holds no Scan grant on any table.
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AUDIT_RESTORE_ID_INDEX } from '#cdk/constructs/checkpoint-tables.ts';
import { RestoreFunction } from '#cdk/constructs/restore-function.ts';
import { consumerDependencies, FIXTURE_RESTORE_ENTRY, ordersConsumer, testStack } from './helpers.ts';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function restoreStatements(): { statements: Statement[]; auditArn: unknown; stack: Stack } {
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
  return { statements, auditArn: stack.resolve(deps.tables.audit.tableArn), stack };
}

const actionsOf = (s: Statement) => [s.Action].flat();

describe('RestoreFunction audit access for undo', () => {
  it('may Query the audit table index byRestoreId (AuditStore.find looks a restore up by restoreId)', () => {
    // Act
    const { statements, auditArn, stack } = restoreStatements();

    // Assess: `<audit table arn>/index/byRestoreId`, and nothing else in that statement.
    const find = statements.find((s) => s.Sid === 'AuditFindByRestoreId');
    expect(actionsOf(find!)).toEqual(['dynamodb:Query']);
    const indexArn = stack.resolve({ 'Fn::Join': ['', [auditArn, `/index/${AUDIT_RESTORE_ID_INDEX}`]] });
    expect(find!.Resource).toEqual(indexArn);
  });

  it('may Scan no table: the index replaced the Scan of the whole audit table', () => {
    // Act
    const { statements } = restoreStatements();

    // Assess
    expect(
      statements.filter((s) => actionsOf(s).some((a) => a === 'dynamodb:Scan' || a === 'dynamodb:*')),
    ).toEqual([]);
  });
});
