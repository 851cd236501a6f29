/**
 * Log and counters of the calls received by the simulator (KMS and tagging operations).
 */

/** Operations that change simulator state when they succeed. */
export const MUTATING_OPERATIONS: ReadonlySet<string> = new Set([
  'CreateKey',
  'ImportKeyMaterial',
  'DeleteImportedKeyMaterial',
  'CreateAlias',
  'UpdateAlias',
  'DeleteAlias',
  'TagResource',
  'UntagResource',
  'PutKeyPolicy',
  'EnableKey',
  'DisableKey',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'RotateKeyOnDemand',
  'UpdateKeyDescription',
]);

/** Request members whose (binary or secret) values are replaced in the log. */
const REDACTED_MEMBERS: ReadonlySet<string> = new Set([
  'Plaintext',
  'CiphertextBlob',
  'EncryptedKeyMaterial',
  'ImportToken',
  'Message',
  'Mac',
]);

export interface CallRecord {
  /** Operation name without the service prefix, e.g. `CreateKey` or `GetResources`. */
  readonly op: string;
  /** The JSON request, with blob members replaced by `'<redacted>'`. */
  readonly request: Record<string, unknown>;
  readonly ok: boolean;
  /** Error code (e.g. `NotFoundException`) when `ok` is false. */
  readonly error?: string;
}

export class CallLog {
  private records: CallRecord[] = [];

  /** Number of calls received (successful or not), in total or for one operation. */
  public count(op?: string): number {
    return op === undefined ? this.records.length : this.records.filter((r) => r.op === op).length;
  }

  /** Number of calls received per operation. */
  public byOperation(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) {
      out[r.op] = (out[r.op] ?? 0) + 1;
    }
    return out;
  }

  /** Every call in arrival order (copies). */
  public list(): CallRecord[] {
    return this.records.map((r) => ({ ...r, request: { ...r.request } }));
  }

  /**
   * Number of calls to mutating operations (see `MUTATING_OPERATIONS`). By default only
   * successful calls count, because failed calls change nothing.
   */
  public writes(opts: { includeFailed?: boolean } = {}): number {
    return this.records.filter((r) => MUTATING_OPERATIONS.has(r.op) && (r.ok || opts.includeFailed === true)).length;
  }

  /** Forgets every recorded call. */
  public reset(): void {
    this.records = [];
  }

  /** @internal */
  public record(op: string, request: Record<string, unknown>, ok: boolean, error?: string): void {
    this.records.push({ op, request: redact(request), ok, ...(error !== undefined ? { error } : {}) });
  }
}

function redact(request: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request)) {
    out[k] = REDACTED_MEMBERS.has(k) && v !== undefined && v !== null ? '<redacted>' : v;
  }
  return out;
}
