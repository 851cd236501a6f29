/**
 * The event log's hash chain and canonical JSON, on their own (pure).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lambda/rotation/canonical-json';
import { chain, eventHash, GENESIS_HASH, LedgerEvent, verifyChain } from '../../lambda/rotation/event-chain';
import { EventBody } from '../../lambda/rotation/ledger-events';

const bodies: EventBody[] = [
  { type: 'group-created', reason: 'deploy', detail: { alias: 'alias/x', intervalMonths: 6 } },
  { type: 'rotation-started', reason: 'deploy', generation: 1, phase: 'create' },
  { type: 'generation-created', reason: 'deploy', generation: 1, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k1' },
  { type: 'generation-activated', reason: 'deploy', generation: 1, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k1' },
];

function built(): { events: LedgerEvent[]; head: { seq: number; hash: string } } {
  const first = chain('g', undefined, bodies.slice(0, 2), '2026-01-01T00:00:00.000Z', 'run-1');
  const second = chain('g', first.head, bodies.slice(2), '2026-01-01T00:01:00.000Z', 'run-2');
  return { events: [...first.events, ...second.events], head: second.head! };
}

describe('canonical JSON (RFC 8785)', () => {
  test('sorts keys at every depth, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: true, c: null }, 'x'], e: undefined })).toBe('{"a":[3,{"c":null,"d":true},"x"],"b":1}');
  });

  test('orders keys by UTF-16 code units and escapes as JSON.stringify does', () => {
    expect(canonicalJson({ é: 1, Z: 2, a: '\u2028"' })).toBe('{"Z":2,"a":"\u2028\\"","é":1}');
  });

  test('refuses values JSON cannot represent', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no representation/);
    expect(() => canonicalJson([undefined])).toThrow(/no representation/);
  });
});

describe('the hash chain', () => {
  test('numbers events from 1, links each to the previous hash, and the head is the last', () => {
    const { events, head } = built();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i].prevHash).toBe(events[i - 1].hash);
    expect(head).toEqual({ seq: 4, hash: events[3].hash });
    expect(events.map((e) => e.runId)).toEqual(['run-1', 'run-1', 'run-2', 'run-2']);
  });

  test('an event hash is SHA-256 of its canonical JSON without the hash, so anyone can recompute it', () => {
    const { events } = built();
    const { hash, ...rest } = events[2];
    expect(hash).toBe(createHash('sha256').update(canonicalJson(rest)).digest('hex'));
    expect(eventHash(events[2])).toBe(hash);
  });

  test('an intact chain verifies, in any storage order', () => {
    const { events, head } = built();
    const v = verifyChain([...events].reverse(), head);
    expect(v).toMatchObject({ ok: true, problems: [], outside: 0 });
    expect(v.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  test('events of a write that lost its race sit outside the chain and do not break it', () => {
    const { events, head } = built();
    const loser = chain('g', { seq: 2, hash: events[1].hash }, [{ type: 'emergency-requested', reason: 'emergency' }], '2026-01-01T00:01:00.000Z', 'run-3');
    const v = verifyChain([...events, ...loser.events], head);
    expect(v).toMatchObject({ ok: true, outside: 1 });
  });

  test('a deleted event breaks the chain and is named', () => {
    const { events, head } = built();
    const v = verifyChain(events.filter((e) => e.seq !== 2), head);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual(['event 2 is missing from the ledger (deleted)']);
  });

  test('an event cut off the end is missing (the head still names it)', () => {
    const { events, head } = built();
    expect(verifyChain(events.slice(0, 3), head).problems).toEqual(['event 4 is missing from the ledger (deleted)']);
  });

  test('an edited event no longer matches its hash', () => {
    const { events, head } = built();
    const edited = events.map((e) => (e.seq === 3 ? { ...e, at: '2025-12-01T00:00:00.000Z' } : e));
    expect(verifyChain(edited, head).problems).toEqual(['event 3 (generation-created) was edited: its content no longer matches its hash']);
  });

  test('an edited event given a fresh hash no longer matches what the next event recorded', () => {
    const { events, head } = built();
    const edited = events.map((e) => {
      if (e.seq !== 3) return e;
      const { hash: _h, ...rest } = { ...e, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/other' };
      return { ...rest, hash: eventHash(rest) };
    });
    expect(verifyChain(edited, head).problems).toEqual(['event 3 is not the one the chain recorded (edited, or replaced)']);
  });

  test('events stored without a head do not verify', () => {
    const { events } = built();
    expect(verifyChain(events, undefined)).toMatchObject({ ok: false, outside: 4 });
    expect(verifyChain([], undefined)).toMatchObject({ ok: true, outside: 0 });
  });
});
