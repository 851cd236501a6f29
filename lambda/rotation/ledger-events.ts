/**
 * The ledger's event log: what changed in a key group, derived from two
 * consecutive versions of its ledger entry. Every write of the entry appends
 * the events of its change, so no phase can change a group without leaving
 * evidence. Pure.
 */
import { GenerationRecord, GroupRecord, GroupStatus, RotationRecord } from './ledger-model';

export type EventType =
  | 'group-created'
  | 'ledger-recovered'
  | 'settings-updated'
  | 'status-changed'
  | 'rotation-started'
  | 'emergency-requested'
  | 'generation-created'
  | 'generation-adopted'
  | 'generation-recovered'
  | 'material-imported'
  | 'material-escrowed'
  | 'material-reimported'
  | 'generation-tested'
  | 'generation-activated'
  | 'generation-retired'
  | 'generation-fenced'
  | 'generation-discarded'
  | 'generation-deletion-scheduled'
  | 'generation-use-observed'
  | 'generation-disabled'
  | 'generation-enabled'
  | 'generation-retention-exempted'
  | 'rotation-completed'
  | 'rotation-abandoned';

/** Why a change happened: the rotation it belongs to, or the stack operation. */
export type EventReason = 'deploy' | 'scheduled' | 'emergency' | 'update' | 'delete' | 'recover' | 'reimport';

/** One event, before it is placed in the chain. */
export interface EventBody {
  readonly type: EventType;
  readonly reason?: EventReason;
  readonly generation?: number;
  readonly keyArn?: string;
  /** The rotation phase the group is in after the change. */
  readonly phase?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

/** How the entry came to be written without a previous version. */
export type Origin = 'written' | 'recovered';

export function eventsBetween(before: GroupRecord | undefined, after: Omit<GroupRecord, 'version'>, origin: Origin = 'written'): EventBody[] {
  const events: EventBody[] = [];
  const rotation = after.rotation ?? before?.rotation;
  const phase = after.rotation?.phase;
  const rotationReason = rotation?.reason;
  const add = (e: EventBody) => events.push(phase && !e.phase ? { ...e, phase } : e);

  if (!before) {
    if (origin === 'recovered') {
      add({ type: 'ledger-recovered', reason: 'recover', detail: { alias: after.settings.aliasName, generations: after.generations.length } });
    } else {
      add({ type: 'group-created', reason: 'deploy', detail: { alias: after.settings.aliasName, intervalMonths: after.settings.intervalMonths } });
    }
  } else {
    const changed = changedSettings(before, after);
    if (changed.length > 0) add({ type: 'settings-updated', reason: 'update', detail: { changed } });
    if (before.status !== after.status) add({ type: 'status-changed', reason: statusReason(before.status, after.status, rotationReason), detail: { from: before.status, to: after.status } });
  }

  if (after.rotation && (!before?.rotation || before.rotation.n !== after.rotation.n)) {
    add({ type: 'rotation-started', reason: after.rotation.reason, generation: after.rotation.n, detail: { startedAt: after.rotation.startedAt } });
  }
  if (before && emergencyAsked(before, after)) add({ type: 'emergency-requested', reason: 'emergency', generation: after.rotation?.n });

  if (origin === 'written') {
    for (const g of after.generations) {
      const was = before?.generations.find((x) => x.n === g.n);
      for (const e of generationEvents(was, g)) add({ ...e, reason: e.reason ?? rotationReason ?? fallbackReason(after.status) });
    }
  } else {
    // What recovery found, as the new chain's starting point for each generation.
    for (const g of after.generations) add({ type: 'generation-recovered', reason: 'recover', generation: g.n, keyArn: g.keyArn, detail: recoveredDates(g) });
  }

  if (before?.rotation && (!after.rotation || after.rotation.n !== before.rotation.n)) {
    add(endOf(before.rotation, after));
  }
  return events;
}

function generationEvents(was: GenerationRecord | undefined, g: GenerationRecord): EventBody[] {
  const at = (type: EventType, detail?: EventBody['detail']): EventBody => ({ type, generation: g.n, keyArn: g.keyArn, ...(detail ? { detail } : {}) });
  const events: EventBody[] = [];
  if (!was && g.adopted) {
    // A key this library did not make: its own creation date and origin, and whether its owner opted in to the fence.
    events.push(at('generation-adopted', omitUndefined({
      createdAt: g.kmsCreationDate,
      adoptedAt: g.adopted.at,
      origin: g.adopted.origin,
      fence: String(g.adopted.fence),
      keyMaterialId: g.keyMaterialId,
      materialValidTo: g.materialValidTo,
    })));
  } else if (!was) {
    events.push(at('generation-created', { createdAt: g.kmsCreationDate }));
  }
  const became = (field: keyof GenerationRecord) => g[field] !== undefined && was?.[field] === undefined;
  if (became('importedAt')) {
    events.push(at('material-imported', omitUndefined({
      importedAt: g.importedAt!, materialValidTo: g.materialValidTo, keyMaterialDescription: g.keyMaterialDescription, source: g.materialSource,
    })));
  }
  if (g.escrow?.verifiedAt !== undefined && was?.escrow?.verifiedAt === undefined) {
    const e = g.escrow;
    events.push(at('material-escrowed', omitUndefined({
      bucket: e.bucket,
      key: e.key,
      versionId: e.versionId,
      sha256: e.sha256,
      keyMaterialId: e.keyMaterialId,
      escrowWrapping: e.wrapping,
      escrowKeyFingerprint: e.fingerprint,
      writtenAt: e.writtenAt,
      verifiedAt: e.verifiedAt,
    })));
  }
  if (g.reimportedAt !== undefined && g.reimportedAt !== was?.reimportedAt) {
    events.push({
      ...at('material-reimported', omitUndefined({
        reimportedAt: g.reimportedAt, reimportedBy: g.reimportedBy, materialValidTo: g.materialValidTo ?? 'never', keyMaterialId: g.keyMaterialId,
      })),
      reason: 'reimport',
    });
  }
  if (became('testedAt')) events.push(at('generation-tested', omitUndefined({ testedAt: g.testedAt!, keyMaterialId: g.keyMaterialId })));
  if (became('activatedAt')) events.push(at('generation-activated', { activatedAt: g.activatedAt! }));
  if (became('retiredAt')) events.push(at('generation-retired', { retiredAt: g.retiredAt! }));
  if (became('fencedAt')) events.push(at('generation-fenced', { fencedAt: g.fencedAt! }));
  if (g.stage === 'discarded' && was?.stage !== 'discarded') events.push(at('generation-discarded'));
  if (g.lastUsedAt !== undefined && g.lastUsedAt !== was?.lastUsedAt) {
    events.push(at('generation-use-observed', omitUndefined({ lastUsedAt: g.lastUsedAt, operation: g.lastUsedOperation })));
  }
  if (g.disabledAt !== undefined && g.disabledAt !== was?.disabledAt) events.push(at('generation-disabled', { disabledAt: g.disabledAt }));
  if (became('retentionExemptAt')) events.push(at('generation-retention-exempted', { retentionExemptAt: g.retentionExemptAt! }));
  if (g.reenabledAt !== undefined && g.reenabledAt !== was?.reenabledAt) events.push(at('generation-enabled', { reenabledAt: g.reenabledAt }));
  if (became('deletionScheduledAt')) events.push(at('generation-deletion-scheduled', { deletionScheduledAt: g.deletionScheduledAt! }));
  return events;
}

function recoveredDates(g: GenerationRecord): Record<string, string | number> {
  return omitUndefined({
    createdAt: g.kmsCreationDate,
    importedAt: g.importedAt,
    keyMaterialId: g.keyMaterialId,
    activatedAt: g.activatedAt,
    retiredAt: g.retiredAt,
    fencedAt: g.fencedAt,
    deletionScheduledAt: g.deletionScheduledAt,
    disabledAt: g.disabledAt,
  });
}

function endOf(r: RotationRecord, after: Omit<GroupRecord, 'version'>): EventBody {
  const made = after.generations.find((x) => x.n === r.n);
  const completed = made !== undefined && made.activatedAt !== undefined && made.stage !== 'discarded';
  return {
    type: completed ? 'rotation-completed' : 'rotation-abandoned',
    reason: r.reason,
    generation: r.n,
    ...(made ? { keyArn: made.keyArn } : {}),
    detail: omitUndefined({ startedAt: r.startedAt, nextDueAt: completed ? after.nextDueAt : undefined }),
  };
}

function emergencyAsked(before: GroupRecord, after: Omit<GroupRecord, 'version'>): boolean {
  if (after.emergencyRequestedAt !== undefined && before.emergencyRequestedAt === undefined) return true;
  const b = before.rotation;
  const a = after.rotation;
  if (!a || !b || a.n !== b.n) return false;
  return (a.reason === 'emergency' && b.reason !== 'emergency') || (a.followUp === 'emergency' && b.followUp !== 'emergency');
}

const SETTING_FIELDS = [
  'aliasName', 'intervalMonths', 'description', 'policy', 'userTags', 'wrappingAlgorithm', 'wrappingKeySpec',
  'materialValidityDays', 'removalPolicy', 'pendingWindowDays', 'propagationSeconds', 'scheduleHour', 'scheduleTimeZone', 'policyContext', 'retention',
  'materialSource', 'adopt', 'escrow', 'emergencyRotationsPerDay',
] as const;

function changedSettings(before: GroupRecord, after: Omit<GroupRecord, 'version'>): string[] {
  return SETTING_FIELDS.filter((f) => JSON.stringify(before.settings[f]) !== JSON.stringify(after.settings[f]));
}

function statusReason(from: GroupStatus, to: GroupStatus, rotationReason: EventReason | undefined): EventReason {
  if (to === 'destroying' || to === 'destroyed' || to === 'retained') return 'delete';
  if (from === 'creating') return 'deploy';
  return rotationReason ?? 'update';
}

function fallbackReason(status: GroupStatus): EventReason {
  return status === 'destroying' || status === 'destroyed' || status === 'retained' ? 'delete' : 'update';
}

function omitUndefined(o: Record<string, string | number | undefined>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
}
