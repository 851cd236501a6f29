import { Harness } from './harness';
import { invariantViolations, Kept } from './invariants';
import { TAG } from '../../lambda/rotation/tags';

const DAY = 86_400_000;
const CALLS_PER_ROTATION = 15;

/**
 * For every KMS call k of a rotation: the function dies right after call k (every
 * later call fails and the SDK does not retry), then the next day's scheduled run
 * must end in a consistent state with exactly one new generation.
 */
describe('a rotation that dies after any of its KMS calls is finished by the next run', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  test.each(Array.from({ length: CALLS_PER_ROTATION }, (_, i) => i + 1))('dies after call %i', async (k) => {
    const g = { groupId: `crash-${k}`, aliasName: `alias/crash-${k}`, intervalMonths: 6 };
    const handler = h.handler({ maxAttempts: 1 });
    await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
    const kept: Kept[] = [{ plaintext: 'before', ciphertext: await h.encrypt(g.aliasName, 'before') }];
    h.sim.clock.advance(DAY * 200);
    const callsFrom = h.sim.calls.count();

    h.sim.faults.failAfter(k);
    const dying = handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    if (k < CALLS_PER_ROTATION) await expect(dying).rejects.toThrow();
    else await expect(dying).resolves.toMatchObject({ outcome: 'rotated' });
    h.sim.faults.clear();
    expect(h.sim.calls.count() - callsFrom).toBe(Math.min(k + 1, CALLS_PER_ROTATION));
    expect(await invariantViolations(h, g, { kept, allowPending: true, callsFrom })).toEqual([]);

    h.sim.clock.advance(DAY);
    const next = await handler({ action: 'rotate-if-due', aliasName: g.aliasName });
    expect(next).toMatchObject({ outcome: k < CALLS_PER_ROTATION ? 'rotated' : 'not-due', generation: 2 });
    kept.push({ plaintext: 'after', ciphertext: await h.encrypt(g.aliasName, 'after') });

    const keys = h.groupKeys(g.groupId).filter((key) => key.state !== 'PendingDeletion');
    expect(keys.map((key) => [key.tags[TAG.generation], key.tags[TAG.stage]])).toEqual([['1', 'retired'], ['2', 'current']]);
    expect(await invariantViolations(h, g, { kept, callsFrom })).toEqual([]);
  });

  test('a claim younger than the lease belongs to a live run: the next run leaves it alone', async () => {
    const g = { groupId: 'crash-live', aliasName: 'alias/crash-live', intervalMonths: 6 };
    const handler = h.handler({ maxAttempts: 1 });
    await h.deploy(handler, { GroupId: g.groupId, AliasName: g.aliasName });
    h.sim.clock.advance(DAY * 200);
    h.sim.faults.failAfter(7); // dies after registering the new key
    await expect(handler({ action: 'rotate-if-due', aliasName: g.aliasName })).rejects.toThrow();
    h.sim.faults.clear();
    const writes = h.sim.calls.writes();
    h.sim.clock.advance(60_000);
    await expect(handler({ action: 'rotate-now', aliasName: g.aliasName })).resolves.toEqual({ outcome: 'in-progress', generation: 2 });
    expect(h.sim.calls.writes()).toBe(writes);
  });
});
