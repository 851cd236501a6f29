/**
 * Adoption of an existing alias's key (AdoptExisting.alias()) through the real
 * SDK clients, the KMS simulator and a local DynamoDB: the key becomes
 * generation 0, generation 1 is made by the Create and promoted by the
 * rotation function's staged promotion, and the adopted key is retired
 * (fenced only when its owner opted in, by adding the fence statement to its
 * own policy). Refusals happen before any write.
 */
import { DecryptCommand, EncryptCommand, GetKeyPolicyCommand, ListResourceTagsCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { adoptProps, ALIAS, describingKeyAs, ownersKey, ownersPolicy } from './adopt-fixtures';
import { ACCOUNT, cfnEvent, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { reportGroup } from '../../lambda/report/gather';
import { adoptionProblems } from '../../lambda/rotation/adopt';
import { AdoptionCandidate } from '../../lambda/rotation/kms-gateway';
import { currentGeneration } from '../../lambda/rotation/ledger-model';
import { SID } from '../../lambda/rotation/policy';
import { TAG } from '../../lambda/rotation/tags';

const HOUR = 3_600_000;

describe('adopting the key an existing alias points at', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());
  const report = () => reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: ALIAS, now: h.sim.clock.now() });

  for (const [origin, fence] of [['AWS_KMS', false], ['EXTERNAL', true]] as const) {
    test(`an ${origin} key becomes generation 0${fence ? ' (fenced on opt-in)' : ''}; generation 1 is promoted by the staged promotion; old ciphertext still decrypts`, async () => {
      const adoptedId = await ownersKey(h.kms, origin, ACCOUNT);
      const before = await h.encrypt(ALIAS, 'written before the adoption');
      const created = await f.lifecycle(cfnEvent('Create', adoptProps(fence)));
      // The Create answers with the adopted key: it is current until generation 1 is promoted.
      expect(created.Data).toMatchObject({ KeyId: adoptedId, Generation: '0' });
      let rec = await h.group();
      expect(rec.status).toBe('active');
      expect(rec.generations.map((g) => [g.n, g.stage])).toEqual([[0, 'current'], [1, 'pending']]);
      expect(rec.generations[0].adopted).toMatchObject({ origin, fence, tagsBefore: { owner: 'payments' } });
      expect(rec.rotation).toMatchObject({ n: 1, phase: 'promote' });
      // The Create never moves the alias: the staged promotion does, a window after generation 1 was made.
      expect(h.aliasTarget(ALIAS)).toBe(adoptedId);
      expect(h.sim.state.key(adoptedId)!.tags).toMatchObject({
        owner: 'payments', team: 'platform', [TAG.group]: 'telemetry-group', [TAG.generation]: '0', [TAG.stage]: 'current', [TAG.adopted]: fence ? 'fence' : 'no-fence',
      });
      expect(h.sim.state.key(adoptedId)!.description).toBe('the owner\'s key');
      // The report verifies the group as it stands: generation 0 current, generation 1 pending promotion.
      const early = await report();
      expect(early.findings.filter((x) => x.severity !== 'info')).toEqual([]);
      const outcomes = await h.runSchedule(f, HOUR, rotateIfDue());
      expect(outcomes.slice(0, 2).map((o) => o.outcome)).toEqual(['promoted', 'completed']);
      rec = await h.group();
      const g1 = currentGeneration(rec)!;
      expect(g1.n).toBe(1);
      expect(h.aliasTarget(ALIAS)).toBe(g1.keyId);
      expect(Date.parse(g1.activatedAt!) - Date.parse(g1.authorizableSince)).toBeGreaterThanOrEqual(420_000);
      const g0 = rec.generations[0];
      expect([g0.stage, g0.fencedAt !== undefined]).toEqual(['retired', fence]);
      expect(rec.nextDueAt).toBeDefined();
      // The owner's policy keeps every statement; the fence is added only on opt-in.
      const policy = JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: adoptedId, PolicyName: 'default' }))).Policy!);
      const owners = ownersPolicy(ACCOUNT).Statement as unknown[];
      expect(policy.Statement.slice(0, 2)).toEqual(owners);
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(fence
        ? ['Enable IAM User Permissions', 'AnalyticsMayDecrypt', SID.retiredFence] : ['Enable IAM User Permissions', 'AnalyticsMayDecrypt']);
      expect(policy.Id).toBe('owners-policy');
      expect(h.sim.state.key(adoptedId)!).toMatchObject({ state: 'Enabled', description: 'the owner\'s key' });
      expect(h.sim.state.key(adoptedId)!.tags).toMatchObject({ [TAG.stage]: 'retired', owner: 'payments' });
      // What was written under the adopted key still decrypts, and the alias encrypts with generation 1.
      expect(await h.decrypt(before)).toBe('written before the adoption');
      const after = await h.kms.send(new EncryptCommand({ KeyId: ALIAS, Plaintext: Buffer.from('x') }));
      expect(after.KeyId).toBe(g1.keyArn);
      // The report and its KMS cross-checks: nothing flagged; generation 0 shows as adopted, with material fields only for EXTERNAL.
      h.sim.clock.advance(HOUR);
      const r = await report();
      expect(r.findings).toEqual([]);
      expect(r.chain.verified).toBe(true);
      const row0 = r.generations.find((x) => x.generation === 0)!;
      expect(row0).toMatchObject({ source: `adopted:${origin}`, adopted: { origin, fence }, stage: 'retired', kmsState: 'Enabled' });
      expect(row0.keyMaterialId !== undefined).toBe(origin === 'EXTERNAL');
      expect(row0.importedAt).toBeUndefined();
      expect(row0.fencedAt !== undefined).toBe(fence);
      expect(r.generations.find((x) => x.generation === 1)!.source).toBe('generated');
      const events = (await h.ledger.events('telemetry-group')).map((e) => [e.type, e.generation]);
      expect(events).toContainEqual(['generation-adopted', 0]);
      expect(events).not.toContainEqual(['generation-created', 0]);
      expect(events).toContainEqual(['rotation-completed', 1]);
      expect(h.log.errors()).toEqual([]);
    });
  }

  test('retention and DESTROY never disable or delete the adopted key; a Delete before the promotion leaves the alias on it', async () => {
    const adoptedId = await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    const props = adoptProps(true, { RemovalPolicy: 'destroy', Retention: JSON.stringify({ policy: 'keep-latest', count: 1 }) });
    await f.lifecycle(cfnEvent('Create', props));
    await h.runSchedule(f, HOUR, rotateIfDue());
    // Three emergency rotations: keep-latest(1) disables every retired generation but the newest, except the adopted one.
    for (let i = 0; i < 3; i++) {
      await f.rotation(rotateNow());
      await h.runSchedule(f, HOUR, rotateIfDue());
    }
    const rec = await h.group();
    expect(rec.generations.map((g) => [g.n, g.stage, g.disabledAt !== undefined])).toEqual([
      [0, 'retired', false], [1, 'retired', true], [2, 'retired', true], [3, 'retired', false], [4, 'current', false],
    ]);
    expect(h.sim.state.key(adoptedId)!.state).toBe('Enabled');
    expect(h.sim.state.key(rec.generations[1].keyId)!.state).toBe('Disabled');
    await f.lifecycle(cfnEvent('Delete', props));
    expect(rec.generations.map((g) => h.sim.state.key(g.keyId)!.state)).toEqual(['Enabled', 'PendingDeletion', 'PendingDeletion', 'PendingDeletion', 'PendingDeletion']);
    expect(h.aliasTarget(ALIAS)).toBeUndefined();
    expect(h.log.errors()).toEqual([]);
  });

  test('a DESTROY Delete before the promotion deletes generation 1 only and leaves the alias on the adopted key', async () => {
    const adoptedId = await ownersKey(h.kms, 'EXTERNAL', ACCOUNT);
    const props = adoptProps(false, { RemovalPolicy: 'destroy' });
    await f.lifecycle(cfnEvent('Create', props));
    const g1 = (await h.group()).generations[1];
    await f.lifecycle(cfnEvent('Delete', props));
    expect(h.aliasTarget(ALIAS)).toBe(adoptedId);
    expect([h.sim.state.key(adoptedId)!.state, h.sim.state.key(g1.keyId)!.state]).toEqual(['Enabled', 'PendingDeletion']);
    expect(Buffer.from((await h.kms.send(new DecryptCommand({ CiphertextBlob: await h.encrypt(ALIAS, 'mine') }))).Plaintext!).toString()).toBe('mine');
  });

  test('rotate-now while the adoption waits for its promotion joins it; no event for the rotation away from the adopted key, one for the next', async () => {
    await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    await f.lifecycle(cfnEvent('Create', adoptProps(false)));
    expect((await f.rotation(rotateNow())).outcome).toBe('in-progress');
    await h.runSchedule(f, HOUR, rotateIfDue());
    expect(h.sim.eventBridge.events()).toEqual([]);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR, rotateIfDue());
    expect(h.sim.eventBridge.events().map((e) => [e.detail.generation, e.detail.previousGeneration])).toEqual([[2, 1]]);
    expect(h.log.errors()).toEqual([]);
  });

  test('a stack update during the adoption relabels the adopted key but keeps its policy, description and other tags; a rename waits for the promotion', async () => {
    const adoptedId = await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    const props = adoptProps(false);
    await f.lifecycle(cfnEvent('Create', props));
    const updated = { ...props, Description: 'updated', Tags: JSON.stringify({ team: 'security' }) };
    await f.lifecycle(cfnEvent('Update', updated, { OldResourceProperties: props }));
    const key = h.sim.state.key(adoptedId)!;
    expect(key.description).toBe('the owner\'s key');
    expect(key.tags).toMatchObject({ owner: 'payments', team: 'security', [TAG.stage]: 'current' });
    expect(JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: adoptedId, PolicyName: 'default' }))).Policy!)).toEqual(ownersPolicy(ACCOUNT));
    const g1 = (await h.group()).generations[1];
    expect(h.sim.state.key(g1.keyId)!.description).toBe('updated');
    const renamed = { ...updated, AliasName: 'alias/renamed' };
    await expect(f.lifecycle(cfnEvent('Update', renamed, { OldResourceProperties: updated }))).rejects.toThrow(/aliasName cannot change while the adopted key .* is the current generation/);
    expect(h.aliasTarget(ALIAS)).toBe(adoptedId);
    await h.runSchedule(f, HOUR, rotateIfDue());
    expect((await h.group()).rotation).toBeUndefined();
    expect(h.log.errors().filter((l) => l.attributes.errorName !== 'InvalidRequestError')).toEqual([]);
  });

  test('refused before any write: no alias', async () => {
    await expect(f.lifecycle(cfnEvent('Create', adoptProps(false)))).rejects.toThrow(/adopt: cannot adopt the key behind alias\/telemetry: the alias does not exist/);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
    expect(h.keysBesidesSeals()).toEqual([]);
  });

  test('refused before any write: a key another key group manages (its group tag, or the ledger\'s alias index)', async () => {
    const keyId = await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    await h.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: TAG.group, TagValue: 'payments-group' }] }));
    const tagsBefore = h.sim.state.key(keyId)!.tags;
    await expect(f.lifecycle(cfnEvent('Create', adoptProps(false)))).rejects.toThrow(/already managed by key group payments-group/);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
    expect(h.sim.state.key(keyId)!.tags).toEqual(tagsBefore);
    expect(h.keysBesidesSeals()).toHaveLength(1);

    await h.ledger.registerAlias('alias/other', 'payments-group');
    await ownersKey(h.kms, 'AWS_KMS', ACCOUNT, 'alias/other');
    await expect(f.lifecycle(cfnEvent('Create', adoptProps(false, { AliasName: 'alias/other' })))).rejects.toThrow(/the ledger says alias alias\/other belongs to key group payments-group/);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
  });

  test.each([
    ['an asymmetric (RSA signing) key', { KeySpec: 'RSA_2048', CustomerMasterKeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, /not a symmetric encryption key \(KeySpec RSA_2048\)/],
    ['an HMAC key', { KeySpec: 'HMAC_256', CustomerMasterKeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, /KeySpec HMAC_256/],
    ['a multi-Region key', { MultiRegion: true }, /is a multi-Region key/],
  ])('refused before any write: %s (KMS\'s DescribeKey answer, as the SDK parses it)', async (_what, metadata, message) => {
    const keyId = await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    const base = h.sim.client({ maxAttempts: 1 }).config.requestHandler as any;
    const g = h.functions({ kmsConfig: { requestHandler: describingKeyAs(base, keyId, metadata) as any } });
    const tags = h.sim.state.key(keyId)!.tags;
    await expect(g.lifecycle(cfnEvent('Create', adoptProps(false)))).rejects.toThrow(message);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
    expect(h.keysBesidesSeals()).toHaveLength(1);
    expect(h.sim.state.key(keyId)!.tags).toEqual(tags);
  });

  test('without adopt, an existing alias is still refused', async () => {
    await ownersKey(h.kms, 'AWS_KMS', ACCOUNT);
    await expect(h.deploy(f)).rejects.toThrow(/adopting an existing alias needs the adopt prop/);
  });

  test('a failed Create gives the adopted key back as it was: tags restored, alias unmoved, policy untouched', async () => {
    const keyId = await ownersKey(h.kms, 'EXTERNAL', ACCOUNT);
    const tagsBefore = await h.kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    // The material provider is unreachable: generation 1's import fails after generation 0 was labelled.
    const provider = JSON.stringify({ type: 'function', functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:missing` });
    await expect(f.lifecycle(cfnEvent('Create', adoptProps(true, { MaterialSource: provider })))).rejects.toThrow(/material provider/);
    // Generation 0 had been labelled before the import failed: what follows is the give-back, not an untouched key.
    expect(h.log.lines.some((l) => l.attributes.step === 'apply-key-state' && l.attributes.generation === 0 && l.attributes.outcome === 'ok')).toBe(true);
    expect(h.aliasTarget(ALIAS)).toBe(keyId);
    expect((await h.kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual(tagsBefore.Tags);
    expect(JSON.parse((await h.kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!)).toEqual(ownersPolicy(ACCOUNT));
    expect(h.sim.state.key(keyId)!.state).toBe('Enabled');
    const rec = await h.group();
    expect(rec.status).toBe('failed');
    expect(rec.generations.map((g) => [g.n, g.stage])).toEqual([[0, 'discarded'], [1, 'discarded']]);
    const d = await h.kms.send(new DecryptCommand({ CiphertextBlob: await h.encrypt(ALIAS, 'still mine') }));
    expect(Buffer.from(d.Plaintext!).toString()).toBe('still mine');
  });
});

describe('adoption checks (pure)', () => {
  const key: AdoptionCandidate = {
    keyId: 'k',
    arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`,
    state: 'Enabled',
    origin: 'AWS_KMS',
    creationDate: new Date(0),
    description: '',
    accountId: ACCOUNT,
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    keyManager: 'CUSTOMER',
    multiRegion: false,
  };
  test('a symmetric customer managed key of the stack\'s account, enabled, single-Region, AWS_KMS or EXTERNAL, is adoptable', () => {
    expect(adoptionProblems(key, ALIAS, ACCOUNT)).toEqual([]);
    expect(adoptionProblems({ ...key, origin: 'EXTERNAL' }, ALIAS, ACCOUNT)).toEqual([]);
  });
  test.each([
    ['another account (KMS aliases name keys of their own account only, so the simulator cannot make this case)', { accountId: '444455556666', arn: 'arn:aws:kms:us-east-1:444455556666:key/k' }, /in account 444455556666, not the stack's account/],
    ['asymmetric', { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }, /not a symmetric encryption key \(KeySpec RSA_2048\).*KeyUsage SIGN_VERIFY/],
    ['HMAC', { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }, /KeySpec HMAC_256/],
    ['AWS managed', { keyManager: 'AWS' }, /managed by AWS/],
    ['in a custom key store', { origin: 'AWS_CLOUDHSM' }, /origin AWS_CLOUDHSM/],
    ['multi-Region', { multiRegion: true }, /multi-Region/],
    ['disabled', { state: 'Disabled' }, /is Disabled; only an Enabled key/],
    ['pending deletion', { state: 'PendingDeletion' }, /is PendingDeletion/],
  ] as const)('refused: %s', (_what, change, message) => {
    const problems = adoptionProblems({ ...key, ...change } as AdoptionCandidate, ALIAS, ACCOUNT);
    expect(problems.join('; ')).toMatch(message);
  });
});
