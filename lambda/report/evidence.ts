/**
 * What the verified event log proves about each generation and each rotation:
 * the dates an auditor asks for, read from the chain rather than from the
 * (editable) ledger entry. Pure.
 */
import { LedgerEvent } from '../rotation/event-chain';
import { EventReason } from '../rotation/ledger-events';

export interface GenerationEvidence {
  readonly n: number;
  readonly keyArn: string;
  readonly createdAt?: string;
  /** Set for an adopted key (generation-adopted): when it was adopted and its origin. */
  readonly adoptedAt?: string;
  readonly origin?: string;
  readonly importedAt?: string;
  readonly materialValidTo?: string;
  readonly reimportedAt?: string;
  readonly keyMaterialDescription?: string;
  readonly keyMaterialId?: string;
  readonly testedAt?: string;
  readonly activatedAt?: string;
  readonly retiredAt?: string;
  readonly fencedAt?: string;
  readonly discarded: boolean;
  readonly deletionScheduledAt?: string;
  /** The escrow object (material-escrowed): `<bucket>/<key>` and its version. */
  readonly escrowObject?: string;
  readonly escrowVersionId?: string;
}

export interface RotationEvidence {
  readonly n: number;
  readonly reason: EventReason;
  readonly startedAt: string;
  readonly completedAt: string;
  /** The due date the rotation set for the generation it made. */
  readonly nextDueAt?: string;
}

export interface Evidence {
  readonly generations: ReadonlyMap<number, GenerationEvidence>;
  readonly rotations: readonly RotationEvidence[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function evidenceOf(events: readonly LedgerEvent[]): Evidence {
  const generations = new Map<number, Mutable<GenerationEvidence>>();
  const rotations: RotationEvidence[] = [];
  const text = (e: LedgerEvent, field: string) => {
    const v = e.detail?.[field];
    return typeof v === 'string' ? v : undefined;
  };
  for (const e of events) {
    if (e.type === 'rotation-completed' && e.generation !== undefined) {
      rotations.push({ n: e.generation, reason: e.reason ?? 'scheduled', startedAt: text(e, 'startedAt') ?? e.at, completedAt: e.at, nextDueAt: text(e, 'nextDueAt') });
      continue;
    }
    if (e.generation === undefined || e.keyArn === undefined) continue;
    const g = generations.get(e.generation) ?? { n: e.generation, keyArn: e.keyArn, discarded: false };
    generations.set(e.generation, g);
    switch (e.type) {
      case 'generation-created': g.createdAt = text(e, 'createdAt') ?? e.at; break;
      case 'generation-adopted':
        g.createdAt = text(e, 'createdAt');
        g.adoptedAt = text(e, 'adoptedAt') ?? e.at;
        g.origin = text(e, 'origin');
        g.keyMaterialId = text(e, 'keyMaterialId');
        g.materialValidTo = text(e, 'materialValidTo');
        break;
      case 'generation-recovered':
        g.createdAt = text(e, 'createdAt');
        g.importedAt = text(e, 'importedAt');
        g.keyMaterialId = text(e, 'keyMaterialId');
        g.activatedAt = text(e, 'activatedAt');
        g.retiredAt = text(e, 'retiredAt');
        g.fencedAt = text(e, 'fencedAt');
        g.deletionScheduledAt = text(e, 'deletionScheduledAt');
        break;
      case 'material-imported':
        g.importedAt = text(e, 'importedAt') ?? e.at;
        g.materialValidTo = text(e, 'materialValidTo');
        g.keyMaterialDescription = text(e, 'keyMaterialDescription');
        break;
      case 'material-reimported':
        g.reimportedAt = text(e, 'reimportedAt') ?? e.at;
        // 'never': re-imported without expiry.
        g.materialValidTo = text(e, 'materialValidTo') === 'never' ? undefined : text(e, 'materialValidTo');
        break;
      case 'material-escrowed':
        g.escrowObject = `${text(e, 'bucket')}/${text(e, 'key')}`;
        g.escrowVersionId = text(e, 'versionId');
        break;
      case 'generation-tested': g.testedAt = text(e, 'testedAt') ?? e.at; g.keyMaterialId = text(e, 'keyMaterialId'); break;
      case 'generation-activated': g.activatedAt = text(e, 'activatedAt') ?? e.at; break;
      case 'generation-retired': g.retiredAt = text(e, 'retiredAt') ?? e.at; break;
      case 'generation-fenced': g.fencedAt = text(e, 'fencedAt') ?? e.at; break;
      case 'generation-discarded': g.discarded = true; break;
      case 'generation-deletion-scheduled': g.deletionScheduledAt = text(e, 'deletionScheduledAt') ?? e.at; break;
      default: break;
    }
  }
  return { generations, rotations };
}
