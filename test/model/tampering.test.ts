/**
 * The tampering actor (tampering.ts) in fixed histories: each kind of
 * tampering is refused and reported, the repaired entry verifies, the
 * history goes on; and the tampering check is not vacuous: where the seal
 * keys keep KMS's default policy the admin can seal a tampered entry again,
 * the functions act on it, and the check reports the writes.
 */
import { AdvanceClock, Cmd, EmergencyRun, ScheduledRuns } from './commands';
import { envOptionsFor, ModelEnv, ModelEnvOptions } from './env';
import { NO_FAULT } from './faults';
import { formatReport, HistoryReport, runHistory } from './runner';
import { ForeignStackEvent, LEDGER_EDITS, LedgerTampering, RelabelKey } from './tampering';

const START = new Date('2026-03-01T03:00:00Z');

async function replay(commands: Cmd[], options: ModelEnvOptions = envOptionsFor(20261122)): Promise<HistoryReport> {
  const env = await ModelEnv.start(options);
  try {
    return await runHistory(env, { setup: { start: START, intervalMonths: 6, removal: 'destroy' }, commands }, 1);
  } finally {
    await env.stop();
  }
}

function expectClean(r: HistoryReport): void {
  if (r.violations.length > 0) throw new Error(`the history broke an invariant:\n${formatReport(r)}`);
  expect(r.violations).toEqual([]);
}

describe('the tampering actor is refused, reported, and repaired', () => {
  test('every ledger edit, with the seal kept or dropped, read by the schedule, an emergency and a deploy', async () => {
    const commands: Cmd[] = [new EmergencyRun(false, NO_FAULT), new ScheduledRuns(3, NO_FAULT)];
    LEDGER_EDITS.forEach((edit, i) => {
      commands.push(new LedgerTampering(edit, i % 2 === 0 ? 'kept' : 'dropped', i % 3 === 0 ? 'scheduled' : 'rotate-now'));
      if (i % 2 === 0) commands.push(new LedgerTampering(edit, 'kept', 'update'));
    });
    commands.push(new AdvanceClock({ to: 'due-hour' }), new ScheduledRuns(3, NO_FAULT));
    const r = await replay(commands);
    expectClean(r);
    const refusals = r.trace.filter((t) => /^tampering: the ledger entry/.test(t) && /failed: LedgerTamperedError/.test(t));
    expect(refusals).toHaveLength(LEDGER_EDITS.length + Math.ceil(LEDGER_EDITS.length / 2));
    // After the repairs the schedule rotates again.
    expect(r.outcomes['rotate-if-due completed'] ?? 0).toBeGreaterThan(0);
  });

  test('CloudFormation events of another stack and relabelled keys', async () => {
    const r = await replay([
      new ForeignStackEvent('Update'), new ForeignStackEvent('Delete'),
      new RelabelKey('victim'), new RelabelKey('current'),
      new AdvanceClock({ to: 'minutes', n: 6 }),
      new EmergencyRun(false, NO_FAULT), new ScheduledRuns(3, NO_FAULT),
      new RelabelKey('retired'), new AdvanceClock({ to: 'due-hour' }), new ScheduledRuns(3, NO_FAULT),
    ]);
    expectClean(r);
    expect(r.trace.filter((t) => /foreign (Update|Delete): failed: InvalidRequestError/.test(t))).toHaveLength(2);
    expect(r.trace.filter((t) => /^tampering: the \w+ key tagged/.test(t) && /\(tagged\)/.test(t)).length).toBeGreaterThan(0);
  });
});

describe('the tampering check is not vacuous', () => {
  test('a tampered entry sealed again (seal keys whose policies let the account seal) is acted on, and the check reports it', async () => {
    const r = await replay(
      [new LedgerTampering('policy-foreign', 'resealed', 'rotate-now')],
      { ...envOptionsFor(20261122), sealKeyDeny: false },
    );
    expect(r.violations.filter((v) => /^10: after the ledger edit policy-foreign \(seal resealed\), rotate-now was not refused/.test(v))).not.toEqual([]);
    expect(r.violations.filter((v) => /^10: after the ledger edit policy-foreign \(seal resealed\), rotate-now changed KMS before a repair: CreateKey/.test(v))).not.toEqual([]);
    expect(r.violations.filter((v) => /^10: .* ERROR line\(s\) with a tampering attribute/.test(v))).not.toEqual([]);
    expect(r.violations.filter((v) => /^10: .* names the attacker's account/.test(v))).not.toEqual([]);
  });
});
