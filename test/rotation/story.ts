/**
 * The 24-month story: deploy, then the schedule fires in the configured hour
 * (03:05, 03:15, 03:25 UTC: the runs of the hour that can do anything for a
 * group that is not overdue) for two years, while data is encrypted under the
 * alias. Shared by the tests of the sources and of the shipped bundle.
 *
 * Runs are fired on the days where something can happen or is checked: the
 * two days either side of the ledger's due date, any day a rotation is under
 * way, every 7th day and every 1st of the month (an idle day's runs answer
 * not-due and, as every not-due run here is checked, write nothing). The
 * other days are skipped, as Scheduler's runs on them would change nothing.
 */
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { MS_PER_DAY } from '../kms-simulator';
import { cfnEvent, groupProps, rotateIfDue } from './fixtures';
import { Harness } from './harness';

export const STORY_GROUP = { groupId: 'story-group', aliasName: 'alias/story', intervalMonths: 6 };

export interface Kept { readonly ciphertext: Uint8Array; readonly plaintext: string }

export interface StoryResult {
  readonly kept: Kept[];
  readonly promotionDays: string[];
  readonly outcomes: RotationOutcome[];
  /** KMS writes made by runs that answered not-due. */
  readonly notDueWrites: number;
}

export type Invoke = (entry: 'lifecycle' | 'rotation', event: unknown) => Promise<unknown>;

export async function runStory(h: Harness, invoke: Invoke, { deploy } = { deploy: {} as Record<string, unknown> }): Promise<StoryResult> {
  await invoke('lifecycle', cfnEvent('Create', groupProps({ GroupId: STORY_GROUP.groupId, AliasName: STORY_GROUP.aliasName, IntervalMonths: String(STORY_GROUP.intervalMonths), ...deploy })));
  const kept: Kept[] = [];
  const promotionDays: string[] = [];
  const outcomes: RotationOutcome[] = [];
  let notDueWrites = 0;
  const start = h.sim.clock.now();
  for (let day = 1; day <= 730; day++) {
    const dayStart = new Date(start.getTime() + day * MS_PER_DAY);
    const rec = await h.group(STORY_GROUP.groupId);
    const nearDue = rec.nextDueAt !== undefined && Math.abs(dayStart.getTime() - Date.parse(rec.nextDueAt)) <= 2 * MS_PER_DAY;
    if (!nearDue && rec.rotation === undefined && day % 7 !== 0 && dayStart.getUTCDate() !== 1) continue;
    for (const minute of [5, 15, 25]) {
      const t = new Date(dayStart);
      t.setUTCHours(3, minute, 0, 0);
      h.sim.clock.set(t);
      const writesBefore = h.sim.calls.writes();
      const r = await invoke('rotation', rotateIfDue(STORY_GROUP.aliasName, STORY_GROUP.groupId)) as RotationOutcome;
      outcomes.push(r);
      if (r.outcome === 'promoted') promotionDays.push(t.toISOString().slice(0, 10));
      if (r.outcome === 'not-due') notDueWrites += h.sim.calls.writes() - writesBefore;
      const plaintext = `reading ${day} ${minute}`;
      if (day % 7 === 0 || r.outcome !== 'not-due') kept.push({ plaintext, ciphertext: await h.encrypt(STORY_GROUP.aliasName, plaintext) });
    }
  }
  return { kept, promotionDays, outcomes, notDueWrites };
}
