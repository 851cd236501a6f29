/**
 * Rebuilds a key group's ledger entry from KMS when it is lost: the
 * generation aliases (which only this library's roles can write) name the
 * generations, the keys' tags and policies say their stages. Refuses whenever
 * what it finds is ambiguous, and never overwrites an existing entry.
 */
import { generationAlias, generationAliasPrefix } from './aliases';
import { Deps } from './context';
import { nextDueDate } from './due-date';
import { InconsistentGroupError, InvalidRequestError } from './errors';
import { desiredKeyState, policyDigest } from './key-state';
import { KeyInfo } from './kms-gateway';
import { GenerationRecord, GroupRecord, RotationRecord } from './ledger-model';
import { afterWindow } from './plan';
import { isFenced, PolicyDocument, SID } from './policy';
import { DEFAULT_PROPAGATION_SECONDS, GroupSettings, parseIntervalMonths, parseValidityDays, parseWrappingAlgorithm, parseWrappingKeySpec } from './settings';
import { generationOf, MANAGED_BY, TAG, TagMap, userTagsOf } from './tags';

/** What only the stack knows (not on the keys): given on the command line, or the construct's defaults. */
export interface StackOnlySettings {
  readonly removalPolicy: 'retain' | 'destroy';
  readonly pendingWindowDays: number;
  readonly propagationSeconds: number;
  readonly scheduleHour: number;
  readonly scheduleTimeZone: string;
  readonly lifecycleRoleArn: string;
  readonly rotationRoleArn: string;
}

export const STACK_DEFAULTS: StackOnlySettings = {
  removalPolicy: 'retain',
  pendingWindowDays: 30,
  propagationSeconds: DEFAULT_PROPAGATION_SECONDS,
  scheduleHour: 3,
  scheduleTimeZone: 'Etc/UTC',
  lifecycleRoleArn: '',
  rotationRoleArn: '',
};

interface Found {
  readonly n: number;
  readonly key: KeyInfo;
  readonly tags: TagMap;
  readonly policy: PolicyDocument;
}

export interface Recovery {
  readonly record: GroupRecord;
  /** Keys tagged with the group that no generation alias registers: reported, never adopted. */
  readonly unregistered: string[];
}

function refuse(problem: string): never {
  throw new InconsistentGroupError(`cannot rebuild the ledger: ${problem}`);
}

async function discover(d: Deps, groupId: string): Promise<Found[]> {
  const aliases = await d.kms.aliasesUnder(generationAliasPrefix(groupId));
  const found: Found[] = [];
  for (const a of aliases) {
    const n = Number(/generation-(\d+)$/.exec(a.aliasName)?.[1]);
    if (!Number.isInteger(n) || a.aliasName !== generationAlias(groupId, n)) refuse(`${a.aliasName} is not a generation alias of ${groupId}`);
    const key = await d.kms.describeKey(a.targetKeyId);
    if (!key) refuse(`${a.aliasName} points at ${a.targetKeyId}, which KMS does not show`);
    const tags = await d.kms.listTags(key.keyId);
    if (tags[TAG.group] !== groupId || tags[TAG.managedBy] !== MANAGED_BY || generationOf(tags) !== n) {
      refuse(`${a.aliasName} points at ${key.arn}, whose tags do not say it is generation ${n} of ${groupId}`);
    }
    if (found.some((f) => f.key.keyId === key.keyId)) refuse(`${key.arn} is registered as two generations`);
    found.push({ n, key, tags, policy: await d.kms.getPolicy(key.keyId) });
  }
  found.sort((a, b) => a.n - b.n);
  // A failed first Create leaves no alias for its generation, so numbering may start above 1; after that it has no gaps.
  for (let i = 1; i < found.length; i++) {
    if (found[i].n !== found[i - 1].n + 1) refuse(`generation ${found[i - 1].n + 1} is missing between ${found[i - 1].n} and ${found[i].n}`);
  }
  if (found.length === 0) refuse(`no generation alias under ${generationAliasPrefix(groupId)}`);
  return found;
}

export async function recoverLedger(d: Deps, groupId: string, aliasName: string, stack: StackOnlySettings = STACK_DEFAULTS): Promise<Recovery> {
  if (await d.ledger.get(groupId)) throw new InvalidRequestError(`key group ${groupId} already has a ledger entry; recovery never overwrites one`);
  const found = await discover(d, groupId);
  const target = await d.kms.describeKey(aliasName);
  const current = found.find((f) => f.key.keyId === target?.keyId);
  if (!current) refuse(`alias ${aliasName} points at ${target?.arn ?? 'nothing'}, which no generation alias of ${groupId} registers`);
  const after = found.filter((f) => f.n > current.n);
  if (after.length > 1) refuse(`${after.length} generations after the current one (${after.map((f) => f.n).join(', ')})`);
  const now = d.now();
  const policy = { ...current.policy, Statement: current.policy.Statement.filter((s) => s.Sid !== SID.retiredFence) };
  const [partition, , , accountId] = current.key.arn.split(':').slice(1);
  const wrapping = (current.tags[TAG.wrapping] ?? '').split('/');
  const settings: GroupSettings = {
    groupId,
    aliasName,
    intervalMonths: parseIntervalMonths(current.tags[TAG.intervalMonths], `tag ${TAG.intervalMonths}`),
    description: current.key.description,
    policy,
    userTags: userTagsOf(current.tags),
    wrappingAlgorithm: parseWrappingAlgorithm(wrapping[0], `tag ${TAG.wrapping}`),
    wrappingKeySpec: parseWrappingKeySpec(wrapping[1], `tag ${TAG.wrapping}`),
    materialValidityDays: parseValidityDays(current.tags[TAG.validityDays], `tag ${TAG.validityDays}`),
    removalPolicy: stack.removalPolicy,
    pendingWindowDays: stack.pendingWindowDays,
    propagationSeconds: stack.propagationSeconds,
    scheduleHour: stack.scheduleHour,
    scheduleTimeZone: stack.scheduleTimeZone,
    policyContext: { partition, accountId, lifecycleRoleArn: stack.lifecycleRoleArn, rotationRoleArn: stack.rotationRoleArn },
  };
  const generations: GenerationRecord[] = found.map((f) => {
    const stage = f.n === current.n ? 'current' : f.n < current.n ? 'retired' : 'pending';
    const activatedAt = f.tags[TAG.activatedAt];
    return {
      n: f.n,
      keyId: f.key.keyId,
      keyArn: f.key.arn,
      stage,
      claimedAt: activatedAt ?? f.key.creationDate.toISOString(),
      kmsCreationDate: f.key.creationDate.toISOString(),
      // Unknown: count authorization from now, so nothing is promoted or fenced sooner than a full window.
      authorizableSince: now.toISOString(),
      registeredAt: now.toISOString(),
      ...(activatedAt ? { activatedAt } : {}),
      ...(stage === 'retired' ? { retiredAt: f.tags[TAG.retiredAt] ?? now.toISOString() } : {}),
      ...(isFenced(f.policy) ? { fencedAt: f.tags[TAG.retiredAt] ?? now.toISOString() } : {}),
      ...(f.key.state === 'PendingDeletion' ? { deletionScheduledAt: now.toISOString() } : {}),
      // What retention did (the dates are unknown: from now, so a deletion waits a full quiet period again).
      ...(stage === 'retired' && f.key.state === 'Disabled' ? { disabledAt: now.toISOString() } : {}),
      ...(stage === 'retired' && f.tags[TAG.retention] === 'exempt' ? { retentionExemptAt: now.toISOString() } : {}),
      appliedPolicyDigest: policyDigest(f.policy),
    };
  });
  const unfenced = generations.some((g) => g.stage === 'retired' && !g.fencedAt && !g.deletionScheduledAt);
  const pending = generations.find((g) => g.stage === 'pending');
  const draft = { settings, generations } as unknown as GroupRecord;
  let rotation: RotationRecord | undefined;
  if (pending) {
    const key = found.find((f) => f.n === pending.n)!.key;
    rotation = { n: pending.n, reason: 'scheduled', phase: key.state === 'PendingImport' ? 'import' : 'test', startedAt: pending.claimedAt };
  } else if (unfenced) {
    rotation = { n: current.n, reason: 'scheduled', phase: 'fence', startedAt: now.toISOString(), notBefore: afterWindow(draft, now) };
  }
  const record: Omit<GroupRecord, 'version'> = {
    groupId,
    status: 'active',
    settings,
    generations: generations.map((g) => ({ ...g, appliedDigest: desiredKeyState(draft, g).digest })),
    rotation,
    nextDueAt: nextDueDate(settings, generations.find((g) => g.n === current.n)!).toISOString(),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const written = await d.ledger.write(record, undefined, now, { runId: d.runId, origin: 'recovered' });
  await d.ledger.registerAlias(aliasName, groupId);
  const unregistered = (await d.kms.findKeysByTags({ [TAG.group]: groupId }))
    .filter((k) => !found.some((f) => f.key.keyId === k.keyId)).map((k) => k.arn);
  d.log.info('ledger rebuilt from KMS', { group: groupId, generations: generations.length, current: current.n, rotation: rotation?.phase, unregistered });
  return { record: written, unregistered };
}
