/**
 * Gathers a key group's report with the caller's credentials: the ledger
 * entry, what its seals say (kms:VerifyMac, with the seal keys the caller
 * gives) and its event log (strongly consistent reads), and what KMS says of
 * each live generation and of the alias. A tampered entry is reported, not
 * refused.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { buildGroupReport, GroupReport, KeyFacts, UnreadableCall } from './group-report';
import { errorName } from '../rotation/errors';
import { defaultDynamoDbClient, defaultKmsClient, defaultTaggingClient } from '../rotation/handler';
import { KeyLastUsage, KmsGateway } from '../rotation/kms-gateway';
import { Ledger } from '../rotation/ledger';
import { GroupRecord } from '../rotation/ledger-model';
import { isFenced } from '../rotation/policy';
import { SealGateway, SealKeys } from '../rotation/seal-gateway';

export interface ReportOptions {
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_KMS is honoured) */
  readonly kms?: KMSClient;
  /** @default - a client from the standard SDK configuration (AWS_ENDPOINT_URL_DYNAMODB is honoured) */
  readonly dynamodb?: DynamoDBClient;
  /** The stack's ledger table. */
  readonly tableName: string;
  /**
   * The ARNs of the stack's seal keys (`settingsSealKey`, `ledgerSealKey` of the construct), from a source
   * only a deploy controls: the entry's seals are verified with them.
   * @default - the seals are not checked, and no report passes
   */
  readonly sealKeys?: SealKeys;
  /** @default - the system clock */
  readonly now?: Date;
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

function sources(o: ReportOptions): { kms: KmsGateway; ledger: Ledger } {
  const tagging: ResourceGroupsTaggingAPIClient = defaultTaggingClient();
  const kms = o.kms ?? defaultKmsClient();
  const seal = o.sealKeys ? new SealGateway(kms, o.sealKeys) : undefined;
  return { kms: new KmsGateway(kms, tagging), ledger: new Ledger(o.dynamodb ?? defaultDynamoDbClient(), o.tableName, { seal }) };
}

/** The report of the group behind a user alias. */
export async function reportGroup(o: ReportOptions & { readonly aliasName: string }): Promise<GroupReport> {
  const s = sources(o);
  const groupId = await s.ledger.groupOfAlias(o.aliasName);
  if (!groupId) throw new ReportError(`no key group of ledger table ${o.tableName} has the alias ${o.aliasName}`);
  return reportOf(s, groupId, o.now ?? new Date());
}

/** The reports of every group in the table, with a progress callback per group. */
export async function reportAllGroups(
  o: ReportOptions & { readonly progress?: (done: number, total: number, groupId: string) => void },
): Promise<GroupReport[]> {
  const s = sources(o);
  const ids = await s.ledger.groupIds();
  const reports: GroupReport[] = [];
  for (const [i, id] of ids.entries()) {
    o.progress?.(i, ids.length, id);
    reports.push(await reportOf(s, id, o.now ?? new Date()));
  }
  o.progress?.(ids.length, ids.length, '');
  return reports;
}

async function reportOf(s: { kms: KmsGateway; ledger: Ledger }, groupId: string, now: Date): Promise<GroupReport> {
  const entry = await s.ledger.inspect(groupId);
  if (!entry) throw new ReportError(`key group ${groupId} has no ledger entry`);
  const { record, seals } = entry;
  const [events, keys, aliasTarget] = await Promise.all([
    s.ledger.events(groupId),
    keyFacts(s.kms, record),
    record.status === 'active' ? s.kms.describeKey(record.settings.aliasName) : Promise.resolve(undefined),
  ]);
  return buildGroupReport({ record, events, keys, aliasTargetKeyId: aliasTarget?.keyId, seals, now });
}

/**
 * Last usage is an audit detail, not evidence of the rotation: a caller who may not read it (an auditor role
 * without kms:GetKeyLastUsage) or a call that fails still gets the report, with the call named as unreadable.
 */
async function lastUsageOrUnreadable(kms: KmsGateway, keyId: string): Promise<KeyLastUsage | { unreadable: UnreadableCall }> {
  try {
    return await kms.lastUsage(keyId);
  } catch (e) {
    return { unreadable: { call: 'kms:GetKeyLastUsage', errorName: errorName(e), errorMessage: e instanceof Error ? e.message : String(e) } };
  }
}

async function keyFacts(kms: KmsGateway, record: GroupRecord): Promise<Map<number, KeyFacts | undefined>> {
  const facts = new Map<number, KeyFacts | undefined>();
  // One key at a time: GetKeyLastUsage allows 5 requests per second in an account.
  for (const g of record.generations) {
    if (g.stage === 'discarded') continue;
    const key = await kms.describeKey(g.keyId);
    if (!key) {
      facts.set(g.n, undefined);
      continue;
    }
    const deleting = key.state === 'PendingDeletion';
    const [tags, policy, usage] = await Promise.all([
      kms.listTags(g.keyId),
      deleting ? Promise.resolve(undefined) : kms.getPolicy(g.keyId),
      lastUsageOrUnreadable(kms, g.keyId),
    ]);
    facts.set(g.n, {
      state: key.state,
      creationDate: key.creationDate.toISOString(),
      currentKeyMaterialId: key.currentKeyMaterialId,
      tags,
      fenced: policy ? isFenced(policy) : false,
      policy,
      lastUsage: 'unreadable' in usage ? usage : {
        operation: usage.operation,
        at: usage.at?.toISOString(),
        cloudTrailEventId: usage.cloudTrailEventId,
        trackingSince: usage.trackingSince?.toISOString(),
      },
    });
  }
  return facts;
}
