/**
 * Two years of the schedule against the sources: four rotations on the due
 * dates, each staged, and every ciphertext still decrypts.
 */
import { Harness } from './harness';
import { runStory, STORY_GROUP } from './story';

describe('24-month story, N = 6 (sources)', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  test('rotates on the due dates, staged, and loses nothing', async () => {
    const f = h.functions();
    const story = await runStory(h, (entry, event) => f[entry](event));
    expect(story.promotionDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(story.outcomes.filter((o) => o.outcome === 'completed')).toHaveLength(4);
    expect(story.notDueWrites).toBe(0);
    const rec = await h.group(STORY_GROUP.groupId);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'retired', 'retired', 'current']);
    expect(rec.generations.every((g) => g.stage === 'current' || g.fencedAt)).toBe(true);
    for (const k of story.kept) expect(await h.decrypt(k.ciphertext)).toBe(k.plaintext);
    expect(h.log.errors()).toEqual([]);
  });
});
