/**
 * In-memory state of the simulator: keys, key materials, aliases and import tokens, key
 * identifier resolution, derived key states, and the time-driven transitions (expiry of
 * imported key material, deletion of keys whose waiting period ended).
 */
import { createHash, randomUUID } from 'crypto';
import type { SimClock } from './clock';
import { disabled, invalidArn, invalidState, notFound, validation } from './errors';
import type {
  AliasRecord,
  AliasSnapshot,
  ImportTokenRecord,
  KeyRecord,
  KeySnapshot,
  KeyState,
  MaterialRecord,
  Origin,
} from './model';

const ARN_RE = /^arn:([^:]+):kms:([^:]*):([^:]*):(key|alias)\/(.+)$/;

export interface ResolveOptions {
  /** Whether alias names / alias ARNs are accepted (DescribeKey, cryptographic operations). */
  readonly allowAlias: boolean;
}

/** Identifier of a key material: sha256(keyId || material) as 64 hex chars. */
export function computeMaterialId(keyId: string, material: Buffer): string {
  return createHash('sha256').update(keyId, 'utf8').update(material).digest('hex');
}

export class SimStore {
  public readonly keys = new Map<string, KeyRecord>();
  public readonly aliases = new Map<string, AliasRecord>();
  public readonly tokens = new Map<string, ImportTokenRecord>();
  /** Every key material ever imported (a copy), so secrecy tests can search logs for it. */
  public readonly importedMaterials: Buffer[] = [];
  private seq = 0;
  private materialSeq = 0;

  constructor(
    public readonly accountId: string,
    public readonly region: string,
    public readonly clock: SimClock,
  ) {
    clock.onTick((now) => this.sweep(now));
  }

  /** Current simulated time (applies due transitions first). */
  public now(): Date {
    return this.clock.now();
  }

  public keyArn(id: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${id}`;
  }

  public aliasArn(name: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${name}`;
  }

  public createKey(init: {
    origin: Origin;
    description: string;
    policy: string;
    tags: Map<string, string>;
  }): KeyRecord {
    const id = randomUUID();
    const key: KeyRecord = {
      id,
      arn: this.keyArn(id),
      seq: ++this.seq,
      origin: init.origin,
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      creationDate: this.now(),
      description: init.description,
      policy: init.policy,
      tags: init.tags,
      disabled: false,
      materials: [],
      onDemandRotations: 0,
    };
    this.keys.set(id, key);
    return key;
  }

  /** Next material sequence number. */
  public nextMaterialSeq(): number {
    return ++this.materialSeq;
  }

  /**
   * Resolves a KeyId parameter (key id, key ARN, and with `allowAlias` an alias name or alias
   * ARN) to an existing key. Raises NotFoundException / InvalidArnException like KMS.
   */
  public resolveKey(input: string, opts: ResolveOptions): KeyRecord {
    if (input.length === 0) {
      throw validation('KeyId must not be empty');
    }
    let keyId: string | undefined;
    let aliasName: string | undefined;
    if (input.startsWith('arn:')) {
      const m = ARN_RE.exec(input);
      if (!m) {
        throw invalidArn(`Invalid arn ${input}`);
      }
      const [, partition, region, account, type, rest] = m;
      if (partition !== 'aws' || region !== this.region || account !== this.accountId) {
        throw notFound(`${type === 'key' ? 'Key' : 'Alias'} '${input}' does not exist`);
      }
      if (type === 'key') {
        keyId = rest;
      } else {
        aliasName = `alias/${rest}`;
      }
    } else if (input.startsWith('alias/')) {
      aliasName = input;
    } else {
      keyId = input;
    }
    if (aliasName !== undefined) {
      if (!opts.allowAlias) {
        throw notFound(`Invalid keyId ${input}: this operation accepts only a key ID or key ARN`);
      }
      const alias = this.aliases.get(aliasName);
      if (!alias) {
        throw notFound(`Alias ${this.aliasArn(aliasName)} is not found.`);
      }
      keyId = alias.targetKeyId;
    }
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (!key) {
      throw notFound(`Key '${this.keyArn(keyId ?? input)}' does not exist`);
    }
    return key;
  }

  /** Key material that is used for encryption, if any. */
  public currentMaterial(key: KeyRecord): MaterialRecord | undefined {
    return key.materials.find((m) => m.state === 'CURRENT');
  }

  /** Materials permanently associated with the key (CURRENT and NON_CURRENT). */
  public associatedMaterials(key: KeyRecord): MaterialRecord[] {
    return key.materials.filter((m) => m.state !== 'PENDING_ROTATION');
  }

  /** The key state, derived from the deletion schedule, the materials and the disabled flag. */
  public keyState(key: KeyRecord): KeyState {
    if (key.deletionDate !== undefined) {
      return 'PendingDeletion';
    }
    const associated = this.associatedMaterials(key);
    if (associated.length === 0 || associated.some((m) => m.bytes === undefined)) {
      return 'PendingImport';
    }
    return key.disabled ? 'Disabled' : 'Enabled';
  }

  /** Refuses keys that are pending deletion (management operations). */
  public assertNotPendingDeletion(key: KeyRecord): void {
    if (this.keyState(key) === 'PendingDeletion') {
      throw invalidState(`${key.arn} is pending deletion.`);
    }
  }

  /** Refuses keys that cannot be used in cryptographic operations. */
  public assertUsable(key: KeyRecord): void {
    switch (this.keyState(key)) {
      case 'PendingDeletion':
        throw invalidState(`${key.arn} is pending deletion.`);
      case 'PendingImport':
        throw invalidState(`${key.arn} is pending import.`);
      case 'Disabled':
        throw disabled(`${key.arn} is disabled.`);
      case 'Enabled':
        return;
    }
  }

  /** Earliest ValidTo among imported, permanently associated, expiring materials. */
  public keyValidTo(key: KeyRecord): Date | undefined {
    let earliest: Date | undefined;
    for (const m of this.associatedMaterials(key)) {
      if (m.bytes !== undefined && m.expirationModel === 'KEY_MATERIAL_EXPIRES' && m.validTo !== undefined) {
        if (earliest === undefined || m.validTo.getTime() < earliest.getTime()) {
          earliest = m.validTo;
        }
      }
    }
    return earliest;
  }

  /** ExpirationModel reported in KeyMetadata (EXTERNAL keys that have had material). */
  public keyExpirationModel(key: KeyRecord): MaterialRecord['expirationModel'] {
    if (key.origin !== 'EXTERNAL') {
      return undefined;
    }
    if (this.keyValidTo(key) !== undefined) {
      return 'KEY_MATERIAL_EXPIRES';
    }
    return this.currentMaterial(key)?.expirationModel;
  }

  /** Removes a key together with its aliases and import tokens. */
  public deleteKey(key: KeyRecord): void {
    this.keys.delete(key.id);
    for (const [name, alias] of this.aliases) {
      if (alias.targetKeyId === key.id) {
        this.aliases.delete(name);
      }
    }
    for (const [token, rec] of this.tokens) {
      if (rec.keyId === key.id) {
        this.tokens.delete(token);
      }
    }
  }

  /** Applies time-driven transitions due at `now`. */
  public sweep(now: Date): void {
    const t = now.getTime();
    for (const key of [...this.keys.values()]) {
      if (key.deletionDate !== undefined && key.deletionDate.getTime() <= t) {
        this.deleteKey(key);
        continue;
      }
      for (const m of [...key.materials]) {
        if (m.bytes !== undefined && m.expirationModel === 'KEY_MATERIAL_EXPIRES' && m.validTo !== undefined && m.validTo.getTime() <= t) {
          if (m.state === 'PENDING_ROTATION') {
            key.materials = key.materials.filter((x) => x !== m);
          } else {
            m.bytes = undefined;
            m.validTo = undefined;
          }
        }
      }
    }
  }

  public keysInOrder(): KeyRecord[] {
    this.now();
    return [...this.keys.values()].sort((a, b) => a.seq - b.seq);
  }

  public snapshot(key: KeyRecord): KeySnapshot {
    const current = this.currentMaterial(key);
    const validTo = this.keyValidTo(key);
    const expirationModel = this.keyExpirationModel(key);
    return {
      id: key.id,
      arn: key.arn,
      state: this.keyState(key),
      origin: key.origin,
      keySpec: key.keySpec,
      keyUsage: key.keyUsage,
      tags: Object.fromEntries(key.tags),
      policy: key.policy,
      description: key.description,
      hasMaterial: current?.bytes !== undefined,
      ...(current ? { currentKeyMaterialId: current.id } : {}),
      ...(validTo ? { validTo: new Date(validTo) } : {}),
      ...(expirationModel ? { expirationModel } : {}),
      creationDate: new Date(key.creationDate),
      ...(key.deletionDate ? { deletionDate: new Date(key.deletionDate) } : {}),
      onDemandRotations: key.onDemandRotations,
      materials: key.materials.map((m) => ({
        keyMaterialId: m.id,
        state: m.state,
        imported: m.bytes !== undefined,
        ...(m.expirationModel ? { expirationModel: m.expirationModel } : {}),
        ...(m.validTo ? { validTo: new Date(m.validTo) } : {}),
        ...(m.rotationDate ? { rotationDate: new Date(m.rotationDate) } : {}),
        ...(m.description !== undefined ? { description: m.description } : {}),
      })),
    };
  }

  public aliasSnapshots(): AliasSnapshot[] {
    this.now();
    return [...this.aliases.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((a) => ({
        AliasName: a.name,
        TargetKeyId: a.targetKeyId,
        CreationDate: new Date(a.creationDate),
        LastUpdatedDate: new Date(a.lastUpdatedDate),
      }));
  }
}
