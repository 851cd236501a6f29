import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Every IAM action that writes items of an existing table (Service
 * Authorization Reference, Amazon DynamoDB). `TransactWriteItems` is
 * authorized as PutItem, UpdateItem and DeleteItem, `ExecuteStatement`,
 * `BatchExecuteStatement` and `ExecuteTransaction` as the PartiQL actions;
 * `WriteDataForReplication` is the replication service's write into a
 * multi-account replica. `ImportTable` and the `RestoreTable*` actions write
 * only a new table, never this one.
 */
export const ITEM_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:WriteDataForReplication',
];

export const DENY_LEDGER_WRITES_SID = 'DenyLedgerWritesButTheFunctions';

/**
 * For the ledger table's resource policy: nobody but the function roles
 * writes its items, whatever their identity policies allow (`dynamodb:*`
 * included). An explicit Deny in a resource policy wins over any Allow.
 *
 * `Resource: '*'` is the table and its indexes (a table's policy can name
 * nothing else), and avoids the table referring to its own ARN.
 * `aws:PrincipalArn` is the role's ARN for each of its sessions. Admin
 * actions are not denied: see docs/security-model.md.
 */
export function denyLedgerWritesStatement(functionRoleArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: DENY_LEDGER_WRITES_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ITEM_WRITE_ACTIONS,
    resources: ['*'],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': functionRoleArns } },
  });
}
