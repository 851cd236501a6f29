/**
 * The report's verdicts on hand-built ledger histories (pure: no KMS, no
 * table). The histories are written through the same chain the ledger uses.
 */
import { buildGroupReport, KeyFacts, reportFailed } from '../../lambda/report';
import { escrowFingerprint } from '../../lambda/rotation/escrow';
import { chain, LedgerEvent } from '../../lambda/rotation/event-chain';
import { desiredKeyState } from '../../lambda/rotation/key-state';
import { eventsBetween } from '../../lambda/rotation/ledger-events';
import { GenerationRecord, GroupRecord } from '../../lambda/rotation/ledger-model';
import { parseLifecycleRequest } from '../../lambda/rotation/requests';
import { cfnEvent, groupProps } from '../rotation/fixtures';

const settings = (() => {
  const r = parseLifecycleRequest(cfnEvent('Create', groupProps()));
  if (r.kind !== 'create') throw new Error('fixture is not a Create');
  return r.settings;
})();

function gen(n: number, over: Partial<GenerationRecord>): GenerationRecord {
  return {
    n,
    keyId: `key-${n}`,
    keyArn: `arn:aws:kms:us-east-1:111122223333:key/key-${n}`,
    stage: 'current',
    kmsCreationDate: over.claimedAt ?? '2026-01-01T03:00:00.000Z',
    authorizableSince: over.claimedAt ?? '2026-01-01T03:00:00.000Z',
    claimedAt: '2026-01-01T03:00:00.000Z',
    appliedPolicyDigest: 'x',
    ...over,
  };
}

/** Writes each version after the other through the event derivation and the chain, as the ledger does. */
function history(versions: Array<Omit<GroupRecord, 'version' | 'chain'>>): { record: GroupRecord; events: LedgerEvent[] } {
  let previous: GroupRecord | undefined;
  const events: LedgerEvent[] = [];
  for (const [i, v] of versions.entries()) {
    const written = chain(v.groupId, previous?.chain, eventsBetween(previous, v), v.updatedAt, `run-${i}`);
    events.push(...written.events);
    previous = { ...v, version: i + 1, chain: written.head };
  }
  return { record: previous!, events };
}

function facts(record: GroupRecord): Map<number, KeyFacts> {
  return new Map(record.generations.map((g) => [g.n, {
    state: 'Enabled', creationDate: g.kmsCreationDate, tags: desiredKeyState(record, g).tags, fenced: g.fencedAt !== undefined,
  }]));
}

const base = { groupId: settings.groupId, status: 'active' as const, settings, createdAt: '2026-01-01T03:00:00.000Z' };
const g1 = gen(1, { activatedAt: '2026-01-01T03:00:00.000Z', importedAt: '2026-01-01T03:00:00.000Z' });

describe('the report\'s verdicts', () => {
  test('a ledger entry whose escrow location is not the one its event log recorded is an error; the logged one is reported as it is', () => {
    const escrow = {
      bucket: 'escrow-bucket',
      key: 'escrow/g/generation-1/a.json',
      versionId: 'v1',
      sha256: 'x',
      writtenAt: g1.claimedAt,
      wrapping: 'RSAES_OAEP_SHA_256' as const,
      fingerprint: 'f',
      keyMaterialId: 'm1',
      verifiedAt: '2026-01-01T03:00:00.000Z',
    };
    const written = { ...base, generations: [{ ...g1, escrow }], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' };
    const { record, events } = history([{ ...base, generations: [g1], nextDueAt: written.nextDueAt, updatedAt: written.updatedAt }, written]);
    const ok = buildGroupReport({ record, events, keys: facts(record), aliasTargetKeyId: 'key-1', now: new Date('2026-02-01T00:00:00Z') });
    expect(ok.findings).toEqual([]);
    expect(ok.generations[0].escrow).toEqual({ bucket: 'escrow-bucket', key: escrow.key, versionId: 'v1', keyMaterialId: 'm1', verifiedAt: escrow.verifiedAt });
    // Someone points the entry at another object (the log is hash-chained, the entry is not).
    const edited = { ...record, generations: [{ ...record.generations[0], escrow: { ...escrow, versionId: 'v2' } }] };
    const bad = buildGroupReport({ record: edited, events, keys: facts(edited), aliasTargetKeyId: 'key-1', now: new Date('2026-02-01T00:00:00Z') });
    expect(bad.findings).toEqual([{
      severity: 'error',
      code: 'ledger-disagrees-with-log',
      message: `generation 1: the ledger entry says escrow escrow-bucket/${escrow.key} v2, its event log says escrow-bucket/${escrow.key} v1`,
    }]);
  });

  test('a rotation activated more than a day after its due date is late (a warning: history cannot be changed)', () => {
    const g2 = gen(2, { claimedAt: '2026-07-05T03:05:00.000Z', activatedAt: '2026-07-05T03:15:00.000Z', importedAt: '2026-07-05T03:05:00.000Z' });
    const { record, events } = history([
      { ...base, generations: [g1], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' },
      {
        ...base,
        generations: [{ ...g1, stage: 'retired', retiredAt: g2.activatedAt }, g2],
        nextDueAt: '2027-01-05T03:05:00.000Z',
        updatedAt: '2026-07-05T03:15:00.000Z',
      },
    ]);
    const r = buildGroupReport({ record, events, keys: facts(record), aliasTargetKeyId: 'key-2', now: new Date('2026-08-01T00:00:00Z') });
    expect(r.generations.map((g) => g.rotation)).toEqual(['late', 'not due']);
    expect(r.findings).toEqual([
      { severity: 'warning', code: 'late-rotation', message: 'generation 1 was due 2026-07-01T03:00:00.000Z and was replaced only at 2026-07-05T03:15:00.000Z' },
    ]);
    expect(reportFailed(r)).toBe(false);
  });

  test('a difference on a key written within the propagation window is "not yet visible", a warning', () => {
    const { record, events } = history([{ ...base, generations: [{ ...g1, labelsWrittenAt: '2026-03-01T00:00:00.000Z' }], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z' }]);
    const keys = facts(record);
    keys.set(1, { ...keys.get(1)!, tags: { ...keys.get(1)!.tags, 'rotation:stage': 'pending' } });
    const soon = buildGroupReport({ record, events, keys, aliasTargetKeyId: 'key-1', now: new Date('2026-03-01T00:02:00Z') });
    expect(soon.findings.map((f) => [f.severity, f.code])).toEqual([['warning', 'not-yet-visible']]);
    const later = buildGroupReport({ record, events, keys, aliasTargetKeyId: 'key-1', now: new Date('2026-03-01T01:00:00Z') });
    expect(later.findings.map((f) => [f.severity, f.code])).toEqual([['error', 'kms-disagrees']]);
  });

  test('an alias that points elsewhere, a missing key and a lost fence are failures', () => {
    const g2 = gen(2, { claimedAt: '2026-07-01T03:05:00.000Z', activatedAt: '2026-07-01T03:15:00.000Z', importedAt: '2026-07-01T03:05:00.000Z' });
    const { record, events } = history([
      { ...base, generations: [g1], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' },
      {
        ...base,
        generations: [{ ...g1, stage: 'retired', retiredAt: g2.activatedAt, fencedAt: '2026-07-01T03:25:00.000Z' }, g2],
        nextDueAt: '2027-01-01T03:05:00.000Z',
        updatedAt: '2026-07-01T03:25:00.000Z',
      },
    ]);
    const keys = new Map<number, KeyFacts | undefined>(facts(record));
    keys.set(1, { ...keys.get(1)!, fenced: false });
    const r = buildGroupReport({ record, events, keys, aliasTargetKeyId: 'key-1', now: new Date('2026-08-01T00:00:00Z') });
    expect(r.findings.map((f) => f.message)).toEqual([
      'generation 1 (key-1): its key policy lacks the decrypt-only fence the ledger says it carries',
      'alias alias/telemetry points at key-1, the ledger\'s current generation is 2 (key-2)',
    ]);
    keys.set(2, undefined);
    const gone = buildGroupReport({ record, events, keys, aliasTargetKeyId: undefined, now: new Date('2026-08-01T00:00:00Z') });
    expect(gone.findings.map((f) => f.message)).toContain('generation 2 (key-2): KMS does not know this key');
    expect(reportFailed(gone)).toBe(true);
  });

  test('a generation retention disabled is expected Disabled in KMS (stage "retired (disabled)"), one pending deletion PendingDeletion', () => {
    const g2 = gen(2, { claimedAt: '2026-07-01T03:05:00.000Z', activatedAt: '2026-07-01T03:15:00.000Z', importedAt: '2026-07-01T03:05:00.000Z' });
    const g3 = gen(3, { claimedAt: '2027-01-01T03:05:00.000Z', activatedAt: '2027-01-01T03:15:00.000Z', importedAt: '2027-01-01T03:05:00.000Z' });
    const retired = (g: GenerationRecord, at: string) => ({ ...g, stage: 'retired' as const, retiredAt: at, fencedAt: at });
    const { record, events } = history([
      { ...base, generations: [g1], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' },
      {
        ...base,
        generations: [{ ...retired(g1, g2.activatedAt!), disabledAt: '2027-02-01T00:00:00.000Z', labelsWrittenAt: '2027-02-01T00:00:00.000Z' }, retired(g2, g3.activatedAt!), g3],
        nextDueAt: '2027-07-01T03:05:00.000Z',
        updatedAt: '2027-02-01T00:00:00.000Z',
      },
    ]);
    const keys = new Map<number, KeyFacts | undefined>(facts(record));
    keys.set(1, { ...keys.get(1)!, state: 'Disabled' });
    const now = new Date('2027-03-01T00:00:00Z');
    const r = buildGroupReport({ record, events, keys, aliasTargetKeyId: 'key-3', now });
    expect(r.findings).toEqual([]);
    expect(r.generations.map((g) => g.stage)).toEqual(['retired (disabled)', 'retired', 'current']);
    expect(events.filter((e) => e.type === 'generation-disabled').map((e) => e.generation)).toEqual([1]);
    // Enabled in KMS while the ledger says disabled: a disagreement.
    keys.set(1, { ...keys.get(1)!, state: 'Enabled' });
    expect(buildGroupReport({ record, events, keys, aliasTargetKeyId: 'key-3', now }).findings.map((f) => f.message))
      .toEqual(['generation 1 (key-1): its key state is Enabled, expected Disabled']);
  });
  test('a generation whose material source is not the one its settings said when it was made is a finding (skipped once a deploy changed the source)', () => {
    const fromProvider = { ...settings, materialSource: { type: 'function' as const, functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:provider' } };
    const g = { ...g1, materialSource: 'function' as const };
    const at = (now: string) => new Date(now);
    // Recorded "function" while the settings say generated, and no deploy changed the source since.
    const forged = history([{ ...base, generations: [g], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' }]);
    const bad = buildGroupReport({ ...forged, keys: facts(forged.record), aliasTargetKeyId: 'key-1', now: at('2026-02-01T00:00:00Z') });
    expect(bad.findings).toEqual([{
      severity: 'error', code: 'material-source-differs', message: 'generation 1: its material is recorded as function, the settings it was made under say generated',
    }]);
    // Made from the provider, then a deploy switched the group to generated material: the log says so, nothing differs.
    const switched = history([
      { ...base, settings: fromProvider, generations: [g], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z' },
      { ...base, generations: [g], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-15T00:00:00.000Z' },
    ]);
    expect(switched.events.map((e) => e.type)).toContain('settings-updated');
    const ok = buildGroupReport({ ...switched, keys: facts(switched.record), aliasTargetKeyId: 'key-1', now: at('2026-02-01T00:00:00Z') });
    expect(ok.findings).toEqual([]);
  });

  test('an escrow object wrapped to another escrow key than the settings name is a finding', () => {
    const publicKey = Buffer.from('the escrow public key, DER').toString('base64');
    const escrowed = { ...settings, escrow: { bucket: 'escrow-bucket', prefix: '', publicKey, wrapping: 'RSAES_OAEP_SHA_256' as const } };
    const escrow = (fingerprint: string) => ({
      bucket: 'escrow-bucket', key: 'k', sha256: 'x', writtenAt: g1.claimedAt, wrapping: 'RSAES_OAEP_SHA_256' as const, fingerprint, keyMaterialId: 'm1',
    });
    const entry = (fingerprint: string) => history([{
      ...base, settings: escrowed, generations: [{ ...g1, escrow: escrow(fingerprint) }], nextDueAt: '2026-07-01T03:00:00.000Z', updatedAt: '2026-01-01T03:00:00.000Z',
    }]);
    const report = (h: ReturnType<typeof entry>) => buildGroupReport({ ...h, keys: facts(h.record), aliasTargetKeyId: 'key-1', now: new Date('2026-02-01T00:00:00Z') });
    expect(report(entry(escrowFingerprint(publicKey))).findings).toEqual([]);
    expect(report(entry('0'.repeat(64))).findings).toEqual([{
      severity: 'error',
      code: 'escrow-key-differs',
      message: `generation 1: its escrow object is wrapped to the key with fingerprint ${'0'.repeat(64)}, the settings it was made under name ${escrowFingerprint(publicKey)}`,
    }]);
  });
});
