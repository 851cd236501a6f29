/**
 * Answers that tell the truth (issue 20, item 6): what rotate-now says right
 * after a promotion, under stale reads.
 */
import { rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { describeOutcome } from '../../lambda/cli/rotate-now-command';

const SECONDS = 1000;
const MINUTES = 60_000;

describe.each([5, 6])('rotate-now seconds after a promotion (stale reads, seed %i)', (seed) => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start({ consistency: { seed, readLagMs: 2 * SECONDS, newKeyNotFoundMs: 3 * SECONDS } });
    f = h.functions();
    await h.deploy(f);
    // A scheduled-looking rotation: started, then promoted by the schedule.
    await f.rotation(rotateNow());
    for (let i = 0; i < 6 && (await h.group()).rotation?.phase !== 'fence'; i++) await h.runSchedule(f, 10 * MINUTES);
    expect((await h.group()).rotation?.phase).toBe('fence');
    h.sim.clock.advance(5 * SECONDS);
  });
  afterEach(async () => h.stop());

  test('answers queued with the time it starts (the fence), and starts no earlier', async () => {
    const fenceAt = (await h.group()).rotation!.notBefore!;
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'queued', generation: 2, phase: 'fence', startsAt: fenceAt });
    expect(describeOutcome(r, 'alias/telemetry')).toContain(`It starts at the first scheduled run (every 10 minutes) after ${fenceAt}, not before.`);
    // The schedule until the fence: no generation 3 yet; the first run after it fences and starts it.
    const runs: string[] = [];
    while (h.sim.clock.now().getTime() + 10 * MINUTES <= Date.parse(fenceAt)) {
      runs.push(...(await h.runSchedule(f, 10 * MINUTES, rotateIfDue())).map((o) => o.outcome));
      expect((await h.group()).generations.map((g) => g.n)).toEqual([1, 2]);
    }
    await h.runSchedule(f, 10 * MINUTES, rotateIfDue());
    const rec = await h.group();
    expect(rec.generations.map((g) => g.n)).toEqual([1, 2, 3]);
    expect(rec.rotation).toMatchObject({ n: 3, reason: 'emergency' });
    expect(h.log.errors()).toEqual([]);
  });

  test('queued while another run holds the group: the same time, not "within 10 minutes"', async () => {
    const fenceAt = (await h.group()).rotation!.notBefore!;
    const until = new Date(h.sim.clock.now().getTime() + 2 * MINUTES).toISOString();
    await h.editLedger('telemetry-group', (x) => ({ ...x, lock: { owner: 'another-run', purpose: 'maintenance', until } }));
    const r = await f.rotation(rotateNow());
    expect(r).toMatchObject({ outcome: 'queued', busy: true, phase: 'fence', startsAt: fenceAt });
    const text = describeOutcome(r, 'alias/telemetry');
    expect(text).toContain(`after ${fenceAt}, not before`);
    expect(text).not.toContain('within 10 minutes');
  });
});
