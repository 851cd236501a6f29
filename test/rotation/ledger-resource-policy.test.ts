/**
 * The ledger table's resource policy, with exactly the synthesized policies:
 * DynamoDB requests go through the authorizing front (test/ledger), which
 * evaluates each principal's identity policies and the table's resource
 * policy as IAM does. A principal allowed `dynamodb:*` on `*` cannot write a
 * ledger item (it still reads what its identity policy allows), while the
 * two function roles deploy and rotate a key group through it.
 */
import {
  BatchWriteItemCommand, DeleteItemCommand, DynamoDBClient, ExecuteStatementCommand, GetItemCommand, PutItemCommand, QueryCommand,
  ScanCommand, TransactWriteItemsCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { deployedStack, DeployedStack, StackPrincipal } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Harness } from './harness';
import { ledgerTableArn, TEST_ACCOUNT } from '../construct/synthesized-policies';
import type { DynamoDbPrincipal } from '../ledger/authorizing-front';
import { LocalDynamoDb } from '../ledger/local-dynamodb';

const HOUR = 3_600_000;

/** A principal of the account whose identity policy allows every DynamoDB action on every resource. */
const ATTACKER: StackPrincipal = {
  accessKeyId: 'AKIDATTACKER',
  arn: `arn:aws:iam::${TEST_ACCOUNT}:role/Attacker`,
  policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] }],
  credentials: { accessKeyId: 'AKIDATTACKER', secretAccessKey: 'AKIDATTACKER-secret' },
};

const KEY = { pk: { S: 'group#telemetry-group' }, sk: { S: 'state' } };

function authorization(stack: DeployedStack) {
  const principals: DynamoDbPrincipal[] = [...stack.principals, ATTACKER];
  return { principals, tablePolicies: stack.ledgerPolicy ? { [stack.tableName]: stack.ledgerPolicy } : {} };
}

const deniedByTablePolicy = (principal: string, action: string, resource: string) => expect.objectContaining({
  name: 'AccessDeniedException',
  message: `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in a resource-based policy`,
});

const deniedByNoIdentityAllow = (principal: string, action: string, resource: string) => expect.objectContaining({
  name: 'AccessDeniedException',
  message: `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
});

describe('the ledger\'s resource policy against principals with their synthesized policies', () => {
  let stack: DeployedStack;
  let db: LocalDynamoDb;
  let admin: DynamoDBClient;
  let table: string;
  const as = (p: StackPrincipal) => db.client({ credentials: p.credentials, maxAttempts: 1 });
  const item = async () => (await admin.send(new GetItemCommand({ TableName: stack.tableName, Key: KEY, ConsistentRead: true }))).Item;

  beforeAll(() => { stack = deployedStack(); });
  beforeEach(async () => {
    db = await LocalDynamoDb.start({ authorization: authorization(stack) });
    await db.createLedgerTable(stack.tableName);
    await db.createLedgerTable('other-table');
    admin = db.client();
    await admin.send(new PutItemCommand({ TableName: stack.tableName, Item: { ...KEY, version: { N: '7' }, status: { S: 'active' } } }));
    table = ledgerTableArn(stack.template);
  });
  afterEach(async () => db.stop());

  test('a principal allowed dynamodb:* is refused every item write on the ledger; the item is unchanged', async () => {
    const attacker = as(ATTACKER);
    const before = await item();
    const forged = { ...KEY, version: { N: '8' }, status: { S: 'destroyed' } };
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['dynamodb:PutItem', () => attacker.send(new PutItemCommand({ TableName: stack.tableName, Item: forged }))],
      ['dynamodb:UpdateItem', () => attacker.send(new UpdateItemCommand({
        TableName: stack.tableName, Key: KEY, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'destroyed' } },
      }))],
      ['dynamodb:DeleteItem', () => attacker.send(new DeleteItemCommand({ TableName: stack.tableName, Key: KEY }))],
      ['dynamodb:BatchWriteItem', () => attacker.send(new BatchWriteItemCommand({ RequestItems: { [stack.tableName]: [{ PutRequest: { Item: forged } }] } }))],
      ['dynamodb:PutItem', () => attacker.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: stack.tableName, Item: forged } }] }))],
      ['dynamodb:PartiQLUpdate', () => attacker.send(new ExecuteStatementCommand({ Statement: `UPDATE "${stack.tableName}" SET status = 'destroyed' WHERE pk = 'group#telemetry-group' AND sk = 'state'` }))],
      ['dynamodb:PartiQLInsert', () => attacker.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "${stack.tableName}" VALUE {'pk': 'alias#x', 'sk': 'state'}` }))],
      ['dynamodb:PartiQLDelete', () => attacker.send(new ExecuteStatementCommand({ Statement: `DELETE FROM "${stack.tableName}" WHERE pk = 'group#telemetry-group' AND sk = 'state'` }))],
    ];
    for (const [action, write] of writes) await expect(write()).rejects.toEqual(deniedByTablePolicy(ATTACKER.arn, action, table));
    expect(await item()).toEqual(before);
    expect(before?.version).toEqual({ N: '7' });
  });

  test('the same principal still reads the ledger (its identity policy allows it), and writes a table without the policy', async () => {
    const attacker = as(ATTACKER);
    const got = await attacker.send(new GetItemCommand({ TableName: stack.tableName, Key: KEY, ConsistentRead: true }));
    expect(got.Item?.status).toEqual({ S: 'active' });
    const queried = await attacker.send(new QueryCommand({
      TableName: stack.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': KEY.pk }, ConsistentRead: true,
    }));
    expect(queried.Items?.map((i) => i.version)).toEqual([{ N: '7' }]);
    expect((await attacker.send(new ScanCommand({ TableName: stack.tableName }))).Count).toBe(1);
    // The refusals above come from the ledger's policy: the identity policy alone lets it write elsewhere.
    await attacker.send(new PutItemCommand({ TableName: 'other-table', Item: KEY }));
    expect((await admin.send(new GetItemCommand({ TableName: 'other-table', Key: KEY }))).Item).toEqual(KEY);
  });

  test('the function roles write the ledger within their identity policies; the other roles of the stack do not even read it', async () => {
    const lifecycle = as(stack.lifecycle);
    const rotation = as(stack.rotation);
    await rotation.send(new PutItemCommand({ TableName: stack.tableName, Item: { ...KEY, version: { N: '8' } } }));
    await rotation.send(new UpdateItemCommand({
      TableName: stack.tableName, Key: KEY, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': { N: '9' } },
    }));
    expect((await item())?.version).toEqual({ N: '9' });
    // The rotation role never deletes a group's item: its identity policy does not allow it.
    await expect(rotation.send(new DeleteItemCommand({ TableName: stack.tableName, Key: KEY })))
      .rejects.toEqual(deniedByNoIdentityAllow(stack.rotation.arn, 'dynamodb:DeleteItem', table));
    await lifecycle.send(new DeleteItemCommand({ TableName: stack.tableName, Key: KEY }));
    expect(await item()).toBeUndefined();
    await lifecycle.send(new PutItemCommand({ TableName: stack.tableName, Item: KEY }));
    expect(await item()).toEqual(KEY);
    // Their identity policies name the ledger only.
    await expect(lifecycle.send(new PutItemCommand({ TableName: 'other-table', Item: KEY })))
      .rejects.toEqual(deniedByNoIdentityAllow(stack.lifecycle.arn, 'dynamodb:PutItem', table.replace(stack.tableName, 'other-table')));
    for (const other of [stack.operator, stack.writer, stack.reader]) {
      await expect(as(other).send(new GetItemCommand({ TableName: stack.tableName, Key: KEY })))
        .rejects.toEqual(deniedByNoIdentityAllow(other.arn, 'dynamodb:GetItem', table));
      await expect(as(other).send(new PutItemCommand({ TableName: stack.tableName, Item: KEY })))
        .rejects.toEqual(deniedByTablePolicy(other.arn, 'dynamodb:PutItem', table));
    }
  });

  test('a request signed with a key of no principal is refused', async () => {
    const stranger = db.client({ credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' }, maxAttempts: 1 });
    await expect(stranger.send(new GetItemCommand({ TableName: stack.tableName, Key: KEY })))
      .rejects.toEqual(expect.objectContaining({ name: 'UnrecognizedClientException' }));
  });
});

describe('a deploy and rotations through the authorized ledger', () => {
  let stack: DeployedStack;
  let h: Harness;
  beforeAll(() => { stack = deployedStack(); });
  beforeEach(async () => {
    h = await Harness.start(
      { authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies, { authorization: authorization(stack) },
    );
  });
  afterEach(async () => h.stop());

  test('Create, an emergency rotation and scheduled runs: the functions are never refused, the attacker always is', async () => {
    const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    await f.rotation({ action: 'rotate-now', aliasName: 'alias/telemetry' });
    await h.runSchedule(f, HOUR, stack.scheduleInput);
    const rec = await h.group('telemetry-group');
    expect(rec.generations.map((g) => [g.n, g.stage, !!g.fencedAt])).toEqual([[1, 'retired', true], [2, 'current', false]]);

    const decisions = h.db.front!.decisions;
    const functions = [stack.lifecycle.arn, stack.rotation.arn];
    expect(decisions.filter((d) => functions.includes(d.principal) && !d.allowed)).toEqual([]);
    // Both roles wrote the ledger through the front (each write was authorized, not waved through).
    const writers = new Set(decisions.filter((d) => d.allowed && d.action === 'dynamodb:PutItem').map((d) => d.principal));
    expect([...writers].sort()).toEqual([...functions].sort());

    const attacker = h.db.client({ credentials: ATTACKER.credentials, maxAttempts: 1 });
    const raw = (await attacker.send(new GetItemCommand({ TableName: stack.tableName, Key: KEY, ConsistentRead: true }))).Item!;
    // A forged item that would postpone the next rotation by a century is refused; the ledger is as the functions left it.
    const forged = { ...raw, nextDueAt: { S: '2126-01-01T00:00:00.000Z' } };
    await expect(attacker.send(new PutItemCommand({ TableName: stack.tableName, Item: forged })))
      .rejects.toEqual(deniedByTablePolicy(ATTACKER.arn, 'dynamodb:PutItem', ledgerTableArn(stack.template)));
    expect(await h.group('telemetry-group')).toEqual(rec);
  });
});
