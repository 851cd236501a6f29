/**
 * The EventBridge event the rotation function puts on the rotation event bus after
 * each rotation it completed (the previous generation fenced and recorded):
 * its envelope fields and its detail, built from the ledger record. Pure; the
 * entry point puts it. Schema: docs/rotation-event.schema.json.
 */
import { generation, GroupRecord, RotationReason } from './ledger-model';

export const EVENT_SOURCE = 'cdk-rotating-imported-key';
export const EVENT_DETAIL_TYPE = 'Imported Key Rotated';
/** Bumped only by an incompatible change of the detail (fields are only ever added otherwise). */
export const EVENT_DETAIL_VERSION = '1';

export interface RotationEventDetail {
  readonly version: string;
  /** `<group>/generation-<n>`: the same for every delivery of this rotation's event (delivery is at least once). */
  readonly id: string;
  readonly group: string;
  readonly alias: string;
  readonly generation: number;
  readonly keyArn: string;
  readonly previousGeneration: number;
  readonly previousKeyArn: string;
  readonly reason: RotationReason;
  /** When the alias moved to the new generation. */
  readonly activatedAt: string;
  /** When the previous generation was made decrypt-only. */
  readonly previousFencedAt: string;
  /** When the new generation is due. */
  readonly nextDueAt: string;
}

export interface RotationEvent {
  readonly source: string;
  readonly detailType: string;
  /** The new and the previous generation's key ARNs (the envelope's `resources`). */
  readonly resources: string[];
  readonly detail: RotationEventDetail;
}

/** The rotation that a run completed, as the run saw it before the record forgot it. */
export interface CompletedRotation {
  readonly n: number;
  readonly reason: RotationReason;
}

export function rotationEventId(groupId: string, n: number): string {
  return `${groupId}/generation-${n}`;
}

/**
 * Whether a completed rotation is announced: not the rotation away from an
 * adopted key (generation 0, possibly unfenced), whose event the detail's
 * version 1 cannot describe (it names a fenced previous generation of 1 or more),
 * nor the first promotion of a group that replaced another (takeover.ts): it has no previous generation.
 */
export function announces(rec: GroupRecord, completed: CompletedRotation): boolean {
  const previous = rec.generations.filter((g) => g.n < completed.n && g.stage === 'retired').sort((a, b) => b.n - a.n)[0];
  return previous !== undefined && previous.adopted === undefined;
}

/**
 * The event of a completed rotation, from the record the run left. Throws when
 * the record does not show it completed (a bug: the caller saw the fence).
 */
export function rotationEventOf(rec: GroupRecord, completed: CompletedRotation): RotationEvent {
  const next = generation(rec, completed.n);
  const previous = rec.generations
    .filter((g) => g.n < completed.n && g.stage === 'retired' && g.fencedAt !== undefined)
    .sort((a, b) => b.n - a.n)[0];
  if (!next?.activatedAt || !previous?.fencedAt || !rec.nextDueAt) {
    throw new Error(`key group ${rec.groupId}: the ledger does not show the rotation to generation ${completed.n} completed`);
  }
  return {
    source: EVENT_SOURCE,
    detailType: EVENT_DETAIL_TYPE,
    resources: [next.keyArn, previous.keyArn],
    detail: {
      version: EVENT_DETAIL_VERSION,
      id: rotationEventId(rec.groupId, completed.n),
      group: rec.groupId,
      alias: rec.settings.aliasName,
      generation: next.n,
      keyArn: next.keyArn,
      previousGeneration: previous.n,
      previousKeyArn: previous.keyArn,
      reason: completed.reason,
      activatedAt: next.activatedAt,
      previousFencedAt: previous.fencedAt,
      nextDueAt: rec.nextDueAt,
    },
  };
}
