/**
 * In-memory state of the simulator: keys, key materials, aliases and import tokens, key
 * identifier resolution, derived key states, and the time-driven transitions (expiry of
 * imported key material, deletion of keys whose waiting period ended).
 *
 * With a change history, every change is recorded in it: keys resolved (or created) during a
 * request are compared with their last recorded version when the request ends
 * (`commitChanges`), alias changes go through `setAlias` / `removeAlias`, and time-driven
 * transitions are recorded at the simulated time they were due.
 */
import { createHash, randomUUID } from 'crypto';
import type { SimClock } from './clock';
import { disabled, invalidArn, invalidState, notFound, validation } from './errors';
import type { ChangeHistory } from './history';
import type {
  AliasRecord,
  AliasSnapshot,
  ImportTokenRecord,
  KeyRecord,
  KeySnapshot,
  KeySpec,
  KeyState,
  KeyUsage,
  MaterialRecord,
  Origin,
} from './model';
import { LiveView, StateView } from './state-view';

const ARN_RE = /^arn:([^:]+):kms:([^:]*):([^:]*):(key|alias)\/(.+)$/;

export interface ResolveOptions {
  /** Whether alias names / alias ARNs are accepted (DescribeKey, cryptographic operations). */
  readonly allowAlias: boolean;
  /** Where keys and aliases are looked up. Default: the latest state. */
  readonly view?: StateView;
  /** Where aliases are looked up, when not in `view`. */
  readonly aliasView?: StateView;
}

/** Called for a key that a request names by key id or key ARN; may refuse it (NotFoundException). */
export type NamedKeyCheck = (key: KeyRecord, now: Date) => void;

/** What a KeyId parameter named. */
export interface ParsedKeyId {
  readonly keyId?: string;
  readonly aliasName?: string;
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
  /** The latest state. */
  public readonly live: StateView = new LiveView(this.keys, this.aliases);
  /** Set by the eventual consistency mode: refuses keys that are too new to be found. */
  public namedKeyCheck: NamedKeyCheck | undefined;
  private seq = 0;
  private materialSeq = 0;
  private readonly touchedKeys = new Set<KeyRecord>();
  private readonly touchedAliases = new Set<string>();
  private readonly clockBackListeners: Array<() => void> = [];
  private lastSeenTime: number;

  constructor(
    public readonly accountId: string,
    public readonly region: string,
    public readonly clock: SimClock,
    public readonly history?: ChangeHistory,
  ) {
    this.lastSeenTime = clock.peek().getTime();
    clock.onTick((now) => {
      if (now.getTime() < this.lastSeenTime) {
        // Time moved backwards (a test reset the clock): the recorded past no longer fits.
        this.history?.settle();
        this.clockBackListeners.forEach((listener) => listener());
      }
      this.lastSeenTime = now.getTime();
      this.sweep(now);
    });
  }

  /** Registers a listener called when the simulated clock is set backwards. */
  public onClockSetBack(listener: () => void): void {
    this.clockBackListeners.push(listener);
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
    /** Default SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT. */
    keySpec?: KeySpec;
    keyUsage?: KeyUsage;
  }): KeyRecord {
    const id = randomUUID();
    const key: KeyRecord = {
      id,
      arn: this.keyArn(id),
      seq: ++this.seq,
      origin: init.origin,
      keySpec: init.keySpec ?? 'SYMMETRIC_DEFAULT',
      keyUsage: init.keyUsage ?? 'ENCRYPT_DECRYPT',
      creationDate: this.now(),
      description: init.description,
      policy: init.policy,
      tags: init.tags,
      disabled: false,
      materials: [],
      onDemandRotations: 0,
    };
    this.keys.set(id, key);
    this.touch(key);
    return key;
  }

  /** Creates or re-targets an alias. */
  public setAlias(name: string, targetKeyId: string): void {
    const now = this.now();
    const alias = this.aliases.get(name);
    if (alias) {
      alias.targetKeyId = targetKeyId;
      alias.lastUpdatedDate = now;
    } else {
      this.aliases.set(name, { name, targetKeyId, creationDate: now, lastUpdatedDate: now });
    }
    this.touchedAliases.add(name);
  }

  /** Deletes an alias; returns whether it existed. */
  public removeAlias(name: string): boolean {
    const existed = this.aliases.delete(name);
    if (existed) {
      this.touchedAliases.add(name);
    }
    return existed;
  }

  /** Records in the change history what the requests since the last commit changed. */
  public commitChanges(): void {
    if (this.history) {
      const at = this.now().getTime();
      for (const key of this.touchedKeys) {
        if (this.keys.get(key.id) === key) {
          this.history.recordKey(key, at);
        }
      }
      for (const name of this.touchedAliases) {
        this.history.recordAlias(name, this.aliases.get(name), at);
      }
    }
    this.touchedKeys.clear();
    this.touchedAliases.clear();
  }

  /** Next material sequence number. */
  public nextMaterialSeq(): number {
    return ++this.materialSeq;
  }

  /** Parses a KeyId parameter: a key id, key ARN, alias name or alias ARN of this account and Region. */
  public parseKeyId(input: string): ParsedKeyId {
    if (input.length === 0) {
      throw validation('KeyId must not be empty');
    }
    if (input.startsWith('arn:')) {
      const m = ARN_RE.exec(input);
      if (!m) {
        throw invalidArn(`Invalid arn ${input}`);
      }
      const [, partition, region, account, type, rest] = m;
      if (partition !== 'aws' || region !== this.region || account !== this.accountId) {
        throw notFound(`${type === 'key' ? 'Key' : 'Alias'} '${input}' does not exist`);
      }
      return type === 'key' ? { keyId: rest } : { aliasName: `alias/${rest}` };
    }
    return input.startsWith('alias/') ? { aliasName: input } : { keyId: input };
  }

  /**
   * Resolves a KeyId parameter (key id, key ARN, and with `allowAlias` an alias name or alias
   * ARN) to an existing key. Raises NotFoundException / InvalidArnException like KMS.
   */
  public resolveKey(input: string, opts: ResolveOptions): KeyRecord {
    const parsed = this.parseKeyId(input);
    const keys = opts.view ?? this.live;
    let keyId = parsed.keyId;
    if (parsed.aliasName !== undefined) {
      if (!opts.allowAlias) {
        throw notFound(`Invalid keyId ${input}: this operation accepts only a key ID or key ARN`);
      }
      const alias = (opts.aliasView ?? keys).alias(parsed.aliasName);
      if (!alias) {
        throw notFound(`Alias ${this.aliasArn(parsed.aliasName)} is not found.`);
      }
      keyId = alias.targetKeyId;
    }
    const key = keyId === undefined ? undefined : keys.key(keyId);
    if (!key) {
      throw notFound(`Key '${this.keyArn(keyId ?? input)}' does not exist`);
    }
    if (parsed.keyId !== undefined) {
      this.namedKeyCheck?.(key, this.now());
    }
    if (keys === this.live) {
      this.touch(key);
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

  /** Removes a key together with its aliases and import tokens, as of simulated time `at`. */
  public deleteKey(key: KeyRecord, at: number): void {
    this.keys.delete(key.id);
    this.history?.recordKeyDeleted(key.id, at);
    for (const [name, alias] of this.aliases) {
      if (alias.targetKeyId === key.id) {
        this.aliases.delete(name);
        this.history?.recordAlias(name, undefined, at);
      }
    }
    for (const [token, rec] of this.tokens) {
      if (rec.keyId === key.id) {
        this.tokens.delete(token);
      }
    }
  }

  /**
   * Applies time-driven transitions due at `now`, per key in the order they were due, and
   * records each at the time it was due.
   */
  public sweep(now: Date): void {
    const t = now.getTime();
    for (const key of [...this.keys.values()]) {
      const events: Array<{ at: number; apply: () => void }> = [];
      if (key.deletionDate !== undefined && key.deletionDate.getTime() <= t) {
        const at = key.deletionDate.getTime();
        events.push({ at, apply: () => this.deleteKey(key, at) });
      }
      for (const m of key.materials) {
        if (m.bytes !== undefined && m.expirationModel === 'KEY_MATERIAL_EXPIRES' && m.validTo !== undefined && m.validTo.getTime() <= t) {
          events.push({ at: m.validTo.getTime(), apply: () => this.expire(key, m) });
        }
      }
      for (const event of events.sort((a, b) => a.at - b.at)) {
        if (!this.keys.has(key.id)) {
          break;
        }
        event.apply();
        if (this.keys.has(key.id)) {
          this.history?.recordKey(key, event.at);
        }
      }
    }
  }

  public keysInOrder(): KeyRecord[] {
    this.now();
    return this.live.keys();
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

  public aliasSnapshots(view: StateView = this.live): AliasSnapshot[] {
    this.now();
    return view.aliases()
      .map((a) => ({
        AliasName: a.name,
        TargetKeyId: a.targetKeyId,
        CreationDate: new Date(a.creationDate),
        LastUpdatedDate: new Date(a.lastUpdatedDate),
      }));
  }

  private expire(key: KeyRecord, material: MaterialRecord): void {
    if (material.state === 'PENDING_ROTATION') {
      key.materials = key.materials.filter((x) => x !== material);
    } else {
      material.bytes = undefined;
      material.validTo = undefined;
    }
  }

  private touch(key: KeyRecord): void {
    if (this.history) {
      this.touchedKeys.add(key);
    }
  }
}
