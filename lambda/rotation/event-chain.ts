/**
 * The hash chain over a key group's events: each event carries the SHA-256 of
 * the previous one, and the group's ledger entry holds the newest (the head),
 * so an event deleted, edited or cut off the end no longer verifies. Pure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { EventBody } from './ledger-events';
import { ChainHead } from './ledger-model';

/** The hash the first event points back to. */
export type { ChainHead };

export const GENESIS_HASH = '0'.repeat(64);

export interface LedgerEvent extends EventBody {
  readonly groupId: string;
  /** 1, 2, 3, ... within the group. */
  readonly seq: number;
  readonly at: string;
  /** The Lambda request id of the run that made the change (or the CLI run's id). */
  readonly runId: string;
  readonly prevHash: string;
  /** SHA-256 (hex) of the event's canonical JSON (RFC 8785) without this field. */
  readonly hash: string;
}

export function eventHash(e: Omit<LedgerEvent, 'hash'>): string {
  const { hash: _ignored, ...body } = e as LedgerEvent;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Places `bodies` after `head` in the chain. */
export function chain(
  groupId: string, head: ChainHead | undefined, bodies: readonly EventBody[], at: string, runId: string,
): { events: LedgerEvent[]; head: ChainHead | undefined } {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const events = bodies.map((b) => {
    seq += 1;
    const unhashed = { ...b, groupId, seq, at, runId, prevHash };
    const e: LedgerEvent = { ...unhashed, hash: eventHash(unhashed) };
    prevHash = e.hash;
    return e;
  });
  return { events, head: events.length > 0 ? { seq, hash: prevHash } : head };
}

export interface ChainVerification {
  readonly ok: boolean;
  /** The chain's events, oldest first (as far back as it verified). */
  readonly events: readonly LedgerEvent[];
  /** What is wrong, one sentence each; empty when `ok`. */
  readonly problems: readonly string[];
  /** Stored events outside the chain: written by a change whose ledger write then lost a race, or left from a lost ledger entry. */
  readonly outside: number;
}

/**
 * Walks back from the head. A write that lost the race for the entry leaves
 * its events outside the chain (they are counted, not trusted); an event that
 * is missing, edited, or re-hashed after an edit breaks the walk.
 */
export function verifyChain(stored: readonly LedgerEvent[], head: ChainHead | undefined): ChainVerification {
  if (!head) {
    return stored.length === 0
      ? { ok: true, events: [], problems: [], outside: 0 }
      : { ok: false, events: [], problems: [`the ledger entry has no chain head, but ${stored.length} events are stored`], outside: stored.length };
  }
  const bySeq = new Map<number, LedgerEvent[]>();
  for (const e of stored) bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
  const problems: string[] = [];
  const walked: LedgerEvent[] = [];
  let expected = head.hash;
  for (let seq = head.seq; seq >= 1; seq--) {
    const candidates = bySeq.get(seq) ?? [];
    const e = candidates.find((c) => c.hash === expected);
    if (!e) {
      problems.push(candidates.length === 0
        ? `event ${seq} is missing from the ledger (deleted)`
        : `event ${seq} is not the one the chain recorded (edited, or replaced)`);
      break;
    }
    if (eventHash(e) !== e.hash) {
      problems.push(`event ${seq} (${e.type}) was edited: its content no longer matches its hash`);
      break;
    }
    if (seq === 1 && e.prevHash !== GENESIS_HASH) problems.push('event 1 does not start the chain');
    walked.unshift(e);
    expected = e.prevHash;
  }
  return { ok: problems.length === 0, events: walked, problems, outside: stored.length - walked.length };
}
