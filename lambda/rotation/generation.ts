/**
 * One generation of a key group: read it, create it, give it material, test it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { generationAlias } from './aliases';
import { Deps, step } from './context';
import { toTimestamp } from './dates';
import { InconsistentGroupError, isKmsError } from './errors';
import { KeyInfo } from './kms-gateway';
import { withFreshMaterial, wrapMaterial } from './material';
import { GenerationSettings, settingsTags } from './settings';
import { claimsGroup, generationOf, MANAGED_BY, Stage, stageOf, TAG, TagMap } from './tags';

export interface Generation {
  readonly key: KeyInfo;
  readonly tags: TagMap;
  readonly number: number;
  readonly stage: Stage;
}

/** Reads a key and checks that it is a generation of `groupId`; undefined when the key does not exist. */
export async function readGeneration(d: Deps, keyIdOrAlias: string, groupId: string | undefined): Promise<Generation | undefined> {
  const key = await d.kms.describeKey(keyIdOrAlias);
  if (!key) return undefined;
  return asGeneration(keyIdOrAlias, key, await d.kms.listTags(key.keyId), groupId);
}

/** Checks that a key with these tags is a generation of `groupId` (of any group when undefined). */
export function asGeneration(keyIdOrAlias: string, key: KeyInfo, tags: TagMap, groupId: string | undefined): Generation {
  const group = groupId ?? tags[TAG.group];
  if (group === undefined || !claimsGroup(tags, group)) {
    throw new InconsistentGroupError(`${keyIdOrAlias} resolves to key ${key.arn}, which is not a generation of key group ${JSON.stringify(groupId ?? '(any)')} made by ${MANAGED_BY}; refusing to change it`);
  }
  const number = generationOf(tags);
  const stage = stageOf(tags);
  if (number === undefined || stage === undefined) {
    throw new InconsistentGroupError(`key ${key.arn} of group ${group} has no valid ${TAG.generation}/${TAG.stage} tags`);
  }
  return { key, tags, number, stage };
}

/**
 * Proves a generation's authorship before the function changes it: the key must
 * be registered by its generation alias, which only the rotation role can write.
 * Tags alone are not proof, since anyone allowed to tag their own key can copy them.
 */
export async function assertRegistered(d: Deps, groupId: string, g: Generation): Promise<void> {
  const name = generationAlias(groupId, g.number);
  const registered = await d.kms.describeKey(name);
  if (registered?.keyId !== g.key.keyId) {
    throw new InconsistentGroupError(`key ${g.key.arn} carries the tags of generation ${g.number} of group ${groupId} but ${name} does not point at it; `
      + 'this function only changes keys it registered, so it refuses to touch it');
  }
}

/** Creates generation `n` in PendingImport, tagged `pending`. */
export async function createGenerationKey(d: Deps, s: GenerationSettings, n: number, previous: KeyInfo | undefined): Promise<KeyInfo> {
  const tags: TagMap = {
    ...s.userTags,
    ...settingsTags(s),
    [TAG.generation]: String(n),
    [TAG.stage]: 'pending',
    [TAG.managedBy]: MANAGED_BY,
    [TAG.createdAt]: toTimestamp(d.now()),
    ...(previous ? { [TAG.previousKey]: previous.keyId } : {}),
  };
  return step(d, 'create', { group: s.groupId, generation: n }, async () => {
    const key = await d.kms.createKey({ policy: s.policy, description: s.description, tags });
    d.log.info('created key', { group: s.groupId, generation: n, keyArn: key.arn });
    return key;
  });
}

/**
 * GetParametersForImport, wrap fresh material, ImportKeyMaterial. A token that
 * expired or was refused between the two calls is fetched again once.
 */
export async function importMaterial(d: Deps, s: GenerationSettings, n: number, key: KeyInfo): Promise<void> {
  await step(d, 'import', { group: s.groupId, generation: n, keyArn: key.arn, wrapping: `${s.wrappingAlgorithm}/${s.wrappingKeySpec}` }, async () => {
    for (let attempt = 1; ; attempt++) {
      const params = await d.kms.importParameters(key.keyId, s.wrappingAlgorithm, s.wrappingKeySpec);
      const validTo = s.materialValidityDays > 0 ? addCalendarDays(d.now(), s.materialValidityDays) : undefined;
      try {
        await withFreshMaterial(async (material) => {
          const wrapped = wrapMaterial(params.publicKey, s.wrappingAlgorithm, material);
          await d.kms.importMaterial(key.keyId, params.importToken, wrapped, validTo);
        });
        return;
      } catch (e) {
        if (attempt < 2 && isKmsError(e, 'ExpiredImportTokenException', 'InvalidImportTokenException')) continue;
        throw e;
      } finally {
        Buffer.from(params.importToken.buffer, params.importToken.byteOffset, params.importToken.byteLength).fill(0);
      }
    }
  });
}

function addCalendarDays(from: Date, days: number): Date {
  // A few minutes short of the limit, so KMS's "at most 365 days from the request" holds even with clock skew.
  return new Date(from.getTime() + days * 86_400_000 - 5 * 60_000);
}

/** Encrypt then Decrypt a random probe under a context naming the group and generation. */
export async function probe(d: Deps, groupId: string, n: number, key: KeyInfo): Promise<void> {
  await step(d, 'test', { group: groupId, generation: n, keyArn: key.arn }, async () => {
    const context = { 'rotation:group': groupId, 'rotation:generation': String(n), 'rotation:purpose': 'probe' };
    const plaintext = randomBytes(32);
    const ciphertext = await d.kms.encrypt(key.keyId, plaintext, context);
    const back = Buffer.from(await d.kms.decrypt(key.keyId, ciphertext, context));
    const same = back.length === plaintext.length && timingSafeEqual(back, plaintext);
    back.fill(0);
    plaintext.fill(0);
    if (!same) throw new InconsistentGroupError(`generation ${n} (${key.arn}) failed its encrypt/decrypt probe; the alias was not moved`);
  });
}

/** Material and probe for a generation that may be half made: each part is skipped when already done. */
export async function completeGeneration(d: Deps, s: GenerationSettings, n: number, key: KeyInfo): Promise<void> {
  if (key.state === 'PendingImport') {
    await importMaterial(d, s, n, key);
  } else if (key.state !== 'Enabled') {
    throw new InconsistentGroupError(`generation ${n} (${key.arn}) is ${key.state}; expected PendingImport or Enabled`);
  }
  await probe(d, s.groupId, n, key);
}
