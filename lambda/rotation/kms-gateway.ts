/**
 * The KMS gateway. A thin, typed layer over the KMS client (and one call of
 * the Resource Groups Tagging API) that turns missing fields into clear errors
 * and "already gone" answers into values, and names the AWS operation on every
 * error it passes on.
 */
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DeleteAliasCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand,
  GetKeyLastUsageCommand, GetKeyPolicyCommand, GetParametersForImportCommand, ImportKeyMaterialCommand, KMSClient, KeyMetadata,
  ListAliasesCommand, ListResourceTagsCommand, PutKeyPolicyCommand, ScheduleKeyDeletionCommand, TagResourceCommand,
  UntagResourceCommand, UpdateAliasCommand, UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { isKmsError, UnexpectedResponseError } from './errors';
import { WrappingAlgorithm, WrappingKeySpec } from './material';
import { parsePolicy, PolicyDocument, serializePolicy } from './policy';
import { fromKmsTags, TagMap, toKmsTags } from './tags';

export const KEY_STATES = ['Creating', 'Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable', 'Updating'] as const;
export type KeyState = typeof KEY_STATES[number];

export interface KeyInfo {
  readonly keyId: string;
  readonly arn: string;
  readonly state: KeyState;
  readonly origin: string;
  readonly creationDate: Date;
  readonly description: string;
  readonly currentKeyMaterialId?: string;
  /** When the key's imported material expires (only when it does). */
  readonly materialValidTo?: Date;
}

/** What adoption needs to know of the key an alias points at (DescribeKey's metadata). */
export interface AdoptionCandidate extends KeyInfo {
  readonly accountId: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly keyManager: string;
  readonly multiRegion: boolean;
  /** When imported material expires (EXTERNAL keys whose material expires). */
  readonly validTo?: Date;
}

export interface KeyLastUsage {
  readonly operation?: string;
  readonly at?: Date;
  readonly cloudTrailEventId?: string;
  readonly trackingSince?: Date;
}

export interface ImportParameters {
  readonly publicKey: Uint8Array;
  readonly importToken: Uint8Array;
  /** When the import token and public key expire (ParametersValidTo). */
  readonly validTo?: Date;
}

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null || (typeof value === 'string' && value === '')) {
    throw new UnexpectedResponseError(`KMS returned no ${what}`);
  }
  return value;
}

function toKeyInfo(m: KeyMetadata | undefined, operation: string): KeyInfo {
  const meta = required(m, `KeyMetadata in ${operation}`);
  const state = required(meta.KeyState, `KeyMetadata.KeyState in ${operation}`) as string;
  if (!(KEY_STATES as readonly string[]).includes(state)) {
    throw new UnexpectedResponseError(`KMS returned unknown key state ${JSON.stringify(state)} in ${operation}`);
  }
  return {
    keyId: required(meta.KeyId, `KeyMetadata.KeyId in ${operation}`),
    arn: required(meta.Arn, `KeyMetadata.Arn in ${operation}`),
    state: state as KeyState,
    origin: meta.Origin ?? '',
    creationDate: required(meta.CreationDate, `KeyMetadata.CreationDate in ${operation}`),
    description: meta.Description ?? '',
    ...(meta.CurrentKeyMaterialId ? { currentKeyMaterialId: meta.CurrentKeyMaterialId } : {}),
    ...(meta.ValidTo ? { materialValidTo: meta.ValidTo } : {}),
  };
}

/** Names the AWS operation on its errors (for the one ERROR log line of a failure). */
function op<T>(operation: string, answer: Promise<T>): Promise<T> {
  return answer.catch((e: unknown) => {
    if (typeof e === 'object' && e !== null && !('operation' in e)) Object.assign(e, { operation });
    throw e;
  });
}

export class KmsGateway {
  /**
   * @param once the client for the calls the phases retry themselves (phases/patience.ts):
   *   `CreateKey`, which must not be repeated by the SDK after a lost answer (KMS has no
   *   idempotency token, so a retry would make a second key), and `GetParametersForImport`,
   *   the scarcest quota (1/s), paced steadily instead of with the SDK's growing backoff.
   */
  constructor(
    private readonly kms: KMSClient,
    private readonly tagging: ResourceGroupsTaggingAPIClient,
    private readonly once: KMSClient = kms,
  ) {}


  /** Key id, key ARN, alias name or alias ARN; undefined when it does not exist. */
  async describeKey(keyId: string): Promise<KeyInfo | undefined> {
    try {
      const r = await op('kms:DescribeKey', this.kms.send(new DescribeKeyCommand({ KeyId: keyId })));
      return toKeyInfo(r.KeyMetadata, 'DescribeKey');
    } catch (e) {
      if (isKmsError(e, 'NotFoundException')) return undefined;
      throw e;
    }
  }

  /** The key an alias points at, with the metadata adoption checks; undefined when the alias does not exist. */
  async describeForAdoption(aliasName: string): Promise<AdoptionCandidate | undefined> {
    let r;
    try {
      r = await op('kms:DescribeKey', this.kms.send(new DescribeKeyCommand({ KeyId: aliasName })));
    } catch (e) {
      if (isKmsError(e, 'NotFoundException')) return undefined;
      throw e;
    }
    const info = toKeyInfo(r.KeyMetadata, 'DescribeKey');
    const m = r.KeyMetadata!;
    return {
      ...info,
      // The key's own account, from its ARN (an alias can only name a key of its own account and Region).
      accountId: info.arn.split(':')[4] ?? '',
      keySpec: m.KeySpec ?? m.CustomerMasterKeySpec ?? '',
      keyUsage: m.KeyUsage ?? '',
      keyManager: m.KeyManager ?? '',
      multiRegion: m.MultiRegion === true,
      ...(m.ValidTo ? { validTo: m.ValidTo } : {}),
    };
  }

  async listTags(keyId: string): Promise<TagMap> {
    const all: TagMap = {};
    let marker: string | undefined;
    do {
      const r = await op('kms:ListResourceTags', this.kms.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 50, Marker: marker })));
      Object.assign(all, fromKmsTags(r.Tags ?? []));
      marker = r.Truncated ? required(r.NextMarker, 'NextMarker in ListResourceTags') : undefined;
    } while (marker);
    return all;
  }

  /** The key's last successful cryptographic operation, as KMS tracks it (GetKeyLastUsage). */
  async lastUsage(keyId: string): Promise<KeyLastUsage> {
    const r = await op('kms:GetKeyLastUsage', this.kms.send(new GetKeyLastUsageCommand({ KeyId: keyId })));
    return {
      operation: r.KeyLastUsage?.Operation,
      at: r.KeyLastUsage?.Timestamp,
      cloudTrailEventId: r.KeyLastUsage?.CloudTrailEventId,
      trackingSince: r.TrackingStartDate,
    };
  }

  async getPolicy(keyId: string): Promise<PolicyDocument> {
    const r = await op('kms:GetKeyPolicy', this.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' })));
    return parsePolicy(r.Policy, `GetKeyPolicy(${keyId})`);
  }

  async putPolicy(keyId: string, policy: PolicyDocument): Promise<void> {
    await op('kms:PutKeyPolicy', this.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: serializePolicy(policy) })));
  }

  async createKey(input: { policy: PolicyDocument; description: string; tags: TagMap }): Promise<KeyInfo> {
    const r = await op('kms:CreateKey', this.once.send(new CreateKeyCommand({
      Origin: 'EXTERNAL',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      MultiRegion: false,
      Description: input.description,
      Policy: serializePolicy(input.policy),
      Tags: toKmsTags(input.tags),
    })));
    return toKeyInfo(r.KeyMetadata, 'CreateKey');
  }

  /** 'exists' when another writer created the alias first: the alias is the claim. */
  async createAlias(aliasName: string, keyId: string): Promise<'created' | 'exists'> {
    try {
      await op('kms:CreateAlias', this.kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId })));
      return 'created';
    } catch (e) {
      if (isKmsError(e, 'AlreadyExistsException')) return 'exists';
      throw e;
    }
  }

  async updateAlias(aliasName: string, keyId: string): Promise<void> {
    await op('kms:UpdateAlias', this.kms.send(new UpdateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId })));
  }

  /** True when deleted, false when it was already gone. */
  async deleteAlias(aliasName: string): Promise<boolean> {
    try {
      await op('kms:DeleteAlias', this.kms.send(new DeleteAliasCommand({ AliasName: aliasName })));
      return true;
    } catch (e) {
      if (isKmsError(e, 'NotFoundException')) return false;
      throw e;
    }
  }

  async importParameters(keyId: string, algorithm: WrappingAlgorithm, spec: WrappingKeySpec): Promise<ImportParameters> {
    const r = await op('kms:GetParametersForImport', this.once.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec })));
    return {
      publicKey: required(r.PublicKey, 'PublicKey in GetParametersForImport'),
      importToken: required(r.ImportToken, 'ImportToken in GetParametersForImport'),
      ...(r.ParametersValidTo ? { validTo: r.ParametersValidTo } : {}),
    };
  }

  /**
   * The imported material's id, when KMS reports one. With `existingMaterialId` the
   * import is a re-import (EXISTING_KEY_MATERIAL): KMS refuses material with another id.
   */
  async importMaterial(
    keyId: string, importToken: Uint8Array, wrapped: Uint8Array, validTo: Date | undefined, description: string, existingMaterialId?: string,
  ): Promise<string | undefined> {
    const r = await op('kms:ImportKeyMaterial', this.kms.send(new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: importToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ValidTo: validTo,
      KeyMaterialDescription: description,
      ...(existingMaterialId ? { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: existingMaterialId } : {}),
    })));
    return r.KeyMaterialId;
  }

  async encrypt(keyId: string, plaintext: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
    const r = await op('kms:Encrypt', this.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context })));
    return required(r.CiphertextBlob, 'CiphertextBlob in Encrypt');
  }

  /** The plaintext, and the id of the material that decrypted it (when KMS reports one). */
  async decrypt(keyId: string, ciphertext: Uint8Array, context: Record<string, string>): Promise<{ plaintext: Uint8Array; keyMaterialId?: string }> {
    const r = await op('kms:Decrypt', this.kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: ciphertext, EncryptionContext: context })));
    return { plaintext: required(r.Plaintext, 'Plaintext in Decrypt'), keyMaterialId: r.KeyMaterialId };
  }

  async tag(keyId: string, tags: TagMap): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    await op('kms:TagResource', this.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: toKmsTags(tags) })));
  }

  async untag(keyId: string, tagKeys: string[]): Promise<void> {
    if (tagKeys.length === 0) return;
    await op('kms:UntagResource', this.kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: tagKeys })));
  }

  async updateDescription(keyId: string, description: string): Promise<void> {
    await op('kms:UpdateKeyDescription', this.kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: description })));
  }

  /** Idempotent: disabling a disabled key succeeds. */
  async disableKey(keyId: string): Promise<void> {
    await op('kms:DisableKey', this.kms.send(new DisableKeyCommand({ KeyId: keyId })));
  }

  /** Idempotent: enabling an enabled key succeeds. The key policy (and its fence) is unchanged. */
  async enableKey(keyId: string): Promise<void> {
    await op('kms:EnableKey', this.kms.send(new EnableKeyCommand({ KeyId: keyId })));
  }

  /**
   * 'not-found' is ambiguous right after the key was made (KMS may not show it
   * yet): the caller decides from the ledger what it means.
   */
  async scheduleDeletion(keyId: string, pendingWindowDays: number): Promise<'scheduled' | 'already-pending' | 'not-found'> {
    try {
      await op('kms:ScheduleKeyDeletion', this.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowDays })));
      return 'scheduled';
    } catch (e) {
      if (isKmsError(e, 'NotFoundException')) return 'not-found';
      if (isKmsError(e, 'KMSInvalidStateException') && (await this.describeKey(keyId))?.state === 'PendingDeletion') return 'already-pending';
      throw e;
    }
  }

  /** Every alias of the account under a prefix (ledger recovery only: a paged scan of the account's aliases). */
  async aliasesUnder(prefix: string): Promise<Array<{ aliasName: string; targetKeyId: string }>> {
    const out: Array<{ aliasName: string; targetKeyId: string }> = [];
    let marker: string | undefined;
    do {
      const r = await op('kms:ListAliases', this.kms.send(new ListAliasesCommand({ Marker: marker, Limit: 100 })));
      for (const a of r.Aliases ?? []) {
        if (a.AliasName?.startsWith(prefix) && a.TargetKeyId) out.push({ aliasName: a.AliasName, targetKeyId: a.TargetKeyId });
      }
      marker = r.Truncated ? required(r.NextMarker, 'NextMarker in ListAliases') : undefined;
    } while (marker);
    return out;
  }

  /**
   * Keys carrying every given tag, through the tagging index: O(matches), never
   * a scan of the account's keys. Used only to find a key whose creator died
   * before registering it.
   */
  async findKeysByTags(tags: TagMap): Promise<Array<{ keyId: string; arn: string; tags: TagMap }>> {
    const out: Array<{ keyId: string; arn: string; tags: TagMap }> = [];
    let token: string | undefined;
    do {
      const r = await op('tag:GetResources', this.tagging.send(new GetResourcesCommand({
        ResourceTypeFilters: ['kms:key'],
        TagFilters: Object.entries(tags).map(([Key, v]) => ({ Key, Values: [v] })),
        PaginationToken: token,
      })));
      for (const m of r.ResourceTagMappingList ?? []) {
        const arn = required(m.ResourceARN, 'ResourceARN in GetResources');
        const keyId = arn.slice(arn.lastIndexOf('/') + 1);
        out.push({ keyId, arn, tags: Object.fromEntries((m.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])) });
      }
      token = r.PaginationToken || undefined;
    } while (token);
    return out;
  }
}
