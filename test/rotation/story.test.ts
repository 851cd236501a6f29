import { EncryptCommand } from '@aws-sdk/client-kms';
import { Harness } from './harness';
import { invariantViolations } from './invariants';
import { generations, runStory, STORY_GROUP } from './story';

describe('24-month story, N = 6 (TypeScript sources)', () => {
  let h: Harness;
  beforeAll(async () => { h = await Harness.start(); });
  afterAll(async () => h.stop());

  test('exactly 4 rotations on the due dates; every ciphertext still decrypts; retired generations are decrypt-only', async () => {
    const story = await runStory(h, h.handler());

    expect(story.rotationDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(story.notDueWrites).toBe(0);
    expect(story.kept.length).toBeGreaterThan(100);
    for (const k of story.kept) expect(await h.decrypt(k.ciphertext)).toBe(k.plaintext);

    const gens = generations(h);
    expect(gens.map((g) => [g.generation, g.stage, g.state])).toEqual([
      [1, 'retired', 'Enabled'], [2, 'retired', 'Enabled'], [3, 'retired', 'Enabled'], [4, 'retired', 'Enabled'], [5, 'current', 'Enabled'],
    ]);
    expect(h.aliasTarget(STORY_GROUP.aliasName)).toBe(gens[4].id);

    // Retired generations carry the deny statement (the simulator stores policies; IAM evaluation is AWS's).
    for (const g of gens.slice(0, 4)) {
      const policy = JSON.parse(h.sim.state.key(g.id)!.policy);
      expect(policy.Statement).toContainEqual(expect.objectContaining({
        Sid: 'RotationRetiredDecryptOnly', Effect: 'Deny', Action: ['kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncryptTo'],
      }));
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(expect.arrayContaining(['EnableIamUserPermissions', 'RotationFunctionManagement']));
    }
    const current = JSON.parse(h.sim.state.key(gens[4].id)!.policy);
    expect(current.Statement.map((s: { Sid: string }) => s.Sid)).not.toContain('RotationRetiredDecryptOnly');

    expect(await invariantViolations(h, STORY_GROUP, { kept: story.kept })).toEqual([]);
  });

  test('encrypting under the alias uses generation 5', async () => {
    const r = await h.kms.send(new EncryptCommand({ KeyId: STORY_GROUP.aliasName, Plaintext: Buffer.from('now') }));
    expect(r.KeyId).toBe(h.sim.state.key(generations(h)[4].id)!.arn);
  });
});
