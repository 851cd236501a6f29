/**
 * What the ledger's two seals cover (see docs/security-model.md, "Sealed
 * configuration and ledger"). KMS MACs at most 4,096 bytes, so each seal
 * covers a SHA-256 digest of the canonical JSON, under a label that names
 * the seal's purpose, the ledger table and the group: a seal of one group or
 * table never verifies for another. Pure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

export type SealKind = 'settings' | 'state';

/** A MAC made by one of the stack's seal keys. */
export interface Seal {
  /** The ARN of the HMAC key that made the MAC. */
  readonly keyArn: string;
  /** The MAC, base64. */
  readonly mac: string;
}

const LABELS: Record<SealKind, string> = {
  settings: 'rotating-imported-key/settings-seal/v1',
  state: 'rotating-imported-key/ledger-state-seal/v1',
};

export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** The message a seal of `kind` covers for `content` of `groupId` in `tableName`. */
export function sealMessage(kind: SealKind, tableName: string, groupId: string, content: unknown): Buffer {
  return Buffer.from(`${LABELS[kind]}\n${tableName}\n${groupId}\n${digestOf(content)}`, 'utf8');
}
