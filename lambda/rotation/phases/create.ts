/**
 * Phase "create": makes the key of the generation being rotated in (origin
 * EXTERNAL, the group's policy, labelled `pending` and with the attempt id),
 * records it, and registers it with its generation alias.
 */
import { randomUUID } from 'node:crypto';
import { generationAlias } from '../aliases';
import { Deps, isThrottling, step } from '../context';
import { InconsistentGroupError } from '../errors';
import { desiredKeyState, policyDigest } from '../key-state';
import { KeyInfo } from '../kms-gateway';
import { generation, GenerationRecord, GroupRecord, withGeneration } from '../ledger-model';
import { eventually } from '../retry';
import { Session } from '../session';
import { aliasTarget } from './alias-target';
import { patientlyThrottled } from './patience';
import { TAG } from '../tags';

/** KMS may not see a key (or a role named in a policy) it has just made. */
const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

export async function createPhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const groupId = s.record.groupId;
  await step(d, 'create', { group: groupId, generation: r.n }, async () => {
    if (!generation(s.record, r.n)) {
      const key = (await findEarlierAttempt(d, s.record)) ?? await createKeyOrFindIt(d, s);
      await s.save((rec) => withGeneration(rec, newGeneration(rec, r.n, key, d.now())));
      d.log.info('created key', { group: groupId, generation: r.n, keyArn: key.arn });
    }
    const g = generation(s.record, r.n)!;
    if (!g.registeredAt) {
      await register(d, groupId, g);
      await s.save((rec) => withGeneration(rec, { ...generation(rec, r.n)!, registeredAt: d.now().toISOString() }));
    }
    await s.save((rec) => ({ ...rec, rotation: { ...rec.rotation!, phase: 'import' } }));
  });
}

function newGeneration(rec: GroupRecord, n: number, key: KeyInfo, now: Date): GenerationRecord {
  const draft: GenerationRecord = {
    n,
    keyId: key.keyId,
    keyArn: key.arn,
    stage: 'pending',
    claimedAt: rec.rotation!.startedAt,
    kmsCreationDate: key.creationDate.toISOString(),
    authorizableSince: now.toISOString(),
    appliedPolicyDigest: policyDigest(rec.settings.policy),
    labelsWrittenAt: now.toISOString(),
  };
  return { ...draft, appliedDigest: desiredKeyState(rec, draft).digest };
}

/** A run that died after CreateKey and before recording the key left it tagged with its attempt id. */
async function findEarlierAttempt(d: Deps, rec: GroupRecord): Promise<KeyInfo | undefined> {
  const attemptId = rec.rotation?.attemptId;
  if (!attemptId) return undefined;
  const found = await d.kms.findKeysByTags({ [TAG.group]: rec.groupId, [TAG.attempt]: attemptId });
  if (found.length > 1) {
    throw new InconsistentGroupError(`attempt ${attemptId} of key group ${rec.groupId} is tagged on ${found.length} keys (${found.map((k) => k.arn).join(', ')})`);
  }
  if (found.length === 0) return undefined;
  const key = await eventually(d, FRESH, async () => {
    const k = await d.kms.describeKey(found[0].keyId);
    if (!k) throw Object.assign(new Error(`key ${found[0].arn} is not visible yet`), { name: 'NotFoundException' });
    return k;
  });
  d.log.warn('found the key of an attempt that died before recording it', { group: rec.groupId, keyArn: key.arn, attemptId });
  return key;
}

/**
 * A CreateKey whose answer was lost (a 5xx, a timeout) may have made the key:
 * look for it by its attempt id (the tagging index may lag a little) before
 * giving up; a key found is adopted, so none is made twice.
 */
async function createKeyOrFindIt(d: Deps, s: Session): Promise<KeyInfo> {
  try {
    return await createKey(d, s);
  } catch (e) {
    if (isThrottling(e)) throw e;
    try {
      return await eventually(d.sleep, ['NotIndexedYet'], async () => {
        const key = await findEarlierAttempt(d, s.record);
        if (!key) throw Object.assign(new Error('not indexed yet'), { name: 'NotIndexedYet' });
        return key;
      // The tagging index lags behind KMS by seconds, sometimes more: up to about half a minute of patience.
      }, { attempts: 7, baseMs: 1000, maxMs: 8000 });
    } catch {
      throw e;
    }
  }
}

async function createKey(d: Deps, s: Session): Promise<KeyInfo> {
  const attemptId = randomUUID();
  // Recorded before CreateKey: if this run dies right after it, the next run finds the key by this id.
  await s.save((rec) => ({ ...rec, rotation: { ...rec.rotation!, attemptId, attemptStartedAt: d.now().toISOString() } }));
  const rec = s.record;
  const placeholder: GenerationRecord = {
    n: rec.rotation!.n,
    keyId: '',
    keyArn: '',
    stage: 'pending',
    claimedAt: rec.rotation!.startedAt,
    kmsCreationDate: d.now().toISOString(),
    authorizableSince: '',
    appliedPolicyDigest: '',
  };
  const state = desiredKeyState(rec, placeholder);
  // Retried only when KMS certainly did not make the key (throttled, or a policy principal not visible yet);
  // any other failure ends the run, and the next run finds a key that was made by its attempt id.
  return patientlyThrottled(d, () => eventually(d, ['MalformedPolicyDocumentException'], () => d.kms.createKey({
    policy: state.policy!,
    description: state.description!,
    // The stack tag only here: no role may write it afterwards (docs/security-model.md).
    tags: { ...state.tags, [TAG.attempt]: attemptId, ...(rec.settings.stackId ? { [TAG.stack]: rec.settings.stackId } : {}) },
  })));
}

async function register(d: Deps, groupId: string, g: GenerationRecord): Promise<void> {
  const name = generationAlias(groupId, g.n);
  const created = await eventually(d, FRESH, () => d.kms.createAlias(name, g.keyId));
  if (created === 'exists') {
    // Our own CreateAlias whose answer was lost (the SDK's retry found it) shows our key once KMS catches up.
    const target = await aliasTarget(d, name, [g.keyId]);
    if (target?.keyId !== g.keyId) {
      throw new InconsistentGroupError(`${name} already points at ${target?.arn ?? 'another key'}, not at generation ${g.n} (${g.keyArn}); recover the ledger (see docs/consistency.md)`);
    }
  }
}
