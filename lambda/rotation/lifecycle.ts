/**
 * CloudFormation custom resource Create, Update and Delete of a key group.
 * Success returns; failure throws (the Provider framework answers FAILED with
 * the message at once).
 */
import { generationAlias } from './aliases';
import { Deps, step } from './context';
import { addCalendarMonths, parseTimestamp, toTimestamp } from './dates';
import { InconsistentGroupError, InvalidRequestError } from './errors';
import { completeGeneration, createGenerationKey, Generation, readGeneration } from './generation';
import { KeyInfo } from './kms-gateway';
import { withRetiredFence } from './policy';
import { activate, moveUserAlias } from './promotion';
import { GroupSpec } from './requests';
import { settingsTags } from './settings';
import { RESERVED_TAG_PREFIX, TAG } from './tags';

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Generations are found through their generation aliases: O(generations), never a scan. */
async function generationsOf(d: Deps, groupId: string): Promise<Generation[]> {
  const out: Generation[] = [];
  for (let n = 1; ; n++) {
    const g = await readGeneration(d, generationAlias(groupId, n), groupId);
    if (!g) return out;
    // The claim of a rotation that has not created its key yet points at the generation before it.
    if (g.number === n - 1) return out;
    if (g.number !== n) throw new InconsistentGroupError(`${generationAlias(groupId, n)} points at a key tagged as generation ${g.number}`);
    out.push(g);
  }
}

function resultOf(spec: GroupSpec, g: { key: KeyInfo; number: number }): CustomResourceResult {
  const region = g.key.arn.split(':')[3];
  const { partition, accountId } = spec.policyContext;
  return {
    PhysicalResourceId: spec.settings.groupId,
    Data: {
      KeyId: g.key.keyId,
      KeyArn: g.key.arn,
      AliasName: spec.settings.aliasName,
      AliasArn: `arn:${partition}:kms:${region}:${accountId}:${spec.settings.aliasName}`,
      Generation: String(g.number),
    },
  };
}

export async function createGroup(d: Deps, spec: GroupSpec): Promise<CustomResourceResult> {
  const s = spec.settings;
  const existing = await d.kms.describeKey(s.aliasName);
  if (existing) {
    const tags = await d.kms.listTags(existing.keyId);
    if (tags[TAG.group] !== s.groupId) {
      throw new InvalidRequestError(`alias ${s.aliasName} already exists and points at key ${existing.arn}, which this key group did not create; adopting an existing alias is not supported`);
    }
    // A retried Create of a group that already exists: finish it if needed, then report it.
    const current = await readGeneration(d, existing.keyId, s.groupId);
    if (current && current.stage === 'pending') await activate(d, s.groupId, current.number, current.key, s.intervalMonths);
    return resultOf(spec, { key: existing, number: current?.number ?? 1 });
  }
  const claimName = generationAlias(s.groupId, 1);
  const registered = await readGeneration(d, claimName, s.groupId);
  let key: KeyInfo;
  if (registered) {
    key = registered.key; // an earlier Create died after registering generation 1
  } else {
    key = await createGenerationKey(d, s, 1, undefined);
    const claimed = await d.kms.createAlias(claimName, key.keyId);
    if (claimed === 'exists') {
      await d.kms.scheduleDeletion(key.keyId, 7);
      throw new InconsistentGroupError(`${claimName} was created by another run while this Create was running; retry the deployment`);
    }
  }
  await completeGeneration(d, s, 1, key);
  await moveUserAlias(d, s.aliasName, s.groupId, 1, key, true);
  await activate(d, s.groupId, 1, key, s.intervalMonths);
  return resultOf(spec, { key, number: 1 });
}

export async function updateGroup(
  d: Deps, spec: GroupSpec, oldAliasName: string | undefined, physicalResourceId: string,
): Promise<CustomResourceResult> {
  const s = spec.settings;
  if (physicalResourceId !== s.groupId) {
    // A new group id is a new group: create it; CloudFormation then deletes the old one.
    return createGroup(d, spec);
  }
  const generations = await generationsOf(d, s.groupId);
  const current = [...generations].reverse().find((g) => g.stage === 'current')
    ?? [...generations].reverse().find((g) => g.stage === 'pending');
  const active = generations.filter((g) => g.key.state !== 'PendingDeletion');
  if (!current) throw new InconsistentGroupError(`key group ${s.groupId} has no current generation; nothing to update`);

  for (const g of active) {
    await step(d, 'apply-settings', { group: s.groupId, generation: g.number, keyArn: g.key.arn }, async () => {
      await d.kms.putPolicy(g.key.keyId, g.stage === 'retired' ? withRetiredFence(s.policy) : s.policy);
      if (g.key.description !== s.description) await d.kms.updateDescription(g.key.keyId, s.description);
      const desired = { ...s.userTags, ...settingsTags(s) };
      if (g === current && g.stage === 'current' && g.tags[TAG.intervalMonths] !== String(s.intervalMonths)) {
        const activatedAt = parseTimestamp(g.tags[TAG.activatedAt], `tag ${TAG.activatedAt} of ${g.key.arn}`);
        desired[TAG.nextDueAt] = toTimestamp(addCalendarMonths(activatedAt, s.intervalMonths));
      }
      const changed = Object.fromEntries(Object.entries(desired).filter(([k, v]) => g.tags[k] !== v));
      await d.kms.tag(g.key.keyId, changed);
      const removed = Object.keys(g.tags).filter((k) => !k.startsWith(RESERVED_TAG_PREFIX) && !(k in s.userTags));
      await d.kms.untag(g.key.keyId, removed);
    });
  }

  if (oldAliasName && oldAliasName !== s.aliasName) {
    await step(d, 'rename-alias', { group: s.groupId, from: oldAliasName, to: s.aliasName }, async () => {
      const target = await d.kms.describeKey(s.aliasName);
      if (target && target.keyId !== current.key.keyId) {
        throw new InvalidRequestError(`alias ${s.aliasName} already exists and points at key ${target.arn}, which is not this group's current key`);
      }
      if (!target) await d.kms.createAlias(s.aliasName, current.key.keyId);
      const old = await d.kms.describeKey(oldAliasName);
      if (old && generations.some((g) => g.key.keyId === old.keyId)) await d.kms.deleteAlias(oldAliasName);
    });
  }
  return resultOf(spec, current);
}

export async function deleteGroup(d: Deps, req: { groupId?: string; aliasName?: string; removalPolicy: 'retain' | 'destroy'; pendingWindowDays: number; physicalResourceId: string }): Promise<CustomResourceResult> {
  const done = { PhysicalResourceId: req.physicalResourceId };
  if (!req.groupId || req.physicalResourceId !== req.groupId) {
    d.log.info('delete: nothing of this group to remove', { physicalResourceId: req.physicalResourceId });
    return done;
  }
  if (req.removalPolicy === 'retain') {
    d.log.info('delete: keys and aliases retained (RemovalPolicy RETAIN)', { group: req.groupId });
    return done;
  }
  const groupId = req.groupId;
  await step(d, 'destroy', { group: groupId, pendingWindowDays: req.pendingWindowDays }, async () => {
    const generations = await generationsOf(d, groupId);
    // Keys first (newest first), aliases after, generation 1's alias last: a Delete that dies half-way is re-run
    // from the start. Newest first, because once the pending window of a scheduled key ends, KMS deletes the key
    // with its aliases; the keys still to schedule must stay reachable from generation 1's alias.
    for (const g of [...generations].reverse()) {
      if (g.key.state !== 'PendingDeletion') await d.kms.scheduleDeletion(g.key.keyId, req.pendingWindowDays);
    }
    if (req.aliasName) {
      const target = await d.kms.describeKey(req.aliasName);
      if (target && generations.some((g) => g.key.keyId === target.keyId)) await d.kms.deleteAlias(req.aliasName);
    }
    const claimAfterLast = generationAlias(groupId, generations.length + 1);
    await d.kms.deleteAlias(claimAfterLast);
    for (const g of [...generations].reverse()) await d.kms.deleteAlias(generationAlias(groupId, g.number));
  });
  return done;
}
