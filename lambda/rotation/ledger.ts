/**
 * The ledger gateway: one DynamoDB item per key group, read with strongly
 * consistent reads and replaced with conditional writes on its version, and
 * the group's event log beside it, one item per event, appended by every write.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { isKmsError } from './errors';
import { chain, LedgerEvent } from './event-chain';
import { eventsBetween, Origin } from './ledger-events';
import { GroupRecord } from './ledger-model';

const GROUP_SORT_KEY = 'state';
const ALIAS_SORT_KEY = 'alias';
const EVENT_SORT_PREFIX = 'event#';

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

/** Sequence, then the hash's start: a write that lost the race leaves its events beside the chain's, never over them. */
function eventKey(e: LedgerEvent) {
  return { pk: `group#${e.groupId}`, sk: `${EVENT_SORT_PREFIX}${String(e.seq).padStart(10, '0')}#${e.hash.slice(0, 16)}` };
}

/** Who writes, and how the entry came about when there is no previous version. */
export interface WriteContext {
  /** The run's id, recorded in every event. */
  readonly runId: string;
  /** @default 'written' */
  readonly origin?: Origin;
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
  async update(groupId: string, change: (r: GroupRecord) => GroupRecord, now: () => Date, by: WriteContext): Promise<GroupRecord> {
    for (let attempt = 1; ; attempt++) {
      const rec = await this.get(groupId);
      if (!rec) throw new LedgerConflictError(groupId);
      try {
        return await this.write(change(rec), rec, now(), by);
      } catch (e) {
        if (!(e instanceof LedgerConflictError) || attempt >= 10) throw e;
      }
    }
  }

  /**
   * Writes `next` (with version `expected.version + 1`) if the stored item is
   * still at `expected.version` (or absent, when `expected` is undefined).
   * The events of the change are stored first and the entry's chain head
   * moves to them in the same conditional write, so the log never misses a
   * change that was written.
   */
  async write(next: Omit<GroupRecord, 'version'>, expected: GroupRecord | undefined, now: Date, by: WriteContext): Promise<GroupRecord> {
    const version = (expected?.version ?? 0) + 1;
    const at = now.toISOString();
    const { events, head } = chain(next.groupId, expected?.chain, eventsBetween(expected, next, by.origin), at, by.runId);
    await Promise.all(events.map((e) => this.putEvent(e)));
    const item = { ...next, chain: head, version, updatedAt: at } as GroupRecord;
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

  /** The ids of every group in the table (a paged scan: reports only). */
  async groupIds(): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'sk = :state',
        ExpressionAttributeValues: { ':state': GROUP_SORT_KEY },
        ProjectionExpression: 'groupId',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) if (typeof item.groupId === 'string') ids.push(item.groupId);
      start = page.LastEvaluatedKey;
    } while (start);
    return ids.sort();
  }

  /** Every stored event of the group, oldest first (the chain's and any outside it). */
  async events(groupId: string): Promise<LedgerEvent[]> {
    const events: LedgerEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `group#${groupId}`, ':prefix': EVENT_SORT_PREFIX },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, ...event } = item;
        events.push(event as LedgerEvent);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return events;
  }

  /** Idempotent: the same event again (same hash, so same content) is already there. */
  private async putEvent(e: LedgerEvent): Promise<void> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...eventKey(e), ...e },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
    } catch (err) {
      if (!isKmsError(err, 'ConditionalCheckFailedException')) throw err;
    }
  }
}
