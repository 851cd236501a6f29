/**
 * A Create that dies (killed, or stopped at the function's timeout by a KMS
 * call that never answers) gets no rollback Delete: aws-cdk-lib's provider
 * framework answers FAILED and answers the rollback Delete of the marker id
 * itself. Its group stays `creating` with a lock nobody releases. Once that
 * lock's lease has passed, the next lifecycle event of the stack sweeps it:
 * every key the Create made is pending deletion (7 days), its aliases are
 * gone and the entry says `failed`; a later Create of the group starts afresh.
 * A Create of the same group that comes first resumes the entry instead.
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { RemovalPolicy } from 'aws-cdk-lib';
import { declareEventBridge } from './deployed-events';
import { deployedStack, DeployedStack } from './deployed-stack';
import { CallBudget, Death } from './dying';
import { cfnEvent, groupProps } from './fixtures';
import { Functions, Harness } from './harness';
import { LIFECYCLE_LEASE_MS } from '../../lambda/rotation/context';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { TAG } from '../../lambda/rotation/tags';
import { MS_PER_DAY } from '../kms-simulator';

/** The lifecycle function's timeout (lib/rotation-services.ts): a run that hangs is stopped then. */
const LIFECYCLE_TIMEOUT_MS = 10 * 60_000;
const MINUTE = 60_000;

/**
 * A budget that also names each call, so a test can die right before a given
 * operation, or hang at one: the call never answers, Lambda stops the function
 * at its timeout, and no later call is made.
 */
class NamingBudget extends CallBudget {
  readonly names: string[] = [];
  private stopped = false;
  constructor(limit: number, private readonly hangAt?: { readonly op: string; readonly h: Harness }) {
    super(limit);
  }
  override attach(client: { middlewareStack: { add(m: unknown, o: unknown): void } }): void {
    super.attach(client);
    client.middlewareStack.add((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      this.names.push(name);
      if (!this.stopped && this.hangAt?.op === name) {
        this.hangAt.h.sim.clock.advance(LIFECYCLE_TIMEOUT_MS);
        this.stopped = true;
      }
      if (this.stopped) throw new Death(this.calls);
      return next(args);
    }, { step: 'initialize', name: 'namingBudget', priority: 'low' });
  }
}

function props(groupId: string, overrides: Record<string, unknown> = {}) {
  return groupProps({ GroupId: groupId, AliasName: `alias/${groupId}`, ...overrides });
}

describe('a Create that dies', () => {
  let h: Harness;
  let healthy: Functions;
  let callsOfOneCreate: number;
  let namesOfOneCreate: string[];
  beforeAll(async () => {
    h = await Harness.start();
    healthy = h.functions();
    const budget = new NamingBudget(Number.MAX_SAFE_INTEGER);
    await h.functions({ budget }).lifecycle(cfnEvent('Create', props('count')));
    callsOfOneCreate = budget.calls;
    namesOfOneCreate = budget.names;
    // The stack's other group, whose Updates are the stack's later lifecycle events.
    await healthy.lifecycle(cfnEvent('Create', props('steady')));
  });
  afterAll(async () => h.stop());

  /** The next deploy of the stack changes another group of it. */
  async function laterEvent(): Promise<void> {
    await healthy.lifecycle(cfnEvent('Update', props('steady', { Description: `at ${h.sim.clock.now().toISOString()}` }), { OldResourceProperties: props('steady') }));
  }

  function aliasesOf(groupId: string): string[] {
    return h.sim.state.aliases().map((a) => a.AliasName).filter((n) => n === `alias/${groupId}` || n.startsWith(`alias/rotation/${groupId}/`));
  }

  function liveKeys(groupId: string) {
    return h.groupKeys(groupId).filter((k) => k.state !== 'PendingDeletion');
  }

  /** Nothing of the group is left but keys pending deletion with the 7-day window, and its entry says failed. */
  async function expectSwept(groupId: string, where: string): Promise<void> {
    expect([where, liveKeys(groupId).map((k) => k.state)]).toEqual([where, []]);
    for (const k of h.groupKeys(groupId)) {
      expect([where, Math.round((k.deletionDate!.getTime() - h.sim.clock.now().getTime()) / MS_PER_DAY)]).toEqual([where, 7]);
    }
    expect([where, aliasesOf(groupId)]).toEqual([where, []]);
    const rec = await h.ledger.get(groupId);
    if (rec) expect([where, rec.status, rec.rotation, rec.lock]).toEqual([where, 'failed', undefined, undefined]);
  }

  test('the Create is counted', () => {
    expect(callsOfOneCreate).toBeGreaterThan(12);
    expect(namesOfOneCreate).toEqual(expect.arrayContaining(['CreateKey', 'ImportKeyMaterial', 'CreateAlias']));
  });

  test('killed right after ImportKeyMaterial: the Enabled key and its generation alias are swept once the lease has passed', async () => {
    const k = namesOfOneCreate.indexOf('ImportKeyMaterial') + 1;
    await expect(h.functions({ budget: new CallBudget(k), maxAttempts: 1 }).lifecycle(cfnEvent('Create', props('imported')))).rejects.toMatchObject({ name: 'FunctionDied' });
    expect(liveKeys('imported').map((x) => x.state)).toEqual(['Enabled']);
    expect(aliasesOf('imported')).toEqual(['alias/rotation/imported/generation-1']);
    // Within the lease the run might still be alive: the sweep leaves it alone.
    h.sim.clock.advance(MINUTE);
    await laterEvent();
    expect((await h.group('imported')).status).toBe('creating');
    expect(liveKeys('imported').map((x) => x.state)).toEqual(['Enabled']);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS);
    await laterEvent();
    await expectSwept('imported', 'after ImportKeyMaterial');
    // A later deploy of the group starts afresh.
    const again = await healthy.lifecycle(cfnEvent('Create', props('imported')));
    expect(again.Data?.Generation).toBe('2');
    expect(h.aliasTarget('alias/imported')).toBe(again.Data?.KeyId);
  });

  test('a KMS call that never answers until the function times out leaves a PendingImport key, which is swept', async () => {
    const hang = new NamingBudget(Number.MAX_SAFE_INTEGER, { op: 'GetParametersForImport', h });
    await expect(h.functions({ budget: hang, maxAttempts: 1 }).lifecycle(cfnEvent('Create', props('hung')))).rejects.toMatchObject({ name: 'FunctionDied' });
    expect(liveKeys('hung').map((x) => x.state)).toEqual(['PendingImport']);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS - LIFECYCLE_TIMEOUT_MS + MINUTE);
    await laterEvent();
    await expectSwept('hung', 'hung at GetParametersForImport');
  });

  test('killed before each AWS call in turn: the next event after the lease leaves nothing behind, and the group deploys again', async () => {
    for (let k = 0; k < callsOfOneCreate; k++) {
      const groupId = `dead-${k}`;
      const where = `died before call ${k + 1} (${namesOfOneCreate[k]})`;
      const dying = h.functions({ budget: new CallBudget(k), maxAttempts: 1 });
      await expect(dying.lifecycle(cfnEvent('Create', props(groupId)))).rejects.toMatchObject({ name: 'FunctionDied' });
      h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
      await laterEvent();
      await expectSwept(groupId, where);
      const again = await healthy.lifecycle(cfnEvent('Create', props(groupId)));
      expect([where, h.aliasTarget(`alias/${groupId}`)]).toEqual([where, again.Data?.KeyId]);
      expect([where, liveKeys(groupId).map((x) => x.id)]).toEqual([where, [again.Data?.KeyId]]);
    }
  });

  test('tag:GetResources failing during the cleanup of a failed Create does not keep the recorded key or its alias; the sweep finishes', async () => {
    h.sim.faults.throttle('ImportKeyMaterial', 'always');
    h.sim.faults.serverError('GetResources', 'always');
    await expect(healthy.lifecycle(cfnEvent('Create', props('untagged')))).rejects.toThrow();
    // The recorded generation is gone whatever the search for unrecorded keys did.
    expect(liveKeys('untagged')).toEqual([]);
    expect(aliasesOf('untagged')).toEqual([]);
    const rec = await h.group('untagged');
    // What failed stays for the sweep: the entry is not marked failed before every step has run.
    expect([rec.status, rec.lock]).toEqual(['creating', undefined]);
    expect(h.log.lines.some((l) => l.attributes.group === 'untagged' && l.attributes.cleanupStep === 'unrecorded-key')).toBe(true);
    h.sim.faults.clear();
    await laterEvent();
    await expectSwept('untagged', 'GetResources failed');
    const again = await healthy.lifecycle(cfnEvent('Create', props('untagged')));
    expect(again.Data?.Generation).toBe('2');
  });

  test('after a rollback of the stack\'s first Create (the redeployed stack\'s new ledger does not know the group), nothing deletes the dead Create\'s key', async () => {
    const k = namesOfOneCreate.indexOf('ImportKeyMaterial') + 1;
    await expect(h.functions({ budget: new CallBudget(k), maxAttempts: 1 }).lifecycle(cfnEvent('Create', props('orphan')))).rejects.toMatchObject({ name: 'FunctionDied' });
    const [orphan] = h.groupKeys('orphan');
    // The rollback deletes the functions and the schedules; the redeployed stack's ledger starts empty.
    await DynamoDBDocumentClient.from(h.db.client()).send(new DeleteCommand({ TableName: h.tableName, Key: { pk: 'group#orphan', sk: 'state' } }));
    h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
    await expect(healthy.lifecycle(cfnEvent('Create', props('orphan')))).rejects.toThrow(/generation-1 already points at/);
    // That failed Create removed the dead one's generation alias while undoing itself: the next deploy succeeds.
    const again = await healthy.lifecycle(cfnEvent('Create', props('orphan')));
    expect(again.Data?.Generation).toBe('2');
    // The dead Create's key is not deleted (its tags alone do not bind it to the group): it must be deleted by hand.
    expect(h.sim.state.key(orphan.id)!.state).toBe('Enabled');
    expect(liveKeys('orphan').map((x) => x.id).sort()).toEqual([orphan.id, again.Data!.KeyId].sort());
  });

  test('a Create that dies in promote: the user alias it made is removed before its key is scheduled for deletion', async () => {
    const k = namesOfOneCreate.lastIndexOf('CreateAlias') + 1;
    expect(namesOfOneCreate.filter((n) => n === 'CreateAlias').length).toBe(2);
    await expect(h.functions({ budget: new CallBudget(k), maxAttempts: 1 }).lifecycle(cfnEvent('Create', props('promoted')))).rejects.toMatchObject({ name: 'FunctionDied' });
    expect(h.aliasTarget('alias/promoted')).toBe(liveKeys('promoted')[0].id);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
    await laterEvent();
    await expectSwept('promoted', 'died in promote');
  });
});

describe('a sweep and a resuming Create of the same group', () => {
  let h: Harness;
  let healthy: Functions;
  let namesOfOneCreate: string[];
  beforeAll(async () => {
    h = await Harness.start();
    healthy = h.functions();
    const budget = new NamingBudget(Number.MAX_SAFE_INTEGER);
    await h.functions({ budget }).lifecycle(cfnEvent('Create', props('steady')));
    namesOfOneCreate = budget.names;
  });
  afterAll(async () => h.stop());

  async function deadCreate(groupId: string): Promise<void> {
    // Killed right after CreateKey's answer, before the key was recorded: only its attempt tag names it.
    const k = namesOfOneCreate.indexOf('CreateKey') + 1;
    await expect(h.functions({ budget: new CallBudget(k), maxAttempts: 1 }).lifecycle(cfnEvent('Create', props(groupId)))).rejects.toMatchObject({ name: 'FunctionDied' });
    expect(h.groupKeys(groupId).map((x) => x.state)).toEqual(['PendingImport']);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
  }

  function sweepEvent(): Promise<unknown> {
    return healthy.lifecycle(cfnEvent('Update', props('steady', { Description: String(h.sim.clock.now().getTime()) }), { OldResourceProperties: props('steady') }));
  }

  /** One group, active, its alias on its only live key, which is Enabled; everything else of it pending deletion. */
  async function expectOneLiveGroup(groupId: string): Promise<void> {
    const rec = await h.group(groupId);
    expect([rec.status, rec.rotation, rec.lock]).toEqual(['active', undefined, undefined]);
    const live = h.groupKeys(groupId).filter((k) => k.state !== 'PendingDeletion');
    expect(live.map((k) => [k.id, k.state])).toEqual([[currentGeneration(rec)!.keyId, 'Enabled']]);
    expect(h.aliasTarget(`alias/${groupId}`)).toBe(currentGeneration(rec)!.keyId);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.startsWith(`alias/rotation/${groupId}/`)).map((a) => a.TargetKeyId)).toContain(currentGeneration(rec)!.keyId);
  }

  test('the Create first: it resumes the entry and finishes with the key the dead run made; the sweep then leaves it alone', async () => {
    await deadCreate('resume-first');
    const made = h.groupKeys('resume-first')[0].id;
    const r = await healthy.lifecycle(cfnEvent('Create', props('resume-first')));
    expect([r.Data?.KeyId, r.Data?.Generation]).toEqual([made, '1']);
    await sweepEvent();
    await expectOneLiveGroup('resume-first');
  });

  test('the sweep first: the Create then starts afresh on the failed entry', async () => {
    await deadCreate('sweep-first');
    const made = h.groupKeys('sweep-first')[0].id;
    await sweepEvent();
    expect((await h.group('sweep-first')).status).toBe('failed');
    const r = await healthy.lifecycle(cfnEvent('Create', props('sweep-first')));
    expect(r.Data?.KeyId).not.toBe(made);
    expect(h.sim.state.key(made)!.state).toBe('PendingDeletion');
    await expectOneLiveGroup('sweep-first');
  });

  test('both at once: each takes the lock in turn, and the group ends deployed with nothing else left', async () => {
    await deadCreate('both');
    const [created] = await Promise.all([healthy.lifecycle(cfnEvent('Create', props('both'))), sweepEvent()]);
    expect(created.Data?.KeyId).toBeDefined();
    await expectOneLiveGroup('both');
    expect(h.groupKeys('both').map((k) => k.tags[TAG.group])).toEqual(h.groupKeys('both').map(() => 'both'));
  });
});

describe('the scheduled sweep, with the rotation role\'s synthesized permissions and authorization propagation', () => {
  const PROPAGATION_MS = 5 * 60_000;
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let names: string[];
  beforeAll(async () => {
    stack = deployedStack({ removalPolicy: RemovalPolicy.RETAIN });
    // The calls of one Create of the group (the same with authorization on: nothing is retried).
    const counting = await Harness.start({}, stack.tableName);
    try {
      const budget = new NamingBudget(Number.MAX_SAFE_INTEGER);
      await counting.functions({ budget }).lifecycle(cfnEvent('Create', stack.resourceProperties));
      names = budget.names;
    } finally {
      await counting.stop();
    }
  });
  beforeEach(async () => {
    const authorization = { principals: stack.principals, propagationMs: PROPAGATION_MS };
    h = await Harness.start({ authorization }, stack.tableName, stack.sealKeyPolicies);
    const eventBusName = declareEventBridge(h.sim, stack.template);
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, eventBusName });
  });
  afterEach(async () => h.stop());

  async function dieAfter(op: string, occurrence: 'first' | 'last'): Promise<void> {
    const k = (occurrence === 'first' ? names.indexOf(op) : names.lastIndexOf(op)) + 1;
    const credentials = { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials };
    const dying = h.functions({ credentials, budget: new CallBudget(k), maxAttempts: 1 });
    await expect(dying.lifecycle(cfnEvent('Create', stack.resourceProperties))).rejects.toMatchObject({ name: 'FunctionDied' });
  }

  test('a Create killed after ImportKeyMaterial: the rotation function\'s sweep schedules its key for deletion and removes its generation alias', async () => {
    await dieAfter('ImportKeyMaterial', 'first');
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['Enabled']);
    // Before the lease has passed, the sweep leaves the Create alone.
    h.sim.clock.advance(MINUTE);
    expect((await f.sweep({ action: 'sweep' })).groups).toEqual([]);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS);
    const r = await f.sweep({ action: 'sweep' });
    expect(r).toEqual({ outcome: 'swept', groups: [{ group: 'telemetry-group', clean: true, remaining: [] }] });
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['PendingDeletion']);
    expect(h.sim.state.aliases().filter((a) => a.AliasName.includes('telemetry'))).toEqual([]);
    expect((await h.group('telemetry-group')).status).toBe('failed');
    // Allowed by the rotation role's own policy: the deletion and the alias removal went through authorization.
    expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'ScheduleKeyDeletion' })).toBe(1);
    expect(h.sim.authorization.decisions.allowed({ principal: stack.rotation.arn, operation: 'DeleteAlias' })).toBe(1);
    expect(h.sim.authorization.decisions.denied({ principal: stack.rotation.arn })).toBe(0);
    // Sweeping again changes nothing.
    expect((await f.sweep({ action: 'sweep' })).groups).toEqual([]);
  });

  test('a Create killed after its user alias: the rotation function leaves the key the alias points at to the next deploy, which resumes it', async () => {
    await dieAfter('CreateAlias', 'last');
    const [key] = h.groupKeys('telemetry-group');
    expect(h.aliasTarget('alias/telemetry')).toBe(key.id);
    h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
    const r = await f.sweep({ action: 'sweep' });
    expect(r.groups).toEqual([{ group: 'telemetry-group', clean: false, remaining: ['user-alias of generation 1', 'key of generation 1'] }]);
    // The alias still works: nothing the alias points at was deleted.
    expect(h.sim.state.key(key.id)!.state).toBe('Enabled');
    expect((await h.group('telemetry-group')).status).toBe('creating');
    const again = await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    expect([again.Data?.KeyId, again.Data?.Generation]).toEqual([key.id, '1']);
    expect((await h.group('telemetry-group')).status).toBe('active');
  });

  test('an entry forged to look like a dead Create (status changed in DynamoDB) is refused: nothing is deleted', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const doc = DynamoDBDocumentClient.from(h.db.client());
    const key = { pk: 'group#telemetry-group', sk: 'state' };
    const stored = (await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
    await doc.send(new PutCommand({ TableName: h.tableName, Item: { ...stored, status: 'creating' } }));
    h.sim.clock.advance(LIFECYCLE_LEASE_MS + MINUTE);
    const r = await f.sweep({ action: 'sweep' });
    expect(r.groups).toEqual([{ group: 'telemetry-group', clean: false, remaining: ['all'] }]);
    expect(h.groupKeys('telemetry-group').map((k) => k.state)).toEqual(['Enabled']);
    expect(h.aliasTarget('alias/telemetry')).toBe(h.groupKeys('telemetry-group')[0].id);
    expect(h.log.lines.some((l) => l.attributes.group === 'telemetry-group' && l.attributes.errorName === 'LedgerTamperedError')).toBe(true);
  });

  test('the sweep takes no other event: anything beside the action is refused before any call', async () => {
    const calls = h.sim.calls.writes();
    await expect(f.sweep({ action: 'sweep', groupId: 'telemetry-group' })).rejects.toThrow(/unexpected field\(s\) "groupId"; a sweep takes none/);
    expect(h.sim.calls.writes()).toBe(calls);
  });
});
