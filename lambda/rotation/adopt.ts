/**
 * Adoption of the key an existing alias points at (AdoptExisting.alias()):
 * the checks that refuse it (before any write), the generation-0 record, and
 * what a failed Create gives back. The key stays its owner's: its policy and
 * description are never replaced, it is never disabled or deleted; it gets the
 * group's labels, and (only with `fence`) the decrypt-only fence statement
 * added to its own policy when the alias has moved away from it.
 */
import { Deps } from './context';
import { InvalidRequestError, isKmsError } from './errors';
import { adoptedPolicyDigest } from './key-state';
import { AdoptionCandidate } from './kms-gateway';
import { GenerationRecord, GroupRecord } from './ledger-model';
import { AdoptSettings, GroupSettings } from './settings';
import { TAG, TagMap } from './tags';

/** The origins a key may have to be adopted: key material in KMS (AWS_KMS) or imported (EXTERNAL). */
export const ADOPTABLE_ORIGINS = ['AWS_KMS', 'EXTERNAL'] as const;

/**
 * Why the key cannot be adopted, as sentences naming the alias and the key. Pure.
 * `accountId`: the stack's account (the settings' policy context).
 */
export function adoptionProblems(key: AdoptionCandidate, aliasName: string, accountId: string): string[] {
  const problems: string[] = [];
  const what = `alias ${aliasName} points at ${key.arn}, which`;
  if (key.accountId !== accountId) problems.push(`${what} is in account ${key.accountId}, not the stack's account ${accountId}`);
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    problems.push(`${what} is not a symmetric encryption key (KeySpec ${key.keySpec || 'unknown'}); only SYMMETRIC_DEFAULT keys can be adopted (asymmetric and HMAC keys cannot)`);
  }
  if (key.keyUsage !== 'ENCRYPT_DECRYPT') problems.push(`${what} has KeyUsage ${key.keyUsage || 'unknown'}; only ENCRYPT_DECRYPT keys can be adopted`);
  if (key.keyManager !== 'CUSTOMER') problems.push(`${what} is managed by ${key.keyManager || 'an unknown manager'}; only customer managed keys can be adopted`);
  if (!(ADOPTABLE_ORIGINS as readonly string[]).includes(key.origin)) {
    problems.push(`${what} has origin ${key.origin || 'unknown'}; only AWS_KMS and EXTERNAL keys can be adopted (not keys of a custom key store)`);
  }
  if (key.multiRegion) {
    problems.push(`${what} is a multi-Region key; its replicas in other Regions are outside this Region's ledger and fence, so it cannot be adopted`);
  }
  if (key.state !== 'Enabled') problems.push(`${what} is ${key.state}; only an Enabled key can be adopted (the alias must keep working until generation 1 is promoted)`);
  return problems;
}

/** What a Create found behind the alias, checked: the key and its tags before the adoption. */
export interface Adoptable {
  readonly key: AdoptionCandidate;
  readonly tags: TagMap;
}

/**
 * Reads the alias's key and refuses it (InvalidRequestError, before any write)
 * when it cannot be adopted: no alias, a key of the wrong kind or account, or
 * one another key group manages (its group tag, or the ledger's alias index).
 */
export async function inspectAdoption(d: Deps, settings: GroupSettings): Promise<Adoptable> {
  const aliasName = settings.aliasName;
  const prefix = `adopt: cannot adopt the key behind ${aliasName}:`;
  let key: AdoptionCandidate | undefined;
  let tags: TagMap;
  try {
    key = await d.kms.describeForAdoption(aliasName);
    if (!key) {
      throw new InvalidRequestError(`${prefix} the alias does not exist; adopt needs an existing alias that points at the key to adopt `
        + '(remove adopt to create the alias with a new generation 1)');
    }
    const problems = adoptionProblems(key, aliasName, settings.policyContext.accountId);
    if (problems.length > 0) throw new InvalidRequestError(`${prefix} ${problems.join('; ')}`);
    tags = await d.kms.listTags(key.keyId);
  } catch (e) {
    if (isKmsError(e, 'AccessDeniedException')) {
      throw new InvalidRequestError(`${prefix} the lifecycle function may not read it (${(e as Error).message}); `
        + 'the key policy must let the account\'s IAM policies decide (a statement allowing the account root kms:*, as the default key policy has)');
    }
    throw e;
  }
  const owner = tags[TAG.group];
  if (owner !== undefined && owner !== settings.groupId) {
    throw new InvalidRequestError(`${prefix} key ${key.arn} is already managed by key group ${owner} (tag ${TAG.group}); a key belongs to one group`);
  }
  const indexed = await d.ledger.groupOfAlias(aliasName);
  if (indexed !== undefined && indexed !== settings.groupId) {
    throw new InvalidRequestError(`${prefix} the ledger says alias ${aliasName} belongs to key group ${indexed}; a key belongs to one group`);
  }
  if (key.validTo) {
    d.log.warn('adopt: the adopted key\'s imported material expires; this library cannot import it again, and data under it is unreadable once it expires', {
      group: settings.groupId, keyArn: key.arn, materialValidTo: key.validTo.toISOString(),
    });
  }
  return { key, tags };
}

/** The ledger's record of the adopted key: the current generation `n` until the first rotation promotes its successor. */
export function adoptedGeneration(n: number, found: Adoptable, adopt: AdoptSettings, now: Date): GenerationRecord {
  const { key } = found;
  const external = key.origin === 'EXTERNAL';
  return {
    n,
    keyId: key.keyId,
    keyArn: key.arn,
    stage: 'current',
    kmsCreationDate: key.creationDate.toISOString(),
    authorizableSince: now.toISOString(),
    claimedAt: now.toISOString(),
    // Its own policy: never replaced (see key-state.ts).
    appliedPolicyDigest: adoptedPolicyDigest(false),
    // Material fields only for imported material (an AWS_KMS key's material is KMS's own).
    ...(external && key.currentKeyMaterialId ? { keyMaterialId: key.currentKeyMaterialId } : {}),
    ...(external && key.validTo ? { materialValidTo: key.validTo.toISOString() } : {}),
    adopted: { at: now.toISOString(), origin: key.origin as 'AWS_KMS' | 'EXTERNAL', fence: adopt.fence, tagsBefore: found.tags },
  };
}

/** The adopted generation of a record, if any (the one with `adopted` set). */
export function adoptedOf(rec: GroupRecord): GenerationRecord | undefined {
  return rec.generations.find((g) => g.adopted !== undefined && g.stage !== 'discarded');
}

/**
 * A failed Create gives the adopted key back as it found it: the labels it
 * wrote are removed and the tags it overwrote get their values back. Its
 * policy and description were never changed, and the alias never moved.
 */
export async function releaseAdopted(d: Deps, g: GenerationRecord, written: TagMap): Promise<void> {
  const before = g.adopted!.tagsBefore;
  const added = Object.keys(written).filter((k) => !(k in before));
  const restore = Object.fromEntries(Object.entries(before).filter(([k, v]) => k in written && written[k] !== v));
  await d.kms.untag(g.keyId, added);
  await d.kms.tag(g.keyId, restore);
}
