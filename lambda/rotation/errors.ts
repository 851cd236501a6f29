/**
 * Errors the function raises on purpose. Their messages are safe to show to
 * CloudFormation and in logs: they never carry key material or import tokens.
 */

/** The event or configuration was refused before any KMS call. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** The group's keys are not in a state this function can safely change. */
export class InconsistentGroupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentGroupError';
  }
}

/** KMS answered something this function did not expect (a missing field, an unknown state). */
export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

export function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : 'Error';
}

export function isKmsError(e: unknown, ...names: string[]): boolean {
  return names.includes(errorName(e));
}

/**
 * The group's material provider (KeyMaterialSource.fromFunction) failed or
 * answered something unusable. Nothing was imported; the message names the
 * provider function and the problem.
 */
export class MaterialProviderError extends Error {
  constructor(readonly functionArn: string, problem: string) {
    super(`material provider ${functionArn} ${problem}; no key material was imported`);
    this.name = 'MaterialProviderError';
  }
}

/**
 * Escrow of generated material (MaterialEscrow) could not be written or
 * verified. The message names the bucket, the S3 operation and the object;
 * the generation is not promoted (the rotation stays in its import phase).
 */
export class EscrowError extends Error {
  constructor(readonly bucket: string, readonly operation: string, problem: string) {
    super(`escrow bucket ${bucket}: ${operation} ${problem}; the generation is not promoted until its escrow is written and verified`);
    this.name = 'EscrowError';
  }
}

/**
 * What a tampering finding names: the ledger entry's state seal is missing
 * or wrong, its settings seal is wrong, or a lock is longer than any lease.
 */
export type LedgerTampering = 'ledger-unsealed' | 'ledger-seal' | 'settings-seal' | 'lock';

/**
 * The ledger entry of a group failed verification: somebody other than the
 * library's functions (or their deploy) wrote it. Nothing is written to any
 * key; the run stops with one ERROR line that carries `tampering`.
 */
export class LedgerTamperedError extends Error {
  constructor(readonly groupId: string, readonly tampering: LedgerTampering, problem: string) {
    super(`tampering detected: the ledger entry of key group ${groupId} ${problem}; no key was changed`);
    this.name = 'LedgerTamperedError';
  }
}
