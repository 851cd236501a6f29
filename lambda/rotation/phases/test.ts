/**
 * Phase "test": encrypt and decrypt a probe with the new key under a context
 * naming the group and generation. Then promotion waits until the key has been
 * authorizable for longer than the propagation window.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Deps, step } from '../context';
import { InconsistentGroupError } from '../errors';
import { currentGeneration, generation, withGeneration } from '../ledger-model';
import { afterWindow } from '../plan';
import { eventually } from '../retry';
import { Session } from '../session';

const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

/** The encryption context of every probe; the functions' IAM policies allow Encrypt/Decrypt only with it. */
export function probeContext(groupId: string, n: number): Record<string, string> {
  return { 'rotation:group': groupId, 'rotation:generation': String(n), 'rotation:purpose': 'probe' };
}

export async function testPhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const g = generation(s.record, r.n)!;
  await step(d, 'test', { group: s.record.groupId, generation: r.n, keyArn: g.keyArn }, async () => {
    const context = probeContext(s.record.groupId, r.n);
    const plaintext = randomBytes(32);
    let keyMaterialId: string | undefined;
    try {
      const ciphertext = await eventually(d, FRESH, () => d.kms.encrypt(g.keyId, plaintext, context));
      const answer = await eventually(d, FRESH, () => d.kms.decrypt(g.keyId, ciphertext, context));
      const back = Buffer.from(answer.plaintext);
      const same = back.length === plaintext.length && timingSafeEqual(back, plaintext);
      back.fill(0);
      if (!same) throw new InconsistentGroupError(`generation ${r.n} (${g.keyArn}) failed its encrypt/decrypt probe; the alias was not moved`);
      keyMaterialId = answer.keyMaterialId;
    } finally {
      plaintext.fill(0);
    }
    if (g.keyMaterialId && keyMaterialId && keyMaterialId !== g.keyMaterialId) {
      throw new InconsistentGroupError(
        `generation ${r.n} (${g.keyArn}) answered its probe with key material ${keyMaterialId}, not the ${g.keyMaterialId} it imported; the alias was not moved`,
      );
    }
    const now = d.now().toISOString();
    await s.save((rec) => {
      const latest = generation(rec, r.n)!;
      return {
        ...withGeneration(rec, { ...latest, testedAt: now, keyMaterialId: keyMaterialId ?? latest.keyMaterialId }),
        // A first generation with no key before it (no adopted one, no replaced group's) has no writer to protect: it is promoted at once.
        rotation: {
          ...rec.rotation!, phase: 'promote', notBefore: currentGeneration(rec) === undefined && !rec.takeover ? undefined : afterWindow(rec, latest.authorizableSince),
        },
      };
    });
  });
}
