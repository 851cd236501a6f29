/**
 * Reads which key an alias points at when the ledger says it exists: a
 * NotFoundException right after our own write is KMS lagging, so it is asked
 * again with backoff before "absent" is concluded.
 */
import { Deps } from '../context';
import { KeyInfo } from '../kms-gateway';
import { eventually } from '../retry';

export async function aliasTarget(d: Deps, aliasName: string, expectedKeyIds: readonly string[]): Promise<KeyInfo | undefined> {
  try {
    return await eventually(d, ['NotFoundException', 'StaleAlias'], async () => {
      const target = await d.kms.describeKey(aliasName);
      if (!target) throw Object.assign(new Error(`alias ${aliasName} not found`), { name: 'NotFoundException' });
      if (!expectedKeyIds.includes(target.keyId)) throw Object.assign(new Error(`alias ${aliasName} points at ${target.arn}`), { name: 'StaleAlias', target });
      return target;
    });
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'NotFoundException') return undefined;
    if (name === 'StaleAlias') return (e as { target: KeyInfo }).target;
    throw e;
  }
}
