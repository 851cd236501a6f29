/**
 * A run that dies before any of its AWS calls (KMS, tagging or the ledger) is
 * finished by later scheduled runs, once its lock's lease has passed: exactly
 * one new generation, no key left behind, the writer never denied.
 */
import { CallBudget } from './dying';
import { rotateIfDue, rotateNow } from './fixtures';
import { Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';

const LEASE_MS = 2 * 60_000;
const HOUR = 3_600_000;

describe('a rotation that dies before any of its calls', () => {
  let h: Harness;
  let callsOfOneRotation: number;
  beforeAll(async () => {
    h = await Harness.start();
    // Count the AWS calls of a whole emergency rotation (started, promoted, fenced) with a budget that never runs out.
    const budget = new CallBudget(Number.MAX_SAFE_INTEGER);
    const f = h.functions({ leaseMs: LEASE_MS });
    await h.deploy(f, { GroupId: 'count', AliasName: 'alias/count' });
    const counting = h.functions({ leaseMs: LEASE_MS, budget });
    await counting.rotation(rotateNow('alias/count', 'count'));
    await h.runSchedule(counting, HOUR, rotateIfDue('alias/count', 'count'));
    callsOfOneRotation = budget.calls;
  });
  afterAll(async () => h.stop());

  test('the rotation is counted', () => {
    // discover + lock + create + register + import + test + promote + label + fence + label + not-due runs ...
    expect(callsOfOneRotation).toBeGreaterThan(20);
  });

  test('dies at every call in turn; later runs finish it', async () => {
    for (let k = 0; k < callsOfOneRotation; k++) {
      const groupId = `crash-${k}`;
      const aliasName = `alias/crash-${k}`;
      const healthy = h.functions({ leaseMs: LEASE_MS });
      await h.deploy(healthy, { GroupId: groupId, AliasName: aliasName });
      const before = await h.encrypt(aliasName, 'before');
      const dying = h.functions({ leaseMs: LEASE_MS, budget: new CallBudget(k), maxAttempts: 1 });
      // The dying function runs the rotation's first run and the schedule's next ones, until it dies.
      let emergencyAnswered = false;
      let died = false;
      try {
        await dying.rotation(rotateNow(aliasName, groupId));
        emergencyAnswered = true;
        await h.runSchedule(dying, HOUR, rotateIfDue(aliasName, groupId));
      } catch (e) {
        expect((e as Error).name).toBe('FunctionDied');
        died = true;
      }
      expect(died).toBe(true);
      // An operator whose rotate-now got no answer asks again: still exactly one new generation.
      if (!emergencyAnswered) await healthy.rotation(rotateNow(aliasName, groupId));
      // The schedule goes on with a healthy function (the dead run's lock expires after its lease).
      await h.runSchedule(healthy, 2 * HOUR, rotateIfDue(aliasName, groupId), async () => {
        await h.encrypt(aliasName, 'during');
      });
      const rec = await h.group(groupId);
      const where = `died at call ${k + 1}`;
      expect([where, rec.rotation]).toEqual([where, undefined]);
      expect([where, rec.generations.map((g) => [g.n, g.stage, !!g.fencedAt])]).toEqual([where, [[1, 'retired', true], [2, 'current', false]]]);
      const keys = h.groupKeys(groupId).filter((x) => x.state !== 'PendingDeletion');
      expect([where, keys.length]).toEqual([where, 2]);
      expect(h.aliasTarget(aliasName)).toBe(currentGeneration(rec)!.keyId);
      expect(await h.decrypt(before)).toBe('before');
    }
    // One deploy and a rotation per call of a rotation (about 60): minutes on a busy two-core machine.
  });
});
