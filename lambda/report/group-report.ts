/**
 * A key group's compliance report: every generation with its dates, whether
 * each rotation happened within its due period, and what is wrong (a chain
 * that does not verify, a ledger entry that disagrees with its own event log
 * or with KMS, an overdue rotation). Pure: the facts are gathered elsewhere.
 */
import { configurationFindings, ConfigurationFindingCode } from './configuration-checks';
import { evidenceOf, GenerationEvidence } from './evidence';
import { SealFindingCode, SealReport, sealFindings, sealReportOf, sealsVerified } from './seal-findings';
import { addCalendarMonths } from '../rotation/dates';
import { nextDueDate } from '../rotation/due-date';
import { LedgerEvent, verifyChain } from '../rotation/event-chain';
import { desiredKeyState } from '../rotation/key-state';
import { labelDrift } from '../rotation/labels';
import { currentGeneration, GenerationRecord, GroupRecord } from '../rotation/ledger-model';
import { PolicyDocument } from '../rotation/policy';
import { expiringGenerations, materialExpiryWarningDays, reimportedAutomatically } from '../rotation/reimport';
import type { SealCheck } from '../rotation/seal-gateway';
import { TagMap } from '../rotation/tags';

/**
 * NIST SP 800-57 Part 1 Rev. 5, Table 1: a symmetric data-encryption key's
 * recipient-usage period ends at most 3 years after its originator-usage
 * period (at most 2 years) ends.
 */
export const NIST_RECIPIENT_YEARS_AFTER_RETIREMENT = 3;
export const NIST_MAX_ORIGINATOR_MONTHS = 24;

/** A rotation is late when its new generation was activated more than this after the due date (the overdue alarm's threshold). */
export const LATE_AFTER_MS = 86_400_000;

const ROTATION_TAG_PREFIX = 'rotation:';

/** What KMS says about one generation's key. */
export interface KeyFacts {
  readonly state: string;
  readonly creationDate: string;
  readonly currentKeyMaterialId?: string;
  readonly tags: TagMap;
  /** The key policy carries the retired fence. */
  readonly fenced: boolean;
  /** The key policy; absent for a key pending deletion (not compared). */
  readonly policy?: PolicyDocument;
  readonly lastUsage?: KeyUsage;
}

/** A read the report could not make (the caller may not, or the call failed): named, never taken as "none". */
export interface UnreadableCall {
  /** The API call, e.g. `kms:GetKeyLastUsage`. */
  readonly call: string;
  readonly errorName: string;
  readonly errorMessage: string;
}

/** A call that failed while the report was gathered, with the generation it was about. */
export interface UnreadablePart extends UnreadableCall {
  readonly generation: number;
  readonly keyId: string;
}

export interface KeyUsage {
  readonly operation?: string;
  readonly at?: string;
  readonly cloudTrailEventId?: string;
  /** KMS records usage from this date (or the key's creation, if later). */
  readonly trackingSince?: string;
  /** The usage could not be read (the other fields are absent): unknown, not "never used". */
  readonly unreadable?: UnreadableCall;
}

export interface ReportInput {
  readonly record: GroupRecord;
  readonly events: readonly LedgerEvent[];
  /** By generation number; `undefined` when KMS does not know the key. Live generations only. */
  readonly keys: ReadonlyMap<number, KeyFacts | undefined>;
  /** The key the user alias points at, if it exists. */
  readonly aliasTargetKeyId?: string;
  /** What the entry's seals say (Ledger.inspect); absent: the report was not given the seal keys. */
  readonly seals?: { readonly state: SealCheck; readonly settings: SealCheck };
  readonly now: Date;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  readonly severity: Severity;
  readonly code: 'chain-broken' | 'overdue' | 'late-rotation' | 'ledger-disagrees-with-log' | 'kms-disagrees' | 'not-yet-visible' | 'events-outside-chain' | 'rotation-in-progress'
    | 'material-expired' | 'material-expiring' | 'manual-reimport' | 'unreadable' | SealFindingCode | ConfigurationFindingCode;
  readonly message: string;
}

export type Timeliness = 'on time' | 'late' | 'not due' | 'overdue' | '-';

export interface GenerationReport {
  readonly generation: number;
  readonly keyId: string;
  readonly keyArn: string;
  readonly stage: string;
  readonly kmsState?: string;
  /** Where the material came from: `generated`, `function`, or `adopted:AWS_KMS` / `adopted:EXTERNAL` for an adopted key. */
  readonly source?: string;
  /** Only for an adopted key (generation 0): its KMS origin and whether its owner opted in to the fence. */
  readonly adopted?: { readonly origin: string; readonly fence: boolean };
  readonly createdAt: string;
  readonly importedAt?: string;
  readonly activatedAt?: string;
  readonly retiredAt?: string;
  readonly fencedAt?: string;
  /** The end of the recipient-usage period NIST allows (projected from the due date for the current generation). */
  readonly decryptUntil?: string;
  readonly materialExpiresAt?: string;
  /** Who imports expiring material again: the function (`automatic`, from the provider) or an operator (`manual`, from escrow). */
  readonly materialReimport?: 'automatic' | 'manual';
  readonly reimportedAt?: string;
  readonly keyMaterialId?: string;
  readonly dueAt?: string;
  /** Whether the rotation away from this generation happened within its due period. */
  readonly rotation: Timeliness;
  readonly rotatedAt?: string;
  /** What KMS says of the key's last use; with `unreadable` when it could not be read (see GroupReport.unreadable). */
  readonly lastUsage?: KeyUsage;
  /** Where the generation's material is escrowed (MaterialEscrow), once the object was verified. */
  readonly escrow?: EscrowReport;
}

export interface EscrowReport {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly keyMaterialId?: string;
  readonly verifiedAt?: string;
}

export interface GroupReport {
  readonly groupId: string;
  readonly alias: string;
  readonly intervalMonths: number;
  readonly status: string;
  readonly currentGeneration?: number;
  readonly nextDueAt?: string;
  readonly rotationInProgress?: { readonly generation: number; readonly phase: string; readonly reason: string };
  readonly chain: { readonly verified: boolean; readonly events: number; readonly outside: number };
  /** What the entry's ledger and settings seals say (`not checked` without the seal keys). */
  readonly seals: SealReport;
  readonly generations: readonly GenerationReport[];
  readonly findings: readonly Finding[];
  /** The reads that failed: the report shows the rest and is `incomplete`, never a pass. Absent when all were read. */
  readonly unreadable?: readonly UnreadablePart[];
  readonly generatedAt: string;
}

export function reportFailed(r: GroupReport): boolean {
  return r.findings.some((f) => f.severity === 'error');
}

/**
 * `unverified`: nothing failed, but the seals were not checked, so nothing is proven either.
 * `incomplete`: nothing failed, but some reads could not be made (`unreadable`): what they would show is unknown.
 */
export type Verdict = 'pass' | 'fail' | 'incomplete' | 'unverified';

export function reportVerdict(r: GroupReport): Verdict {
  if (reportFailed(r)) return 'fail';
  if ((r.unreadable ?? []).length > 0) return 'incomplete';
  return sealsVerified(r.seals) ? 'pass' : 'unverified';
}

/** `unknown (AccessDenied)` for a read that failed with AccessDeniedException. */
export function unknownText(u: UnreadableCall): string {
  return `unknown (${u.errorName.replace(/Exception$/, '')})`;
}

export function buildGroupReport(input: ReportInput): GroupReport {
  const { record, now } = input;
  const seals = sealReportOf(input.seals);
  const findings: Finding[] = [...sealFindings(seals)];
  const chain = verifyChain(input.events, record.chain);
  for (const p of chain.problems) findings.push({ severity: 'error', code: 'chain-broken', message: `event log does not verify: ${p}` });
  if (chain.outside > 0) {
    findings.push({ severity: 'warning', code: 'events-outside-chain', message: `${chain.outside} stored event(s) are outside the chain (a write that lost a race, or a ledger entry rebuilt by recover-ledger)` });
  }
  const evidence = evidenceOf(chain.events);
  const current = currentGeneration(record);
  const settings = record.settings;
  const visible = record.generations.filter((g) => g.stage !== 'discarded');

  const generations = visible.map((g): GenerationReport => {
    const successor = visible.find((x) => x.n > g.n && x.activatedAt !== undefined);
    const dueAt = g.activatedAt ? nextDueDate(settings, g).toISOString() : undefined;
    return {
      generation: g.n,
      keyId: g.keyId,
      keyArn: g.keyArn,
      stage: stageText(g),
      kmsState: input.keys.get(g.n)?.state,
      source: g.adopted ? `adopted:${g.adopted.origin}` : g.keyMaterialDescription?.match(/source:(\S+)/)?.[1],
      ...(g.adopted ? { adopted: { origin: g.adopted.origin, fence: g.adopted.fence } } : {}),
      createdAt: g.kmsCreationDate,
      importedAt: g.importedAt,
      activatedAt: g.activatedAt,
      retiredAt: g.retiredAt,
      fencedAt: g.fencedAt,
      decryptUntil: recipientDeadline(g, dueAt),
      materialExpiresAt: g.materialValidTo,
      ...(g.materialValidTo ? { materialReimport: reimportedAutomatically(record, g) ? 'automatic' as const : 'manual' as const } : {}),
      ...(g.reimportedAt ? { reimportedAt: g.reimportedAt } : {}),
      keyMaterialId: g.keyMaterialId,
      dueAt,
      rotation: timeliness(successor, dueAt, now, current?.n === g.n),
      rotatedAt: successor?.activatedAt,
      lastUsage: input.keys.get(g.n)?.lastUsage,
      ...(g.escrow ? {
        escrow: {
          bucket: g.escrow.bucket,
          key: g.escrow.key,
          versionId: g.escrow.versionId,
          keyMaterialId: g.escrow.keyMaterialId,
          verifiedAt: g.escrow.verifiedAt,
        },
      } : {}),
    };
  });

  for (const g of generations) {
    if (g.rotation === 'late') findings.push({ severity: 'warning', code: 'late-rotation', message: `generation ${g.generation} was due ${g.dueAt} and was replaced only at ${g.rotatedAt}` });
  }
  if (record.status === 'active' && record.nextDueAt && now.getTime() > Date.parse(record.nextDueAt) + LATE_AFTER_MS) {
    findings.push({ severity: 'error', code: 'overdue', message: `rotation is overdue: generation ${current?.n ?? '?'} was due ${record.nextDueAt}` });
  }
  findings.push(...materialExpiry(record, now));
  if (record.rotation) {
    findings.push({ severity: 'info', code: 'rotation-in-progress', message: `rotation to generation ${record.rotation.n} (${record.rotation.reason}) is in phase ${record.rotation.phase}` });
  }
  if (chain.ok) findings.push(...ledgerAgainstLog(record, evidence.generations, evidence.rotations.at(-1)?.nextDueAt));
  findings.push(...ledgerAgainstKms(input, now));
  const policies = new Map([...input.keys].map(([n, k]) => [n, k?.policy]));
  findings.push(...configurationFindings(record, chain.events, policies));
  const unreadable = unreadableParts(generations);
  if (unreadable.length > 0) {
    const calls = unreadable.map((u) => `${u.call} of generation ${u.generation} (${u.keyId}): ${u.errorName}`).join('; ');
    findings.push({ severity: 'warning', code: 'unreadable', message: `could not read ${calls}; the report shows everything else, and what these would show is unknown` });
  }

  return {
    groupId: record.groupId,
    alias: settings.aliasName,
    intervalMonths: settings.intervalMonths,
    status: record.status,
    currentGeneration: current?.n,
    nextDueAt: record.nextDueAt,
    ...(record.rotation
      ? { rotationInProgress: { generation: record.rotation.n, phase: record.rotation.phase, reason: record.rotation.reason } }
      : {}),
    chain: { verified: chain.ok, events: chain.events.length, outside: chain.outside },
    seals,
    generations,
    findings,
    ...(unreadable.length > 0 ? { unreadable } : {}),
    generatedAt: now.toISOString(),
  };
}

function unreadableParts(generations: readonly GenerationReport[]): UnreadablePart[] {
  return generations.flatMap((g) => (g.lastUsage?.unreadable ? [{ ...g.lastUsage.unreadable, generation: g.generation, keyId: g.keyId }] : []));
}

/**
 * Expiring material that is kept (not disabled, not pending deletion): expired
 * is an error (the generation cannot decrypt until the same material is
 * imported again); within the expiry alarm's warning days a warning; and each
 * generation an operator must re-import by hand, with its date.
 */
function materialExpiry(record: GroupRecord, now: Date): Finding[] {
  const findings: Finding[] = [];
  const warningMs = materialExpiryWarningDays(record.settings.materialValidityDays) * 86_400_000;
  for (const g of expiringGenerations(record)) {
    const expires = Date.parse(g.materialValidTo!);
    const automatic = reimportedAutomatically(record, g);
    if (expires <= now.getTime()) {
      const until = automatic
        ? 'the rotation function re-imports it from the material provider (check the provider and the function\'s reimport step)'
        : 'the same material is imported again from escrow (docs/escrow-recovery.md)';
      findings.push({ severity: 'error', code: 'material-expired', message: `generation ${g.n}'s key material expired at ${g.materialValidTo}: the generation cannot decrypt until ${until}` });
    } else if (expires - now.getTime() <= warningMs) {
      const what = automatic
        ? 'the automatic re-import has not happened yet; check the provider and the function\'s reimport step'
        : 'import the same material again from escrow by then (docs/escrow-recovery.md)';
      findings.push({ severity: 'warning', code: 'material-expiring', message: `generation ${g.n}'s key material expires at ${g.materialValidTo}: ${what}` });
    } else if (!automatic) {
      findings.push({ severity: 'info', code: 'manual-reimport', message: `generation ${g.n}'s key material expires at ${g.materialValidTo}; re-import it by then from escrow (docs/escrow-recovery.md)` });
    }
  }
  return findings;
}

/** The stage, with what retention did to a retired generation. */
function stageText(g: GenerationRecord): string {
  if (g.deletionScheduledAt) return 'pending deletion';
  if (g.disabledAt) return `${g.stage} (disabled)`;
  if (g.retentionExemptAt) return `${g.stage} (exempt)`;
  return g.stage;
}

/** The key state the ledger implies: retention's disabled generations are Disabled, deleted ones PendingDeletion. */
export function expectedKeyState(g: GenerationRecord): string {
  return g.deletionScheduledAt ? 'PendingDeletion' : g.disabledAt ? 'Disabled' : 'Enabled';
}

function recipientDeadline(g: GenerationRecord, dueAt: string | undefined): string | undefined {
  const end = g.retiredAt ?? (g.stage === 'current' ? dueAt : undefined);
  return end ? addCalendarMonths(new Date(end), NIST_RECIPIENT_YEARS_AFTER_RETIREMENT * 12).toISOString() : undefined;
}

function timeliness(successor: GenerationRecord | undefined, dueAt: string | undefined, now: Date, isCurrent: boolean): Timeliness {
  if (!dueAt) return '-';
  const late = (t: number) => t > Date.parse(dueAt) + LATE_AFTER_MS;
  if (successor?.activatedAt) return late(Date.parse(successor.activatedAt)) ? 'late' : 'on time';
  if (!isCurrent) return '-';
  return late(now.getTime()) ? 'overdue' : 'not due';
}

const COMPARED_FIELDS = ['keyArn', 'activatedAt', 'retiredAt', 'fencedAt', 'importedAt', 'keyMaterialId'] as const;

/** The entry's generations and due date against what the verified log recorded when they were written. */
function ledgerAgainstLog(record: GroupRecord, logged: ReadonlyMap<number, GenerationEvidence>, loggedDueAt: string | undefined): Finding[] {
  const findings: Finding[] = [];
  const disagree = (message: string) => findings.push({ severity: 'error', code: 'ledger-disagrees-with-log', message });
  for (const g of record.generations) {
    const e = logged.get(g.n);
    if (!e) {
      disagree(`generation ${g.n} is in the ledger entry but not in its event log`);
      continue;
    }
    for (const field of COMPARED_FIELDS) {
      if ((g[field] ?? undefined) !== (e[field] ?? undefined)) {
        disagree(`generation ${g.n}: the ledger entry says ${field} ${g[field] ?? '(none)'}, its event log says ${e[field] ?? '(none)'}`);
      }
    }
    // A verified escrow is in the log (material-escrowed) with the same object and version.
    const escrowed = g.escrow?.verifiedAt ? `${g.escrow.bucket}/${g.escrow.key}` : undefined;
    if (escrowed !== e.escrowObject || (escrowed && (g.escrow!.versionId ?? undefined) !== (e.escrowVersionId ?? undefined))) {
      disagree(`generation ${g.n}: the ledger entry says escrow ${escrowed ?? '(none)'} ${g.escrow?.versionId ?? ''}`.trimEnd()
        + `, its event log says ${e.escrowObject ?? '(none)'} ${e.escrowVersionId ?? ''}`.trimEnd());
    }
  }
  for (const n of logged.keys()) {
    if (!record.generations.some((g) => g.n === n)) disagree(`generation ${n} is in the event log but missing from the ledger entry`);
  }
  if (!record.rotation && loggedDueAt && record.nextDueAt !== loggedDueAt) {
    disagree(`the ledger entry's next due date ${record.nextDueAt ?? '(none)'} is not the ${loggedDueAt} its last rotation recorded`);
  }
  return findings;
}

function ledgerAgainstKms(input: ReportInput, now: Date): Finding[] {
  const { record } = input;
  const findings: Finding[] = [];
  const windowMs = record.settings.propagationSeconds * 1000;
  for (const g of record.generations) {
    if (g.stage === 'discarded' || !input.keys.has(g.n)) continue;
    const k = input.keys.get(g.n);
    // KMS's reads may lag its writes: a difference on a key written within the propagation window may only be staleness.
    const lastWrite = Math.max(Date.parse(g.labelsWrittenAt ?? g.authorizableSince), Date.parse(g.authorizableSince));
    const severity: Severity = now.getTime() - lastWrite < windowMs ? 'warning' : 'error';
    const add = (what: string) => findings.push({
      severity, code: severity === 'error' ? 'kms-disagrees' : 'not-yet-visible', message: `generation ${g.n} (${g.keyId}): ${what}`,
    });
    if (!k) {
      add('KMS does not know this key');
      continue;
    }
    if (Date.parse(k.creationDate) !== Date.parse(g.kmsCreationDate)) add(`KMS says it was created ${k.creationDate}, the ledger says ${g.kmsCreationDate}`);
    const expectedState = expectedKeyState(g);
    if (k.state !== expectedState) add(`its key state is ${k.state}, expected ${expectedState}`);
    if (g.keyMaterialId && k.currentKeyMaterialId && k.currentKeyMaterialId !== g.keyMaterialId) {
      add(`its current key material is ${k.currentKeyMaterialId}, the ledger recorded ${g.keyMaterialId}`);
    }
    if (g.deletionScheduledAt) continue;
    const desired = desiredKeyState(record, g);
    // Tags of others (not this library's, not the stack's) are no concern of the report.
    const ours = Object.fromEntries(Object.entries(k.tags).filter(([t]) => t.startsWith(ROTATION_TAG_PREFIX) || t in desired.tags));
    for (const tag of labelDrift(ours, desired.tags)) {
      add(`tag ${tag} is ${JSON.stringify(k.tags[tag] ?? null)} in KMS, the ledger says ${JSON.stringify(desired.tags[tag] ?? null)}`);
    }
    const fenceExpected = g.fencedAt !== undefined;
    if (k.fenced !== fenceExpected) add(fenceExpected ? 'its key policy lacks the decrypt-only fence the ledger says it carries' : 'its key policy carries the decrypt-only fence, but the ledger says it is not retired');
  }
  const current = currentGeneration(record);
  if (current && record.status === 'active' && input.aliasTargetKeyId !== current.keyId) {
    const recent = now.getTime() - Date.parse(current.activatedAt ?? current.authorizableSince) < windowMs;
    findings.push({
      severity: recent ? 'warning' : 'error',
      code: recent ? 'not-yet-visible' : 'kms-disagrees',
      message: `alias ${record.settings.aliasName} points at ${input.aliasTargetKeyId ?? '(no key: the alias does not exist)'}, the ledger's current generation is ${current.n} (${current.keyId})`,
    });
  }
  return findings;
}
