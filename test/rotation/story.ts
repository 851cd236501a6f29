/**
 * The 24-month story: deploy, then the daily schedule fires every day for two
 * years while data is encrypted under the alias. Shared by the tests of the
 * TypeScript sources and of the shipped bundle.
 */
import { Handler, Harness } from './harness';
import { Kept } from './invariants';
import { TAG } from '../../lambda/rotation/tags';

export const STORY_GROUP = { groupId: 'story-group', aliasName: 'alias/story', intervalMonths: 6 };

export interface StoryResult {
  readonly kept: Kept[];
  readonly rotationDays: string[];
  readonly notDueWrites: number;
}

export async function runStory(h: Harness, handler: Handler): Promise<StoryResult> {
  await h.deploy(handler, { GroupId: STORY_GROUP.groupId, AliasName: STORY_GROUP.aliasName, IntervalMonths: String(STORY_GROUP.intervalMonths) });
  const kept: Kept[] = [];
  const rotationDays: string[] = [];
  let notDueWrites = 0;
  for (let day = 1; day <= 730; day++) {
    h.sim.clock.advanceDays(1);
    const writesBefore = h.sim.calls.writes();
    const r = await handler({ action: 'rotate-if-due', aliasName: STORY_GROUP.aliasName, groupId: STORY_GROUP.groupId });
    if ('outcome' in r && r.outcome === 'rotated') rotationDays.push(h.sim.clock.now().toISOString().slice(0, 10));
    else notDueWrites += h.sim.calls.writes() - writesBefore;
    if (day % 7 === 0) {
      const plaintext = `reading ${day}`;
      kept.push({ plaintext, ciphertext: await h.encrypt(STORY_GROUP.aliasName, plaintext) });
    }
  }
  return { kept, rotationDays, notDueWrites };
}

export function generations(h: Harness) {
  return h.groupKeys(STORY_GROUP.groupId).map((k) => ({
    id: k.id, generation: Number(k.tags[TAG.generation]), stage: k.tags[TAG.stage], state: k.state,
  }));
}
