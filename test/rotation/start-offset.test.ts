/**
 * A fleet's scheduled rotations are spread over the minute deterministically.
 */
import { rotateIfDue, rotateNow } from './fixtures';
import { Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { START_SPREAD_SECONDS, startOffsetSeconds } from '../../lambda/rotation/start-offset';

describe('start offsets', () => {
  test('derived from the group id: the same every time, spread over the minute', () => {
    const ids = Array.from({ length: 600 }, (_, i) => `group-${i}`);
    const offsets = ids.map(startOffsetSeconds);
    expect(ids.map(startOffsetSeconds)).toEqual(offsets);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(START_SPREAD_SECONDS);
    const perSecond = new Array(START_SPREAD_SECONDS).fill(0);
    for (const o of offsets) perSecond[o] += 1;
    // 10 per second on average; no second holds more than three times that.
    expect(Math.max(...perSecond)).toBeLessThan(30);
    expect(perSecond.filter((n) => n === 0).length).toBeLessThan(3);
  });

  test('a scheduled rotation starts its offset into the run; an emergency at once', async () => {
    const h = await Harness.start();
    try {
      const f = h.functions();
      await h.deploy(f);
      const run = new Date('2026-07-01T03:00:00Z');
      h.sim.clock.set(run);
      await f.rotation(rotateIfDue());
      const rec = await h.group();
      // The rotation counts from the run (due dates do not drift); its key is made the offset later.
      expect(rec.rotation!.startedAt).toBe(run.toISOString());
      const made = Date.parse(rec.generations.find((g) => g.n === 2)!.authorizableSince);
      expect(made - run.getTime()).toBeGreaterThanOrEqual(startOffsetSeconds('telemetry-group') * 1000);
      expect(made - run.getTime()).toBeLessThan(startOffsetSeconds('telemetry-group') * 1000 + 60_000);
      h.sim.clock.advance(3_600_000);
      await f.rotation(rotateIfDue());
      h.sim.clock.advance(3_600_000);
      await f.rotation(rotateIfDue());
      expect(currentGeneration(await h.group())!.n).toBe(2);
      const now = h.sim.clock.now().getTime();
      await f.rotation(rotateNow());
      expect(Date.parse((await h.group()).rotation!.startedAt)).toBe(now);
    } finally {
      await h.stop();
    }
  });
});
