/**
 * The ledger gateway: one DynamoDB item per key group, read with strongly
 * consistent reads and replaced with conditional writes on its version, and
 * the group's event log beside it, one item per event, appended by every write.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { isKmsError, LedgerTamperedError } from './errors';
import { chain, LedgerEvent } from './event-chain';
import { eventsBetween, Origin } from './ledger-events';
import { GroupRecord } from './ledger-model';
import { SealCheck, SealGateway } from './seal-gateway';
import { digestOf, Seal, sealMessage } from './seal-messages';
import { GroupSettings } from './settings';

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

function settingsKey(groupId: string, settings: GroupSettings): string {
  return `${groupId}\n${digestOf(settings)}`;
}

function aliasKey(aliasName: string) {
  return { pk: `alias#${aliasName}`, sk: ALIAS_SORT_KEY };
}

export interface LedgerOptions {
  /**
   * Verifies every entry read and seals every entry written (docs/security-model.md).
   * @default - neither: a reader that cannot verify, or the recovery command, whose entry a deploy seals
   */
  readonly seal?: SealGateway;
  /**
   * Accepts an entry that carries no seal of this stack's state key (deploy authority only: the
   * lifecycle function, whose first write seals the entry with the settings of its event).
   * @default false
   */
  readonly acceptUnsealed?: boolean;
  /** Told of each unsealed entry accepted. */
  readonly onUnsealed?: (groupId: string) => void;
}

/** An entry as stored, with what its seals say (absent: not checked). */
/** An entry as stored: the record and its two seals, unchecked. */
interface StoredEntry {
  readonly record: GroupRecord;
  readonly stateSeal: unknown;
  readonly settingsSeal: unknown;
}

export interface InspectedEntry {
  readonly record: GroupRecord;
  readonly seals?: { readonly state: SealCheck; readonly settings: SealCheck };
}

export class Ledger {
  private readonly doc: DynamoDBDocumentClient;
  /** Groups whose entry was accepted unsealed and not yet sealed by a write of this process (deploy authority only). */
  private readonly unsealed = new Set<string>();
  /** Settings this process may write, by group and digest: the seal a verified read carried, or `deployed` (a deploy's event). */
  private readonly settingsSeals = new Map<string, Seal | 'deployed'>();

  constructor(client: DynamoDBClient, private readonly tableName: string, private readonly options: LedgerOptions = {}) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Whether the last read of the group accepted it unsealed (see unsealed-entry.ts). */
  acceptedUnsealed(groupId: string): boolean {
    return this.unsealed.has(groupId);
  }

  /**
   * Reads a group's entry, verified: its state seal (made by a function role) covers the whole
   * entry, its settings seal (made by the lifecycle role) the settings. Throws LedgerTamperedError.
   */
  async get(groupId: string): Promise<GroupRecord | undefined> {
    this.unsealed.delete(groupId);
    const stored = await this.read(groupId);
    if (stored && this.options.seal) await this.verify(groupId, stored);
    return stored?.record;
  }

  /**
   * Reads a group's entry as stored and what each of its two seals says, without refusing it
   * (the report shows a tampered entry). Without a seal gateway, the seals are not checked.
   */
  async inspect(groupId: string): Promise<InspectedEntry | undefined> {
    const stored = await this.read(groupId);
    if (!stored || !this.options.seal) return stored && { record: stored.record };
    const [state, settings] = await Promise.all([this.checkState(groupId, stored), this.checkSettings(groupId, stored)]);
    return { record: stored.record, seals: { state, settings } };
  }

  private async read(groupId: string): Promise<StoredEntry | undefined> {
    const r = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: groupKey(groupId), ConsistentRead: true }));
    if (!r.Item) return undefined;
    const { pk: _pk, sk: _sk, stateSeal, settingsSeal, ...record } = r.Item;
    return { record: record as GroupRecord, stateSeal, settingsSeal };
  }

  private checkState(groupId: string, e: StoredEntry): Promise<SealCheck> {
    return this.options.seal!.check('state', sealMessage('state', this.tableName, groupId, { ...e.record, settingsSeal: e.settingsSeal }), e.stateSeal);
  }

  private checkSettings(groupId: string, e: StoredEntry): Promise<SealCheck> {
    return this.options.seal!.check('settings', sealMessage('settings', this.tableName, groupId, e.record.settings), e.settingsSeal);
  }

  /**
   * Settings a deploy gave (the lifecycle's CloudFormation event): writes of them are sealed with the
   * settings key. Every other write must keep settings that a verified read carried.
   */
  deployedSettings(settings: GroupSettings): void {
    const key = settingsKey(settings.groupId, settings);
    if (!this.settingsSeals.has(key)) this.settingsSeals.set(key, 'deployed');
  }

  private async verify(groupId: string, e: StoredEntry): Promise<void> {
    const state = await this.checkState(groupId, e);
    if (state === 'invalid') {
      throw new LedgerTamperedError(groupId, 'ledger-seal', 'does not match its seal: it was written by somebody other than the library\'s functions');
    }
    if (state === 'foreign') {
      if (!this.options.acceptUnsealed) {
        throw new LedgerTamperedError(groupId, 'ledger-unsealed', 'carries no seal of this stack\'s ledger key: it was written outside the library\'s functions, or no deploy of this version sealed it yet');
      }
      // Trust on first use, by deploy authority only: the entry (settings included) is sealed as found,
      // once the deploy bound its generations to their keys (unsealed-entry.ts).
      this.options.onUnsealed?.(groupId);
      this.unsealed.add(groupId);
      this.deployedSettings(e.record.settings);
      return;
    }
    if (await this.checkSettings(groupId, e) !== 'valid') throw new LedgerTamperedError(groupId, 'settings-seal', 'holds settings that no deploy sealed');
    this.settingsSeals.set(settingsKey(groupId, e.record.settings), e.settingsSeal as Seal);
  }

  private async settingsSealOf(groupId: string, settings: GroupSettings): Promise<Seal> {
    const key = settingsKey(groupId, settings);
    const known = this.settingsSeals.get(key);
    if (known !== undefined && known !== 'deployed') return known;
    if (known === undefined) {
      throw new LedgerTamperedError(groupId, 'settings-seal', 'would be written with settings that neither a deploy nor a verified entry gave this run');
    }
    const made = await this.options.seal!.seal('settings', sealMessage('settings', this.tableName, groupId, settings));
    this.settingsSeals.set(key, made);
    return made;
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
    let stored: object = item;
    if (this.options.seal) {
      const settingsSeal = await this.settingsSealOf(next.groupId, next.settings);
      const content = { ...item, settingsSeal };
      stored = { ...content, stateSeal: await this.options.seal.seal('state', sealMessage('state', this.tableName, next.groupId, content)) };
    }
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...groupKey(next.groupId), ...stored },
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
    return this.scanGroupIds();
  }

  /** The ids of the groups whose entry says `creating` (a paged scan filtered in the table: the sweep of dead Creates). */
  async creatingGroupIds(): Promise<string[]> {
    return this.scanGroupIds({ status: 'creating' });
  }

  /** A paged scan of the groups' entries, optionally filtered in the table by their status. */
  private async scanGroupIds(only?: { status: string }): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: only ? 'sk = :state AND #status = :status' : 'sk = :state',
        ExpressionAttributeNames: only ? { '#status': 'status' } : undefined,
        ExpressionAttributeValues: { ':state': GROUP_SORT_KEY, ...(only ? { ':status': only.status } : {}) },
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
