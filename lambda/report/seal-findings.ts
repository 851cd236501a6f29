/**
 * What the ledger entry's two seals say, for the report. The event chain is
 * plain SHA-256 that anyone may recompute; the seals are KMS MACs only the
 * library's functions (ledger seal) and only a deploy (settings seal) can
 * make, so they are what ties the entry, its chain head and its settings to
 * the library. Pure.
 */
import type { SealCheck } from '../rotation/seal-gateway';

/** `not checked`: the report was not given the seal keys. `missing`: no seal of the given key. */
export type SealStatus = 'verified' | 'invalid' | 'missing' | 'not checked';

export interface SealReport {
  /** The ledger (state) seal: a MAC over the whole entry, its chain head and settings seal included. */
  readonly ledger: SealStatus;
  /** The settings seal: a MAC over the settings a deploy gave. */
  readonly settings: SealStatus;
}

export type SealFindingCode = 'ledger-seal' | 'settings-seal';

export interface SealFinding {
  readonly severity: 'error';
  readonly code: SealFindingCode;
  readonly message: string;
}

const STATUS: Record<SealCheck, SealStatus> = { valid: 'verified', invalid: 'invalid', foreign: 'missing' };

export function sealReportOf(checks: { readonly state: SealCheck; readonly settings: SealCheck } | undefined): SealReport {
  if (!checks) return { ledger: 'not checked', settings: 'not checked' };
  return { ledger: STATUS[checks.state], settings: STATUS[checks.settings] };
}

export function sealsVerified(s: SealReport): boolean {
  return s.ledger === 'verified' && s.settings === 'verified';
}

export function sealFindings(s: SealReport): SealFinding[] {
  // Not checked is the verdict's (unverified), not a finding: nothing was found wrong.
  if (s.ledger === 'not checked') return [];
  const findings: SealFinding[] = [];
  if (s.ledger !== 'verified') {
    findings.push({
      severity: 'error',
      code: 'ledger-seal',
      message: s.ledger === 'invalid'
        ? 'the ledger seal does not verify: the entry (its generations, dates and event-chain head) was written by somebody other than the library\'s functions, so its event log and dates prove nothing'
        : 'the entry carries no ledger seal of the given key: it was written outside the library\'s functions (or no deploy of a sealing version has written it yet), so its event log and dates prove nothing',
    });
  }
  if (s.settings !== 'verified') {
    findings.push({
      severity: 'error',
      code: 'settings-seal',
      message: s.settings === 'invalid'
        ? 'the settings seal does not verify: the entry\'s settings (key policy, alias, interval, material source, escrow) are not the ones a deploy gave'
        : 'the entry carries no settings seal of the given key: its settings (key policy, alias, interval, material source, escrow) are not known to be the ones a deploy gave',
    });
  }
  return findings;
}
