/**
 * The ledger's records: the authoritative state of a key group (see
 * docs/consistency.md). Pure types and queries; no I/O.
 */
import type { EscrowLocation } from './escrow';
import { MaterialSource } from './material-description';
import { GroupSettings } from './settings';

/** `pending`: made, not yet promoted. `retired`: the alias moved away (fenced once `fencedAt` is set). */
export type Stage = 'pending' | 'current' | 'retired' | 'discarded';

export interface GenerationRecord {
  readonly n: number;
  readonly keyId: string;
  readonly keyArn: string;
  readonly stage: Stage;
  /** KMS's CreationDate of the key (immutable in KMS: bounds due dates). */
  readonly kmsCreationDate: string;
  /** The last write that changes how KMS authorizes requests on this key (creation, policy, tags). */
  readonly authorizableSince: string;
  /** When the rotation that made this generation started: its due dates count from here. */
  readonly claimedAt: string;
  readonly registeredAt?: string;
  readonly importedAt?: string;
  readonly materialValidTo?: string;
  /** When the same material was last imported again: by the function (from the provider), or by an operator (from escrow, seen in KMS). */
  readonly reimportedAt?: string;
  readonly reimportedBy?: 'function' | 'operator';
  /** What the import stamped on the material in KMS (`KeyMaterialDescription`). */
  readonly keyMaterialDescription?: string;
  /** Where the material came from (absent in generations imported before sources were recorded: generated). */
  readonly materialSource?: MaterialSource;
  /** The material id KMS reported: by the import, then confirmed by the probe's Decrypt. */
  readonly keyMaterialId?: string;
  /** The escrow object of the material (MaterialEscrow): recorded before the import, verified (verifiedAt) before the test phase. */
  readonly escrow?: EscrowLocation;
  readonly testedAt?: string;
  readonly activatedAt?: string;
  readonly retiredAt?: string;
  readonly fencedAt?: string;
  readonly deletionScheduledAt?: string;
  /** The last cryptographic use KMS reported for this retired key (GetKeyLastUsage), when retention asked. */
  readonly lastUsedAt?: string;
  readonly lastUsedOperation?: string;
  /** When retention disabled the key (kms:DisableKey); cleared when it is enabled again. */
  readonly disabledAt?: string;
  /** When an operator exempted the generation from retention (enable-generation): never disabled or deleted again. */
  readonly retentionExemptAt?: string;
  /** When enable-generation enabled the key again (the fence stays: decrypt-only). */
  readonly reenabledAt?: string;
  /** Digest of the policy, description and tags last written to the key. */
  readonly appliedDigest?: string;
  /** Digest of the key policy last written to the key. */
  readonly appliedPolicyDigest: string;
  /** When this function last wrote the key's tags (reads of tags may be stale for a while after). */
  readonly labelsWrittenAt?: string;
  /** Set only on an adopted generation (generation 0): a key this library did not make (AdoptExisting.alias()). */
  readonly adopted?: AdoptedKey;
}

/**
 * What the ledger records of an adopted key. Its policy and description stay
 * its own: only the labels are written, and the decrypt-only fence is added to
 * its policy on retirement when `fence` is true. Never disabled or deleted.
 */
export interface AdoptedKey {
  readonly at: string;
  /** KMS's Origin of the key: AWS_KMS or EXTERNAL. */
  readonly origin: 'AWS_KMS' | 'EXTERNAL';
  readonly fence: boolean;
  /** The key's tags before the adoption: what a failed Create restores. */
  readonly tagsBefore: Readonly<Record<string, string>>;
}

export type Phase = 'create' | 'import' | 'test' | 'promote' | 'fence';
export type RotationReason = 'deploy' | 'scheduled' | 'emergency';

export interface RotationRecord {
  readonly n: number;
  readonly reason: RotationReason;
  readonly phase: Phase;
  readonly startedAt: string;
  /** Tags the key CreateKey makes, so that a run that died before recording it finds it. */
  readonly attemptId?: string;
  readonly attemptStartedAt?: string;
  /** The phase may not run before this time (propagation window). */
  readonly notBefore?: string;
  /** An emergency rotation was asked for after this one had promoted: start another once it is done. */
  readonly followUp?: 'emergency';
}

export interface LockRecord {
  readonly owner: string;
  readonly until: string;
  readonly purpose: string;
}

export type GroupStatus = 'creating' | 'active' | 'retained' | 'destroying' | 'destroyed' | 'failed';

export interface GroupRecord {
  readonly groupId: string;
  readonly version: number;
  readonly status: GroupStatus;
  readonly settings: GroupSettings;
  readonly generations: readonly GenerationRecord[];
  readonly rotation?: RotationRecord;
  readonly nextDueAt?: string;
  readonly lock?: LockRecord;
  /** An emergency rotation asked for while another run held the group: the next holder starts it. */
  readonly emergencyRequestedAt?: string;
  /** When the group's recent emergency rotations started, pruned to the last 24 hours (see emergency-limit.ts). */
  readonly emergencyStarts?: readonly string[];
  /** The newest event of the group's hash-chained event log (see event-chain.ts). */
  readonly chain?: ChainHead;
  /** User tag keys that earlier settings declared and the current ones do not: the audit reports them as leftovers (label-removals.ts). */
  readonly formerTagKeys?: readonly string[];
  /** A replacement: this group took the alias over from another group of the ledger (see takeover.ts). */
  readonly takeover?: TakeoverRecord;
  /** A group that was replaced and destroyed before its successor promoted: keys its successor deletes after promotion. */
  readonly handover?: HandoverRecord;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TakeoverRecord {
  /** The group the alias pointed at when this group was created. */
  readonly fromGroup: string;
  readonly keyId: string;
  readonly keyArn: string;
  readonly at: string;
  /** When this group's generation took the alias over (promotion). */
  readonly promotedAt?: string;
}

export interface HandoverRecord {
  readonly toGroup: string;
  /** Generations the alias could still resolve to at the Delete: scheduled for deletion by the successor, a window after its promotion. */
  readonly deferred: readonly number[];
  /**
   * Generations whose deletion the template's policies do not allow (made before keys carried the stack tag,
   * or a pending window the template no longer declares): left as they are, reported once.
   */
  readonly retained?: readonly number[];
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The generation the alias stands on; none once the group was destroyed (its keys are pending deletion). */
export function currentGeneration(g: GroupRecord): GenerationRecord | undefined {
  return g.generations.find((x) => x.stage === 'current' && x.deletionScheduledAt === undefined);
}

export function generation(g: GroupRecord, n: number): GenerationRecord | undefined {
  return g.generations.find((x) => x.n === n);
}

/** The highest generation number the group ever used (discarded ones included). */
export function highestGeneration(g: GroupRecord): number {
  return g.generations.reduce((m, x) => Math.max(m, x.n), 0);
}

/** Generations whose keys still exist and belong to the group (not discarded, not deleted). */
export function liveGenerations(g: GroupRecord): GenerationRecord[] {
  return g.generations.filter((x) => x.stage !== 'discarded' && x.deletionScheduledAt === undefined);
}

export function withGeneration(g: GroupRecord, next: GenerationRecord): GroupRecord {
  const exists = g.generations.some((x) => x.n === next.n);
  return {
    ...g,
    generations: exists ? g.generations.map((x) => (x.n === next.n ? next : x)) : [...g.generations, next],
  };
}

export function isLocked(g: GroupRecord, now: Date, by?: string): boolean {
  return g.lock !== undefined && g.lock.owner !== by && Date.parse(g.lock.until) > now.getTime();
}
