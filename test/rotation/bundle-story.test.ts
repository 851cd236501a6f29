/**
 * The file that ships in the package (assets/lambda/rotation-function/index.js),
 * run in its own Node process with its own bundled SDK clients configured only
 * from the environment, passes the 24-month story too.
 */
import { BundleProcess } from './bundle-process';
import { CREDENTIALS, Harness, REGION } from './harness';
import { invariantViolations } from './invariants';
import { generations, runStory, STORY_GROUP } from './story';

describe('24-month story, N = 6 (shipped bundle)', () => {
  let h: Harness;
  let bundle: BundleProcess;
  beforeAll(async () => {
    h = await Harness.start();
    bundle = new BundleProcess({
      AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: h.sim.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }, h.log);
  });
  afterAll(async () => {
    bundle.stop();
    await h.stop();
  });

  test('the bundle rotates 4 times on the due dates and every ciphertext still decrypts', async () => {
    const story = await runStory(h, (event) => bundle.invoke(event, h.sim.clock.now()));
    expect(story.rotationDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(story.notDueWrites).toBe(0);
    expect(generations(h).map((g) => g.stage)).toEqual(['retired', 'retired', 'retired', 'retired', 'current']);
    expect(h.log.lines.filter((l) => l.attributes.step === 'promote')).toHaveLength(5);
    expect(await invariantViolations(h, STORY_GROUP, { kept: story.kept })).toEqual([]);
  });

  test('the bundle refuses a malformed event before any KMS call', async () => {
    const calls = h.sim.calls.count();
    await expect(bundle.invoke({ action: 'rotate-sometime', aliasName: 'alias/story' }, h.sim.clock.now())).rejects.toThrow(/unknown action "rotate-sometime"/);
    expect(h.sim.calls.count()).toBe(calls);
  });
});
