/**
 * Promote a tested generation and retire the one it replaces. Every write is
 * idempotent, and the last one (tagging the new generation `current`) marks the
 * rotation as complete, so a run that dies in between is finished by the next.
 */
import { Deps, step } from './context';
import { addCalendarMonths, toTimestamp } from './dates';
import { Generation } from './generation';
import { KeyInfo } from './kms-gateway';
import { PolicyDocument, withRetiredFence } from './policy';
import { TAG } from './tags';

/** Points the user alias at the new key (creating it for generation 1). */
export async function moveUserAlias(d: Deps, aliasName: string, groupId: string, n: number, key: KeyInfo, create: boolean): Promise<void> {
  await step(d, 'promote', { group: groupId, generation: n, keyArn: key.arn, alias: aliasName }, async () => {
    if (create) {
      const r = await d.kms.createAlias(aliasName, key.keyId);
      if (r === 'exists') await d.kms.updateAlias(aliasName, key.keyId);
    } else {
      await d.kms.updateAlias(aliasName, key.keyId);
    }
  });
}

/** Fences the previous generation to decrypt-only and tags it retired. */
export async function retire(d: Deps, groupId: string, previous: Generation, knownPolicy?: PolicyDocument): Promise<void> {
  if (previous.stage === 'retired') return;
  await step(d, 'retire', { group: groupId, generation: previous.number, keyArn: previous.key.arn }, async () => {
    const policy = knownPolicy ?? await d.kms.getPolicy(previous.key.keyId);
    await d.kms.putPolicy(previous.key.keyId, withRetiredFence(policy));
    await d.kms.tag(previous.key.keyId, { [TAG.stage]: 'retired', [TAG.retiredAt]: toTimestamp(d.now()) });
  });
}

/** Tags the new generation current, with its activation time and next due date. */
export async function activate(d: Deps, groupId: string, n: number, key: KeyInfo, intervalMonths: number): Promise<Date> {
  const activatedAt = d.now();
  const nextDueAt = addCalendarMonths(activatedAt, intervalMonths);
  await step(d, 'activate', { group: groupId, generation: n, keyArn: key.arn, nextDueAt: toTimestamp(nextDueAt) }, async () => {
    await d.kms.tag(key.keyId, {
      [TAG.stage]: 'current',
      [TAG.activatedAt]: toTimestamp(activatedAt),
      [TAG.nextDueAt]: toTimestamp(nextDueAt),
    });
  });
  return nextDueAt;
}
