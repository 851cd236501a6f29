/**
 * A deploy seals an unsealed entry as it finds it (trust on first use, see
 * docs/security-model.md). Before it does, and before any KMS write, every
 * live generation the entry lists must be bound to its key by what the
 * functions wrote in KMS when they made it: the generation alias (once
 * registered) and the group tag (written only by CreateKey, or by the
 * adoption for an adopted key). An entry pointing a generation at somebody
 * else's key is refused.
 */
import { generationAlias } from './aliases';
import { Deps } from './context';
import { LedgerTamperedError } from './errors';
import { GroupRecord, liveGenerations } from './ledger-model';
import { aliasTarget } from './phases/alias-target';
import { TAG } from './tags';

export async function bindUnsealedEntry(d: Deps, rec: GroupRecord): Promise<void> {
  if (!d.ledger.acceptedUnsealed(rec.groupId)) return;
  for (const g of liveGenerations(rec)) {
    const refuse = (problem: string) => {
      throw new LedgerTamperedError(rec.groupId, 'ledger-unsealed', `is unsealed and lists generation ${g.n} as key ${g.keyArn}, ${problem}`);
    };
    if ((await d.kms.listTags(g.keyId).catch(() => ({} as Record<string, string>)))[TAG.group] !== rec.groupId) refuse('which does not carry the group\'s tag');
    if (g.adopted || !g.registeredAt) continue;
    const target = await aliasTarget(d, generationAlias(rec.groupId, g.n), [g.keyId]);
    if (target?.keyId !== g.keyId) refuse('which its generation alias does not point at');
  }
}
