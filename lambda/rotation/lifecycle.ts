/**
 * CloudFormation custom resource Create, Update and Delete of a key group.
 * Success returns; failure throws (the Provider framework answers FAILED with
 * the message at once).
 */
import { generationAlias } from './aliases';
import { applySettings } from './apply-settings';
import { Claim, findUnregistered, isLive, readClaim } from './claim';
import { Deps, step } from './context';
import { addCalendarMonths, parseTimestamp, toTimestamp } from './dates';
import { InconsistentGroupError, InvalidRequestError } from './errors';
import { asGeneration, completeGeneration, createGenerationKey, Generation, readGeneration } from './generation';
import { KeyInfo } from './kms-gateway';
import { activate, moveUserAlias } from './promotion';
import { GroupSpec } from './requests';
import { rotate } from './rotate';
import { TAG, TagMap } from './tags';

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

/**
 * Generation 1 has no claim to date it, so a pending key found through the
 * tagging index is adopted only when it carries exactly the policy and
 * description this Create would give it: adopting it then grants nobody
 * anything this Create would not have.
 */
async function findOwnGenerationOne(d: Deps, spec: GroupSpec): Promise<KeyInfo | undefined> {
  const s = spec.settings;
  const orphan = await findUnregistered(d, s.groupId, 1, undefined, new Date(0), d.now());
  if (!orphan || orphan.key.description !== s.description) return undefined;
  const policy = await d.kms.getPolicy(orphan.key.keyId);
  if (JSON.stringify(policy) !== JSON.stringify(s.policy)) return undefined;
  await applySettings(d, s, orphan.key, orphan.tags, { fenced: false });
  return orphan.key;
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
    const current = asGeneration(s.aliasName, existing, tags, s.groupId);
    if (current.stage === 'pending') await activate(d, s.groupId, current.number, current.key, s.intervalMonths);
    return resultOf(spec, current);
  }
  const claimName = generationAlias(s.groupId, 1);
  const registered = await readGeneration(d, claimName, s.groupId);
  let key: KeyInfo;
  if (registered) {
    key = registered.key; // an earlier Create died after registering generation 1
  } else {
    // An earlier Create that died between CreateKey and registering its key left it pending.
    const orphan = await findOwnGenerationOne(d, spec);
    key = orphan ?? await createGenerationKey(d, s, 1, undefined);
    const claimed = await d.kms.createAlias(claimName, key.keyId);
    // 'exists' pointing at this key: the answer to our own CreateAlias was lost and the SDK retried.
    if (claimed === 'exists' && (await d.kms.describeKey(claimName))?.keyId !== key.keyId) {
      if (!orphan) await d.kms.scheduleDeletion(key.keyId, 7);
      throw new InconsistentGroupError(`${claimName} was created by another run while this Create was running; retry the deployment`);
    }
  }
  await completeGeneration(d, s, 1, key);
  await moveUserAlias(d, s.aliasName, s.groupId, 1, key, true);
  await activate(d, s.groupId, 1, key, s.intervalMonths);
  return resultOf(spec, { key, number: 1 });
}

/** How long a stack update waits for a live rotation of its group to finish. */
const UPDATE_WAIT_ATTEMPTS = 20;
const UPDATE_WAIT_MS = 3000;
/** Passes over the generations before giving up on a group that keeps rotating under the update. */
const UPDATE_ROUNDS = 3;

export async function updateGroup(
  d: Deps, spec: GroupSpec, oldAliasName: string | undefined, physicalResourceId: string,
): Promise<CustomResourceResult> {
  const s = spec.settings;
  if (physicalResourceId !== s.groupId) {
    // A new group id is a new group: create it; CloudFormation then deletes the old one.
    return createGroup(d, spec);
  }
  const aliasName = (oldAliasName && await d.kms.describeKey(oldAliasName)) ? oldAliasName : s.aliasName;
  for (let round = 1; ; round++) {
    const { current, claim } = await quietGroup(d, s.groupId, aliasName);
    const generations = await generationsOf(d, s.groupId);
    for (const g of generations.filter((x) => x.key.state !== 'PendingDeletion')) {
      await step(d, 'apply-settings', { group: s.groupId, generation: g.number, keyArn: g.key.arn }, async () => {
        const extraTags: TagMap = {};
        // Always recomputed (written only if it differs): a rotation racing the update may have used an old interval.
        if (g.key.keyId === current.key.keyId && g.tags[TAG.activatedAt] !== undefined) {
          const activatedAt = parseTimestamp(g.tags[TAG.activatedAt], `tag ${TAG.activatedAt} of ${g.key.arn}`);
          extraTags[TAG.nextDueAt] = toTimestamp(addCalendarMonths(activatedAt, s.intervalMonths));
        }
        await applySettings(d, s, g.key, g.tags, { fenced: g.stage === 'retired', extraTags });
      });
    }
    // A rotation that started meanwhile may have read the old settings or retired a key this pass
    // saw as current: then wait for it and pass again.
    const after = await d.kms.describeKey(aliasName);
    const claimAfter = await readClaim(d, s.groupId, current.number + 1);
    if (after?.keyId === current.key.keyId && claimAfter?.touchedAt.getTime() === claim?.touchedAt.getTime()) {
      if (aliasName !== s.aliasName) await renameAlias(d, s.groupId, aliasName, s.aliasName, current, generations);
      return resultOf(spec, current);
    }
    if (round >= UPDATE_ROUNDS) throw new InconsistentGroupError(`key group ${s.groupId} kept rotating during the update; retry the deployment`);
  }
}

/**
 * Waits until no rotation of the group is under way and returns its current
 * generation. A promotion to finish or a claim a dead run left is handed to
 * the rotation path, which finishes or discards it. A claim that stays younger
 * than the lease for the whole wait (rotations take seconds) is taken for a
 * run that died recently: the update goes ahead and returns it, so that the
 * caller can tell it from a rotation that starts later.
 */
async function quietGroup(d: Deps, groupId: string, aliasName: string): Promise<{ current: Generation; claim?: Claim }> {
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await d.sleep(UPDATE_WAIT_MS);
    const current = await readGeneration(d, aliasName, groupId);
    if (!current) throw new InconsistentGroupError(`alias ${aliasName} of key group ${groupId} does not exist; nothing to update`);
    const claim = current.stage === 'current' ? await readClaim(d, groupId, current.number + 1) : undefined;
    if (current.stage === 'current' && !claim) return { current };
    if (attempt >= UPDATE_WAIT_ATTEMPTS) {
      if (current.stage !== 'current') throw new InconsistentGroupError(`the promotion of generation ${current.number} of key group ${groupId} could not be finished; retry the deployment`);
      d.log.warn('a claim outlived the wait; updating anyway', { group: groupId, claim: claim?.name, claimedAt: claim && toTimestamp(claim.touchedAt) });
      return { current, claim };
    }
    if (claim && isLive(d, claim)) {
      d.log.info('waiting for a rotation of this group to finish', { group: groupId, claim: claim.name });
      continue;
    }
    await rotate(d, { aliasName, groupId, force: false });
  }
}

async function renameAlias(d: Deps, groupId: string, from: string, to: string, current: Generation, generations: Generation[]): Promise<void> {
  await step(d, 'rename-alias', { group: groupId, from, to }, async () => {
    const target = await d.kms.describeKey(to);
    if (target && target.keyId !== current.key.keyId) {
      throw new InvalidRequestError(`alias ${to} already exists and points at key ${target.arn}, which is not this group's current key`);
    }
    if (!target) await d.kms.createAlias(to, current.key.keyId);
    const old = await d.kms.describeKey(from);
    if (old && generations.some((g) => g.key.keyId === old.keyId)) await d.kms.deleteAlias(from);
  });
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
    const last = generations[generations.length - 1];
    const claim = last ? await readClaim(d, groupId, last.number + 1) : undefined;
    if (claim && last && claim.target.keyId === last.key.keyId && claim.createdAt) {
      // A rotation died between CreateKey and registering its key: that key goes too.
      const orphan = await findUnregistered(d, groupId, last.number + 1, last.key, claim.createdAt);
      if (orphan) await d.kms.scheduleDeletion(orphan.key.keyId, req.pendingWindowDays);
    }
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
