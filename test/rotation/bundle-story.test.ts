/**
 * The file that ships in the package (assets/lambda/rotation-function/index.js),
 * run in its own process under Node.js 24 (the functions' runtime, nodejs24.x)
 * with its own bundled SDK clients configured only from the environment,
 * passes the 24-month story too.
 */
import { execFileSync } from 'node:child_process';
import { BundleProcess } from './bundle-process';
import { Harness, SIMULATOR_CREDENTIALS } from './harness';
import { runStory, STORY_GROUP } from './story';
import { node24Binary } from '../construct/node24';

describe('24-month story, N = 6 (shipped bundle)', () => {
  let h: Harness;
  let bundle: BundleProcess;
  beforeAll(async () => {
    h = await Harness.start();
    bundle = new BundleProcess(h.bundleEnvironment(SIMULATOR_CREDENTIALS), h.log, node24Binary());
  });
  afterAll(async () => {
    bundle.stop();
    await h.stop();
  });

  test('runs under Node.js 24', () => {
    expect(execFileSync(node24Binary(), ['--version']).toString()).toMatch(/^v24\./);
  });

  test('the bundle rotates 4 times on the due dates, staged, and every ciphertext still decrypts', async () => {
    const story = await runStory(h, (entry, event) => bundle.invoke(entry, event, h.sim.clock.now()));
    expect(story.promotionDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(story.notDueWrites).toBe(0);
    const rec = await h.group(STORY_GROUP.groupId);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'retired', 'retired', 'current']);
    expect(h.log.lines.filter((l) => l.attributes.step === 'promote')).toHaveLength(5);
    for (const k of story.kept) expect(await h.decrypt(k.ciphertext)).toBe(k.plaintext);
    // One event per completed rotation, and one metrics line per rotation run, both from the bundle's own clients.
    expect(h.sim.eventBridge.events().map((e) => e.detail.generation)).toEqual([2, 3, 4, 5]);
    const emf = bundle.emf.map((l) => JSON.parse(l));
    expect(emf.length).toBeGreaterThan(100);
    expect(emf.filter((m) => m.RotationSucceeded === 1).map((m) => m.KeyGroup)).toEqual(Array(4).fill(STORY_GROUP.groupId));
  });

  test('the bundle\'s rotation entry point refuses a CloudFormation event before any call', async () => {
    const calls = h.sim.calls.count();
    await expect(bundle.invoke('rotation', { RequestType: 'Delete', ResourceProperties: {} }, h.sim.clock.now())).rejects.toThrow(/only the lifecycle entry point accepts/);
    expect(h.sim.calls.count()).toBe(calls);
  });
});
