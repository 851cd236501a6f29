/**
 * An adopting Create that dies before any of its AWS calls (KMS, tagging or
 * the ledger): the next Create (CloudFormation's retry, or the redeploy after
 * the rollback) finishes it once the dead run's lease has passed, and the
 * scheduled runs promote and retire as always: the adopted key is generation 0
 * exactly once, exactly one generation 1, the owner's policy untouched, the
 * alias always on a key that decrypts what was written before.
 */
import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { adoptProps, ownersKey, ownersPolicy } from './adopt-fixtures';
import { CallBudget } from './dying';
import { ACCOUNT, cfnEvent, rotateIfDue } from './fixtures';
import { Harness } from './harness';
import { currentGeneration } from '../../lambda/rotation/ledger-model';

const LEASE_MS = 2 * 60_000;
const HOUR = 3_600_000;

describe('an adopting Create that dies before any of its calls', () => {
  let h: Harness;
  let callsOfOneCreate: number;
  beforeAll(async () => {
    h = await Harness.start();
    const budget = new CallBudget(Number.MAX_SAFE_INTEGER);
    await ownersKey(h.kms, 'AWS_KMS', ACCOUNT, 'alias/count');
    await h.functions({ leaseMs: LEASE_MS, budget }).lifecycle(cfnEvent('Create', adoptProps(false, { GroupId: 'count', AliasName: 'alias/count' })));
    callsOfOneCreate = budget.calls;
  });
  afterAll(async () => h.stop());

  test('the Create is counted', () => {
    // inspect (describe, tags, alias index) + ledger + label + create + register + import + test ...
    expect(callsOfOneCreate).toBeGreaterThan(12);
  });

  test('dies at every call in turn; the next Create and the schedule finish it', async () => {
    for (let k = 0; k < callsOfOneCreate; k++) {
      const groupId = `crash-${k}`;
      const aliasName = `alias/crash-${k}`;
      const where = `died at call ${k + 1}`;
      const adoptedId = await ownersKey(h.kms, k % 2 === 0 ? 'AWS_KMS' : 'EXTERNAL', ACCOUNT, aliasName);
      const before = await h.encrypt(aliasName, 'before');
      const props = adoptProps(k % 3 === 0, { GroupId: groupId, AliasName: aliasName });
      const dying = h.functions({ leaseMs: LEASE_MS, budget: new CallBudget(k), maxAttempts: 1 });
      await expect(dying.lifecycle(cfnEvent('Create', props))).rejects.toMatchObject({ name: 'FunctionDied' });
      expect([where, h.aliasTarget(aliasName)]).toEqual([where, adoptedId]);
      h.sim.clock.advance(LEASE_MS + 1000);
      const healthy = h.functions({ leaseMs: LEASE_MS });
      const answer = await healthy.lifecycle(cfnEvent('Create', props));
      expect([where, answer.Data?.KeyId, answer.Data?.Generation]).toEqual([where, adoptedId, '0']);
      await h.runSchedule(healthy, HOUR, rotateIfDue(aliasName, groupId));
      const rec = await h.group(groupId);
      expect([where, rec.rotation, rec.status]).toEqual([where, undefined, 'active']);
      expect([where, rec.generations.map((g) => [g.n, g.stage, g.keyId === adoptedId])]).toEqual([where, [[0, 'retired', true], [1, 'current', false]]]);
      const made = h.groupKeys(groupId).filter((x) => x.id !== adoptedId && x.state !== 'PendingDeletion');
      expect([where, made.length]).toEqual([where, 1]);
      expect(h.aliasTarget(aliasName)).toBe(currentGeneration(rec)!.keyId);
      expect(await h.decrypt(before)).toBe('before');
      const policy = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: adoptedId, PolicyName: 'default' }))).Policy!);
      expect([where, policy.Statement.slice(0, 2)]).toEqual([where, ownersPolicy(ACCOUNT).Statement]);
    }
  });
});
