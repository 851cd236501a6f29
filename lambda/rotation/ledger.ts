/**
 * The ledger gateway: one DynamoDB item per key group, read with strongly
 * consistent reads and replaced with conditional writes on its version.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isKmsError } from './errors';
import { GroupRecord } from './ledger-model';

const GROUP_SORT_KEY = 'state';
const ALIAS_SORT_KEY = 'alias';

/** Another run changed the group between our read and our write. */
export class LedgerConflictError extends Error {
  constructor(groupId: string) {
    super(`the ledger entry of key group ${groupId} changed while this run was writing it`);
    this.name = 'LedgerConflictError';
  }
}

function groupKey(groupId: string) {
  return { pk: `group#${groupId}`, sk: GROUP_SORT_KEY };
}

function aliasKey(aliasName: string) {
  return { pk: `alias#${aliasName}`, sk: ALIAS_SORT_KEY };
}

export class Ledger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(groupId: string): Promise<GroupRecord | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: groupKey(groupId), ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { pk: _pk, sk: _sk, ...record } = r.Item;
    return record as GroupRecord;
  }

  /** The group id registered for a user alias (by Create and renames). */
  async groupOfAlias(aliasName: string): Promise<string | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: aliasKey(aliasName), ConsistentRead: true }));
    return typeof r.Item?.groupId === 'string' ? r.Item.groupId : undefined;
  }

  async registerAlias(aliasName: string, groupId: string): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...aliasKey(aliasName), groupId } }));
  }

  /**
   * Applies `change` to the stored record without taking the group's lock
   * (read, change, conditional write; again on a conflict). The lock holder's
   * own writes re-apply their change on top (see Session.save).
   */
  async update(groupId: string, change: (r: GroupRecord) => GroupRecord, now: () => Date): Promise<GroupRecord> {
    for (let attempt = 1; ; attempt++) {
      const rec = await this.get(groupId);
      if (!rec) throw new LedgerConflictError(groupId);
      try {
        return await this.write(change(rec), rec, now());
      } catch (e) {
        if (!(e instanceof LedgerConflictError) || attempt >= 10) throw e;
      }
    }
  }

  /**
   * Writes `next` (with version `expected.version + 1`) if the stored item is
   * still at `expected.version` (or absent, when `expected` is undefined).
   */
  async write(next: Omit<GroupRecord, 'version'>, expected: GroupRecord | undefined, now: Date): Promise<GroupRecord> {
    const version = (expected?.version ?? 0) + 1;
    const item = { ...next, version, updatedAt: now.toISOString() } as GroupRecord;
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...groupKey(next.groupId), ...item },
        ConditionExpression: expected ? '#v = :v' : 'attribute_not_exists(pk)',
        ExpressionAttributeNames: expected ? { '#v': 'version' } : undefined,
        ExpressionAttributeValues: expected ? { ':v': expected.version } : undefined,
      }));
    } catch (e) {
      if (isKmsError(e, 'ConditionalCheckFailedException')) throw new LedgerConflictError(next.groupId);
      throw e;
    }
    return item;
  }
}
