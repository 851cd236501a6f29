/**
 * The design's invariants, checked against the simulator's state after a step.
 * Returns the violations as sentences (empty when all hold), so property tests
 * can report them and example tests can assert on them.
 */
import { Harness } from './harness';
import { generationAliasPrefix } from '../../lambda/rotation/aliases';
import { addCalendarMonths } from '../../lambda/rotation/dates';
import { SID } from '../../lambda/rotation/policy';
import { TAG } from '../../lambda/rotation/tags';

export interface Kept { readonly ciphertext: Uint8Array; readonly plaintext: string }

export interface GroupUnderTest {
  readonly groupId: string;
  readonly aliasName: string;
  readonly intervalMonths: number;
}

export interface InvariantOptions {
  /** Ciphertexts made under the alias, each with its plaintext. */
  readonly kept?: readonly Kept[];
  /** A run may have died: one pending key may be left for the next run to finish. */
  readonly allowPending?: boolean;
  /** Emergency rotations happened: generations may be closer than the interval. */
  readonly emergencies?: number;
  /** Where to start reading the simulator's call log (calls before belong to the test). */
  readonly callsFrom?: number;
  /** Other groups whose keys the function may write. */
  readonly otherGroups?: readonly string[];
}

export async function invariantViolations(h: Harness, g: GroupUnderTest, o: InvariantOptions = {}): Promise<string[]> {
  const v: string[] = [];
  const keys = h.groupKeys(g.groupId).filter((k) => k.state !== 'PendingDeletion');

  // 1. Every kept ciphertext decrypts to its plaintext.
  for (const [i, k] of (o.kept ?? []).entries()) {
    try {
      const back = await h.decrypt(k.ciphertext);
      if (back !== k.plaintext) v.push(`1: ciphertext #${i} decrypted to the wrong plaintext`);
    } catch (e) {
      v.push(`1: ciphertext #${i} no longer decrypts (${(e as Error).name}: ${(e as Error).message})`);
    }
  }

  // 2. The alias resolves to an Enabled key with imported material.
  const targetId = h.aliasTarget(g.aliasName);
  const target = targetId ? h.sim.state.key(targetId) : undefined;
  if (!target) v.push(`2: alias ${g.aliasName} resolves to no key`);
  else if (target.state !== 'Enabled' || !target.hasMaterial) v.push(`2: alias ${g.aliasName} resolves to a ${target.state} key (material: ${target.hasMaterial})`);
  else if (target.tags[TAG.group] !== g.groupId) v.push(`2: alias ${g.aliasName} resolves to a key of another group`);

  // 3. At most one pending key per group; none after a completed run.
  const pending = keys.filter((k) => k.tags[TAG.stage] === 'pending' && k.id !== targetId);
  if (pending.length > (o.allowPending ? 1 : 0)) v.push(`3: ${pending.length} pending keys: ${pending.map((k) => k.id).join(', ')}`);

  // Generations are consecutive and registered; exactly one is current; retired ones are fenced.
  const registered = keys.filter((k) => k.tags[TAG.stage] !== 'pending' || k.id === targetId);
  registered.forEach((k, i) => {
    if (k.tags[TAG.generation] !== String(i + 1)) v.push(`generations are not consecutive at ${k.id} (generation ${k.tags[TAG.generation]}, expected ${i + 1})`);
    const alias = h.sim.state.aliases().find((a) => a.AliasName === `${generationAliasPrefix(g.groupId)}generation-${i + 1}`);
    if (!alias || alias.TargetKeyId !== k.id) v.push(`generation ${i + 1} (${k.id}) is not registered by its generation alias`);
    const stage = k.tags[TAG.stage];
    const expected = k.id === targetId ? 'current' : 'retired';
    // A run that died during promotion leaves the alias on a still-pending key and its predecessor not yet retired.
    const promotionInFlight = o.allowPending && target?.tags[TAG.stage] === 'pending'
      && ((k.id === targetId && stage === 'pending') || (k.id !== targetId && stage === 'current' && target?.tags[TAG.previousKey] === k.id));
    if (stage !== expected && !promotionInFlight) v.push(`generation ${i + 1} is ${stage}, expected ${expected}`);
    if (expected === 'retired') {
      const fenced = (JSON.parse(k.policy).Statement as Array<{ Sid?: string }>).some((s) => s.Sid === SID.retiredFence);
      if (!fenced && !o.allowPending) v.push(`4/retire: retired generation ${i + 1} has no decrypt-only fence`);
      if (!k.hasMaterial) v.push(`1: retired generation ${i + 1} lost its material`);
    }
  });

  // 4. Only keys of the group (or of named other groups) were written by the function.
  const allowedGroups = new Set([g.groupId, ...(o.otherGroups ?? [])]);
  const calls = h.sim.calls.list().slice(o.callsFrom ?? 0);
  for (const c of calls) {
    if (!c.ok || c.op === 'CreateKey') continue;
    if (!['ImportKeyMaterial', 'DeleteImportedKeyMaterial', 'TagResource', 'UntagResource', 'PutKeyPolicy', 'EnableKey', 'DisableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'UpdateKeyDescription', 'CreateAlias', 'UpdateAlias'].includes(c.op)) continue;
    const keyId = String(c.request.TargetKeyId ?? c.request.KeyId ?? '');
    const key = h.sim.state.key(keyId.includes('/') ? keyId.slice(keyId.lastIndexOf('/') + 1) : keyId);
    if (!key || !allowedGroups.has(key.tags[TAG.group])) v.push(`4: ${c.op} touched key ${keyId}, which is not a key of the group`);
  }

  // 5. No key material (raw, hex or base64) and no import token in any log line.
  v.push(...secretLeaks(h, h.log.text()).map((leak) => `5: ${leak}`));

  // 6. At most one rotation per due period (unless emergencies were asked for).
  if (!o.emergencies) {
    for (let i = 1; i < registered.length; i++) {
      const prev = registered[i - 1].tags[TAG.activatedAt];
      const next = registered[i].tags[TAG.activatedAt];
      if (!prev || !next) continue;
      const earliest = addCalendarMonths(new Date(prev), g.intervalMonths);
      if (new Date(next).getTime() < earliest.getTime()) v.push(`6: generation ${i + 1} was activated at ${next}, before generation ${i} was due (${earliest.toISOString()})`);
    }
  }
  return v;
}

/** Encodings under which a secret could leak into text. */
function encodings(secret: Buffer): string[] {
  return [secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64'), secret.toString('base64url'), secret.toString('latin1')];
}

/** Every material or import token the simulator saw that appears in `text`. */
export function secretLeaks(h: Harness, text: string): string[] {
  const leaks: string[] = [];
  h.sim.state.importedMaterials().forEach((m, i) => {
    if (encodings(m).some((e) => text.includes(e))) leaks.push(`key material #${i} appears in the text`);
  });
  h.sim.state.issuedImportTokens().forEach((t, i) => {
    if (encodings(t).some((e) => text.includes(e))) leaks.push(`import token #${i} appears in the text`);
  });
  return leaks;
}
