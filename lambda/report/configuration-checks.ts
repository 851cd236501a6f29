/**
 * The deployed configuration against the ledger's settings (sealed by a
 * deploy when the report verified the settings seal): statements in a key's
 * policy that the settings do not produce (an out-of-band PutKeyPolicy), a
 * generation whose material came from another source than the settings said
 * when it was made, and an escrow object wrapped to another escrow key. Pure.
 */
import { canonicalJson } from '../rotation/canonical-json';
import { escrowFingerprint } from '../rotation/escrow';
import { LedgerEvent } from '../rotation/event-chain';
import { desiredKeyState } from '../rotation/key-state';
import { GenerationRecord, GroupRecord } from '../rotation/ledger-model';
import { PolicyDocument, SID } from '../rotation/policy';
import { GroupSettings, materialSourceOf } from '../rotation/settings';

export type ConfigurationFindingCode = 'out-of-band-change' | 'material-source-differs' | 'escrow-key-differs';

export interface ConfigurationFinding {
  readonly severity: 'error';
  readonly code: ConfigurationFindingCode;
  readonly message: string;
}

/** A generation's key policy as KMS returned it; absent for a key KMS does not know or that is pending deletion. */
export type KeyPolicies = ReadonlyMap<number, PolicyDocument | undefined>;

export function configurationFindings(record: GroupRecord, events: readonly LedgerEvent[], policies: KeyPolicies): ConfigurationFinding[] {
  const findings: ConfigurationFinding[] = [];
  for (const g of record.generations) {
    if (g.stage === 'discarded') continue;
    findings.push(...policyFindings(record, g, policies.get(g.n)));
    findings.push(...materialSourceFindings(record.settings, events, g));
    findings.push(...escrowFindings(record.settings, events, g));
  }
  return findings;
}

/**
 * Statements in KMS that the settings' policy does not hold. An adopted key keeps its own policy (not compared);
 * a generation whose applied policy digest is not the desired one is still to be updated by the library (skipped).
 * The fence is compared by the report's KMS checks.
 */
function policyFindings(record: GroupRecord, g: GenerationRecord, actual: PolicyDocument | undefined): ConfigurationFinding[] {
  if (!actual || g.adopted) return [];
  const desired = desiredKeyState(record, g);
  if (!desired.policy || g.appliedPolicyDigest !== desired.policyDigest) return [];
  const produced = new Set(desired.policy.Statement.map(canonicalJson));
  return actual.Statement
    .filter((s) => s.Sid !== SID.retiredFence && !produced.has(canonicalJson(s)))
    .map((s) => ({
      severity: 'error' as const,
      code: 'out-of-band-change' as const,
      message: `generation ${g.n} (${g.keyId}): its key policy holds a statement the settings do not produce (changed outside the library): ${canonicalJson(s)}`,
    }));
}

/** Whether a deploy changed the setting after the generation was made (settings-updated events of the verified log). */
function changedSince(events: readonly LedgerEvent[], setting: keyof GroupSettings, g: GenerationRecord): boolean {
  return events.some((e) => e.type === 'settings-updated' && Date.parse(e.at) > Date.parse(g.claimedAt)
    && Array.isArray(e.detail?.changed) && (e.detail.changed as unknown[]).includes(setting));
}

function materialSourceFindings(settings: GroupSettings, events: readonly LedgerEvent[], g: GenerationRecord): ConfigurationFinding[] {
  // Not recorded (imported before sources were recorded, or a ledger rebuilt by recover-ledger): nothing to compare.
  if (g.adopted || !g.importedAt || !g.materialSource || changedSince(events, 'materialSource', g)) return [];
  const recorded = g.materialSource;
  const configured = materialSourceOf(settings).type;
  if (recorded === configured) return [];
  return [{
    severity: 'error',
    code: 'material-source-differs',
    message: `generation ${g.n}: its material is recorded as ${recorded}, the settings it was made under say ${configured}`,
  }];
}

function escrowFindings(settings: GroupSettings, events: readonly LedgerEvent[], g: GenerationRecord): ConfigurationFinding[] {
  // Nothing to compare with: no fingerprint recorded, no escrow key in the settings, or a deploy changed it since.
  if (!g.escrow?.fingerprint || !settings.escrow || changedSince(events, 'escrow', g)) return [];
  const configured = escrowFingerprint(settings.escrow.publicKey);
  if (configured === g.escrow.fingerprint) return [];
  return [{
    severity: 'error',
    code: 'escrow-key-differs',
    message: `generation ${g.n}: its escrow object is wrapped to the key with fingerprint ${g.escrow.fingerprint}, the settings it was made under name ${configured}`,
  }];
}
