/**
 * Scheduled (`rotate-if-due`) and emergency (`rotate-now`) rotation of a key
 * group, resumable after a run that died after any KMS call.
 *
 * Claim: the run that creates the generation alias of generation N+1 (pointing
 * at the current key until the new key exists) is the only author of N+1.
 * Another run that finds the claim younger than the lease exits cleanly; one
 * that finds it older finishes the half-made generation.
 */
import { generationAlias } from './aliases';
import { applySettings } from './apply-settings';
import { findUnregistered, isLive, readClaim, takeOver } from './claim';
import { Deps, step } from './context';
import { isDue, parseTimestamp, toTimestamp } from './dates';
import { InconsistentGroupError, InvalidRequestError } from './errors';
import { assertRegistered, completeGeneration, createGenerationKey, Generation, readGeneration } from './generation';
import { KeyInfo } from './kms-gateway';
import { PolicyDocument, SID } from './policy';
import { activate, moveUserAlias, retire } from './promotion';
import { GenerationSettings, policyIdFor, settingsFromCurrent } from './settings';
import { TAG } from './tags';

export type RotationOutcome =
  | { readonly outcome: 'not-due'; readonly generation: number; readonly nextDueAt: string }
  | { readonly outcome: 'rotated'; readonly generation: number; readonly keyArn: string; readonly previousKeyArn: string; readonly nextDueAt: string }
  | { readonly outcome: 'in-progress'; readonly generation: number };

export interface RotateRequest {
  readonly aliasName: string;
  readonly groupId?: string;
  readonly force: boolean;
}

export async function rotate(d: Deps, req: RotateRequest): Promise<RotationOutcome> {
  const current = await step(d, 'discover', { alias: req.aliasName }, async () => {
    const g = await readGeneration(d, req.aliasName, req.groupId);
    if (!g) throw new InvalidRequestError(`alias ${req.aliasName} does not exist; deploy the key group first`);
    return g;
  });
  const groupId = current.tags[TAG.group];

  if (current.stage === 'pending') {
    // The alias already moved; the run died before tagging. Finish the promotion.
    await assertRegistered(d, groupId, current);
    return finishPromotion(d, req.aliasName, current);
  }
  if (current.stage !== 'current') {
    throw new InconsistentGroupError(`alias ${req.aliasName} points at generation ${current.number} (${current.key.arn}) whose stage is ${current.stage}`);
  }

  const nextDueAt = parseTimestamp(current.tags[TAG.nextDueAt], `tag ${TAG.nextDueAt} of ${current.key.arn}`);
  const claimName = generationAlias(groupId, current.number + 1);
  const due = req.force || isDue(nextDueAt, d.now());

  if (!due) {
    // A not-due run still finishes what a dead run left behind (reads only otherwise).
    const claim = await d.kms.describeKey(claimName);
    if (!claim) {
      d.log.info('not due', { group: groupId, generation: current.number, keyArn: current.key.arn, nextDueAt: toTimestamp(nextDueAt) });
      return { outcome: 'not-due', generation: current.number, nextDueAt: toTimestamp(nextDueAt) };
    }
    return resume(d, current, claim, false);
  }

  await assertRegistered(d, groupId, current);
  const claimed = await step(d, 'claim', { group: groupId, generation: current.number + 1, claim: claimName }, () =>
    d.kms.createAlias(claimName, current.key.keyId));
  if (claimed === 'exists') {
    const claim = await d.kms.describeKey(claimName);
    if (!claim) return { outcome: 'in-progress', generation: current.number + 1 };
    return resume(d, current, claim, true);
  }
  // Read after the claim. A stack update that ran between our first reads and the claim
  // shows in the policy's Id: then read the tags and description again.
  const policy = await d.kms.getPolicy(current.key.keyId);
  let settings = settingsOf(current, policy);
  if (policy.Id !== policyIdFor(settings)) {
    const fresh = await readGeneration(d, current.key.keyId, groupId);
    if (fresh) settings = settingsOf(fresh, policy);
  }
  const key = await createGenerationKey(d, settings, current.number + 1, current.key);
  await d.kms.updateAlias(claimName, key.keyId);
  return finishRotation(d, settings, current, key, policy);
}

function settingsOf(current: Generation, policy: PolicyDocument): GenerationSettings {
  const withoutFence = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== SID.retiredFence) };
  return settingsFromCurrent(current.tags, current.key.description, withoutFence);
}

async function finishRotation(
  d: Deps, s: GenerationSettings, current: Generation, key: KeyInfo, currentPolicy?: PolicyDocument,
): Promise<RotationOutcome> {
  const n = current.number + 1;
  await completeGeneration(d, s, n, key);
  await moveUserAlias(d, s.aliasName, s.groupId, n, key, false);
  await retire(d, s.groupId, current, currentPolicy);
  const nextDueAt = await activate(d, s.groupId, n, key, s.intervalMonths);
  d.log.info('rotated', { group: s.groupId, generation: n, keyArn: key.arn, previousKeyArn: current.key.arn, nextDueAt: toTimestamp(nextDueAt) });
  return { outcome: 'rotated', generation: n, keyArn: key.arn, previousKeyArn: current.key.arn, nextDueAt: toTimestamp(nextDueAt) };
}

/** The user alias already points at the new generation; retire the previous one and activate. */
async function finishPromotion(d: Deps, aliasName: string, current: Generation): Promise<RotationOutcome> {
  const groupId = current.tags[TAG.group];
  const previousKeyId = current.tags[TAG.previousKey];
  if (!previousKeyId) throw new InconsistentGroupError(`generation ${current.number} (${current.key.arn}) is pending behind ${aliasName} but names no previous key`);
  const previous = await readGeneration(d, previousKeyId, groupId);
  if (previous) {
    await assertRegistered(d, groupId, previous);
    await retire(d, groupId, previous);
  }
  const policy = await d.kms.getPolicy(current.key.keyId);
  const s = settingsOf(current, policy);
  const nextDueAt = await activate(d, groupId, current.number, current.key, s.intervalMonths);
  d.log.info('rotated (finished an interrupted promotion)', { group: groupId, generation: current.number, keyArn: current.key.arn });
  return { outcome: 'rotated', generation: current.number, keyArn: current.key.arn, previousKeyArn: previous?.key.arn ?? previousKeyId, nextDueAt: toTimestamp(nextDueAt) };
}

/**
 * A claim for generation N+1 exists: leave it to its live author, or take over
 * what a dead one left (exclusively) and finish it. A claim with no key behind
 * it is discarded when the group is not due (it may be a dead stack update's).
 */
async function resume(d: Deps, current: Generation, claimTarget: KeyInfo, due: boolean): Promise<RotationOutcome> {
  const groupId = current.tags[TAG.group];
  const n = current.number + 1;
  const claim = await readClaim(d, groupId, n, claimTarget);
  if (!claim || isLive(d, claim) || !(await takeOver(d, claim))) {
    d.log.info('another run is making this generation; leaving it alone', { group: groupId, generation: n, claim: generationAlias(groupId, n) });
    return { outcome: 'in-progress', generation: n };
  }
  return step(d, 'resume', { group: groupId, generation: n, claim: claim.name }, async () => {
    await assertRegistered(d, groupId, current);
    const policy = await d.kms.getPolicy(current.key.keyId);
    const s = settingsOf(current, policy);
    let key: KeyInfo;
    if (claim.target.keyId === current.key.keyId) {
      // Claimed, then the run died: before CreateKey, or after it but before registering the key.
      const orphan = await findUnregistered(d, groupId, n, current.key, claim.createdAt!);
      if (orphan) {
        // Made before any settings change that happened since: give it the group's settings now.
        await applySettings(d, s, orphan.key, orphan.tags, { fenced: false });
        key = orphan.key;
      } else if (!due) {
        await d.kms.deleteAlias(claim.name);
        d.log.info('discarded a claim with no key behind it; not due', { group: groupId, generation: n });
        return { outcome: 'not-due', generation: current.number, nextDueAt: current.tags[TAG.nextDueAt] };
      } else {
        key = await createGenerationKey(d, s, n, current.key);
      }
      await d.kms.updateAlias(claim.name, key.keyId);
    } else {
      const pending = await readGeneration(d, claim.target.keyId, groupId);
      if (!pending || pending.number !== n || pending.stage !== 'pending' || pending.tags[TAG.previousKey] !== current.key.keyId) {
        throw new InconsistentGroupError(`claim ${claim.name} points at ${claim.target.arn}, which is not the pending generation ${n} following ${current.key.arn}`);
      }
      key = pending.key;
    }
    return finishRotation(d, s, current, key, policy);
  });
}
