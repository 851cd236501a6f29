/**
 * What a DynamoDB API request asks IAM for: each (action, resource) pair the
 * service authorizes, read from the operation (`X-Amz-Target`) and its body.
 *
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
 */

export interface AuthorizationAsk {
  /** e.g. `dynamodb:PutItem` */
  readonly action: string;
  /** A table ARN, an index ARN, or `*` for operations without a resource (ListTables). */
  readonly resource: string;
}

type Body = Record<string, any>;

/** One-table operations authorized as the action of the same name on the table (or the index named). */
const TABLE_OPERATIONS = [
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan',
  'CreateTable', 'DeleteTable', 'DescribeTable', 'UpdateTable', 'DescribeTimeToLive', 'UpdateTimeToLive',
];

/** Operations on a resource named by ARN. */
const ARN_OPERATIONS = ['TagResource', 'UntagResource', 'ListTagsOfResource', 'GetResourcePolicy', 'PutResourcePolicy', 'DeleteResourcePolicy'];

const TRANSACT_WRITE_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };

const PARTIQL_ACTIONS: Record<string, string> = { INSERT: 'PartiQLInsert', UPDATE: 'PartiQLUpdate', DELETE: 'PartiQLDelete', SELECT: 'PartiQLSelect' };

export class UnmodelledOperationError extends Error {}

/** Table ARNs of one account and Region. */
export class TableArns {
  constructor(private readonly partition: string, private readonly region: string, private readonly account: string) {}

  table(name: string, indexName?: string): string {
    const table = `arn:${this.partition}:dynamodb:${this.region}:${this.account}:table/${name}`;
    return indexName === undefined ? table : `${table}/index/${indexName}`;
  }
}

/** The table (and index) a PartiQL statement names: `INSERT INTO "t"`, `UPDATE "t"`, `DELETE FROM "t"`, `SELECT ... FROM "t"."i"`. */
export function partiQlAsk(statement: string, arns: TableArns): AuthorizationAsk {
  const verb = statement.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  const action = PARTIQL_ACTIONS[verb];
  const name = '"([^"]+)"|([A-Za-z0-9_.-]+)';
  const target = verb === 'INSERT' ? new RegExp(`^\\s*INSERT\\s+INTO\\s+(?:${name})`, 'i')
    : verb === 'UPDATE' ? new RegExp(`^\\s*UPDATE\\s+(?:${name})`, 'i')
      : new RegExp(`\\bFROM\\s+(?:${name})(?:\\."([^"]+)")?`, 'i');
  const m = action === undefined ? null : target.exec(statement);
  if (action === undefined || m === null) throw new UnmodelledOperationError(`PartiQL statement not modelled: ${statement}`);
  return { action: `dynamodb:${action}`, resource: arns.table(m[1] ?? m[2], m[3]) };
}

/** Every (action, resource) the request needs, in the order DynamoDB would meet them. */
export function authorizationAsks(operation: string, body: Body, arns: TableArns): AuthorizationAsk[] {
  const ask = (action: string, resource: string): AuthorizationAsk => ({ action: `dynamodb:${action}`, resource });
  if (TABLE_OPERATIONS.includes(operation)) return [ask(operation, arns.table(body.TableName, body.IndexName))];
  if (ARN_OPERATIONS.includes(operation)) return [ask(operation, body.ResourceArn)];
  switch (operation) {
    case 'ListTables':
      return [ask(operation, '*')];
    case 'BatchWriteItem':
    case 'BatchGetItem':
      return Object.keys(body.RequestItems ?? {}).map((table) => ask(operation, arns.table(table)));
    case 'TransactWriteItems':
      return (body.TransactItems ?? []).flatMap((item: Body) => Object.entries(item)
        .map(([kind, request]) => ask(TRANSACT_WRITE_ACTIONS[kind] ?? unmodelled(`TransactWriteItems ${kind}`), arns.table((request as Body).TableName))));
    case 'TransactGetItems':
      return (body.TransactItems ?? []).map((item: Body) => ask('GetItem', arns.table(item.Get.TableName)));
    case 'ExecuteStatement':
      return [partiQlAsk(body.Statement, arns)];
    case 'BatchExecuteStatement':
      return (body.Statements ?? []).map((s: Body) => partiQlAsk(s.Statement, arns));
    case 'ExecuteTransaction':
      return (body.TransactStatements ?? []).map((s: Body) => partiQlAsk(s.Statement, arns));
    default:
      return unmodelled(operation);
  }
}

function unmodelled(what: string): never {
  throw new UnmodelledOperationError(`the authorizing front does not model ${what}`);
}
