/**
 * The security issue's findings against the ledger and the lifecycle entry
 * point, each with the attacker holding exactly the stated permissions:
 *
 * - `dynamodb:PutItem` on the ledger table (the table's resource policy, which
 *   refuses that write, is lifted here: a principal with
 *   `dynamodb:DeleteResourcePolicy`, or a restore from a backup, gets this far;
 *   the seals alone must stop it). The attacker knows the entry (an earlier
 *   read or a backup) and writes an edited copy that keeps `version` and the
 *   chain head, with the old state seal or none.
 * - the rotation role's credentials (a compromised dependency): it may make
 *   MACs with the ledger's state key, never with the settings key.
 * - `lambda:InvokeFunction` on `*`: refused by the lifecycle function's
 *   resource policy; an event of another stack is refused by the function.
 *
 * Each must leave every key as it was (no mutating KMS call), and be reported
 * (one ERROR line with `tampering`, the TamperingDetected metric).
 */
import { CreateKeyCommand, GenerateMacCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { deployedStack, DeployedStack } from './deployed-stack';
import { parseEmf } from './emf-capture';
import { ACCOUNT, cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, REGION } from './harness';
import { LambdaEndpoint } from './lambda-endpoint';
import { SealGateway } from '../../lambda/rotation/seal-gateway';
import { sealMessage } from '../../lambda/rotation/seal-messages';
import { functionArnOf, functionIds, resolveIntrinsics } from '../construct/synthesized-policies';
import type { PolicyDocument } from '../iam';

const FOREIGN_ACCOUNT = '999988887777';
const BACKDOOR = { Sid: 'Backdoor', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${FOREIGN_ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const ATTACKER_RSA_SPKI = 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB';
const HOUR = 3_600_000;

function documentClient(h: Harness): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(h.db.client(), { marshallOptions: { removeUndefinedValues: true } });
}

type Item = Record<string, any>;
type Edit = (item: Item) => void;

/** The attacker's write: the stored entry, edited, written back with PutItem (version and chain head kept). */
async function tamper(h: Harness, edit: Edit, options: { dropSeal?: boolean } = {}): Promise<Item> {
  const doc = documentClient(h);
  const key = { pk: 'group#telemetry-group', sk: 'state' };
  const original = (await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
  const edited: Item = JSON.parse(JSON.stringify(original));
  edit(edited);
  if (options.dropSeal) delete edited.stateSeal;
  await doc.send(new PutCommand({ TableName: h.tableName, Item: edited }));
  return original;
}

async function restore(h: Harness, original: Item): Promise<void> {
  await documentClient(h).send(new PutCommand({ TableName: h.tableName, Item: original }));
}

const FINDINGS: Array<[string, Edit]> = [
  ['1. a key policy backdoor: another account\'s statement in settings.policy', (i) => { i.settings.policy.Statement.push(BACKDOOR); }],
  ['1. the backdoor with a user tag added (the tick would "repair" the tags)', (i) => {
    i.settings.policy.Statement.push(BACKDOOR); i.settings.userTags.attacker = 'yes';
  }],
  ['2. escrow to the attacker: settings.escrow with the attacker\'s RSA key', (i) => {
    i.settings.escrow = { bucket: 'attacker-bucket', prefix: 'escrow/', publicKey: ATTACKER_RSA_SPKI, wrapping: 'RSAES_OAEP_SHA_256' };
  }],
  ['3. permanent data loss: escrow removed, material valid for 1 day', (i) => { delete i.settings.escrow; i.settings.materialValidityDays = 1; }],
  ['4. retention that deletes data in use: deleteAfter with 0-day thresholds', (i) => {
    i.settings.retention = { policy: 'delete-after', afterDays: 0, quietDays: 0, pendingWindowDays: 7 };
  }],
  ['4. the current key listed again as a fake generation 0', (i) => {
    i.generations.unshift({ ...i.generations.find((g: Item) => g.stage === 'current'), n: 0, stage: 'retired', retiredAt: '2026-01-01T00:00:00.000Z' });
  }],
  ['5. HSM bypass: the material source changed', (i) => {
    i.settings.materialSource = { type: 'function', functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:attacker` };
  }],
  ['7. rotation stopped: a lock until 2099', (i) => { i.lock = { owner: 'attacker', until: '2099-01-01T00:00:00.000Z', purpose: 'rotation' }; }],
  ['7. the interval raised together with nextDueAt', (i) => { i.settings.intervalMonths = 120; i.nextDueAt = '2036-01-01T00:00:00.000Z'; }],
];

describe('ledger edits by a principal holding dynamodb:PutItem', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
    await h.deploy(f);
    h.sim.clock.advance(11 * 60_000);
  });
  afterEach(async () => h.stop());

  async function expectRefused(event: unknown, tampering: string): Promise<void> {
    const writes = h.sim.calls.writes({ includeFailed: true });
    const errors = h.log.errors().length;
    const emf = h.emf.length;
    await expect(f.rotation(event)).rejects.toMatchObject({ name: 'LedgerTamperedError', tampering });
    expect(h.sim.calls.writes({ includeFailed: true })).toBe(writes);
    const reported = h.log.errors().slice(errors);
    expect(reported).toHaveLength(1);
    expect(reported[0].attributes).toMatchObject({ tampering });
    expect(h.emf.slice(emf).map(parseEmf).map((m) => m.values.TamperingDetected)).toEqual([1]);
  }

  test.each(FINDINGS)('%s: every run is refused before any KMS write and reported; the entry restored, rotation carries on', async (_, edit) => {
    const policiesBefore = await keyPolicies(h);
    const original = await tamper(h, edit);
    await expectRefused(rotateIfDue(), 'ledger-seal');
    await expectRefused(rotateNow(), 'ledger-seal');
    expect(await keyPolicies(h)).toEqual(policiesBefore);
    expect(JSON.stringify(await keyPolicies(h))).not.toContain(FOREIGN_ACCOUNT);
    // The operator puts the entry back as it was (a restore): its seals verify again.
    await restore(h, original);
    expect((await f.rotation(rotateNow())).outcome).toBe('started');
  });

  test.each(FINDINGS.slice(0, 3))('%s, with the state seal dropped: refused as unsealed', async (_, edit) => {
    await tamper(h, edit, { dropSeal: true });
    await expectRefused(rotateNow(), 'ledger-unsealed');
  });

  test('6. takeover of another EXTERNAL key: a retired generation pointed at a victim key; the victim is never touched', async () => {
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const victim = (await h.kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'victim' }))).KeyMetadata!;
    const victimPolicy = (await h.kms.send(new GetKeyPolicyCommand({ KeyId: victim.KeyId!, PolicyName: 'default' }))).Policy;
    h.sim.calls.reset();
    await tamper(h, (i) => {
      const retired = i.generations.find((g: Item) => g.stage === 'retired');
      Object.assign(retired, { keyId: victim.KeyId, keyArn: victim.Arn, appliedDigest: undefined });
    });
    await expectRefused(rotateIfDue(), 'ledger-seal');
    await expect(f.lifecycle(cfnEvent('Update', groupProps({ Description: 'changed' }), { OldResourceProperties: groupProps() })))
      .rejects.toMatchObject({ name: 'LedgerTamperedError' });
    expect(h.sim.calls.list().filter((c) => c.request.KeyId === victim.KeyId || c.request.KeyId === victim.Arn)).toEqual([]);
    expect((await h.kms.send(new GetKeyPolicyCommand({ KeyId: victim.KeyId!, PolicyName: 'default' }))).Policy).toBe(victimPolicy);
    expect(h.sim.state.key(victim.KeyId!)!.tags).toEqual({});
  });

  test('6. with the seal dropped, a deploy (which seals an unsealed entry once) refuses one that points a generation at a victim key', async () => {
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const victim = (await h.kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'victim' }))).KeyMetadata!;
    const victimPolicy = (await h.kms.send(new GetKeyPolicyCommand({ KeyId: victim.KeyId!, PolicyName: 'default' }))).Policy;
    h.sim.calls.reset();
    const doc = documentClient(h);
    await tamper(h, (i) => {
      Object.assign(i.generations.find((g: Item) => g.stage === 'retired'), { keyId: victim.KeyId, keyArn: victim.Arn, appliedDigest: undefined });
    }, { dropSeal: true });
    const update = cfnEvent('Update', groupProps({ Description: 'changed' }), { OldResourceProperties: groupProps() });
    await expect(f.lifecycle(update)).rejects.toMatchObject({ name: 'LedgerTamperedError', tampering: 'ledger-unsealed', message: expect.stringContaining('group\'s tag') });
    expect(h.sim.calls.writes({ includeFailed: true })).toBe(0);
    expect(h.sim.calls.list().filter((c) => c.op !== 'ListResourceTags' && (c.request.KeyId === victim.KeyId || c.request.KeyId === victim.Arn))).toEqual([]);
    expect((await h.kms.send(new GetKeyPolicyCommand({ KeyId: victim.KeyId!, PolicyName: 'default' }))).Policy).toBe(victimPolicy);
    // Not sealed: the rotation function still refuses it.
    expect((await doc.send(new GetCommand({ TableName: h.tableName, Key: { pk: 'group#telemetry-group', sk: 'state' } }))).Item!.stateSeal).toBeUndefined();
    await expectRefused(rotateIfDue(), 'ledger-unsealed');
  });

  test('the rotation role\'s credentials re-seal an edited entry with the state key: the settings seal still refuses it', async () => {
    // Without the synthesized key policies the simulator lets any caller make MACs: here that stands for the rotation
    // role, which the state key's policy allows. The settings key's policy allows only the lifecycle role (see below).
    const forger = new SealGateway(h.sim.client({ maxAttempts: 1 }), h.sealKeys);
    await tamper(h, (i) => {
      i.settings.policy.Statement.push(BACKDOOR);
      delete i.stateSeal;
    });
    const doc = documentClient(h);
    const item = (await doc.send(new GetCommand({ TableName: h.tableName, Key: { pk: 'group#telemetry-group', sk: 'state' } }))).Item!;
    const { pk: _pk, sk: _sk, ...content } = item;
    const stateSeal = await forger.seal('state', sealMessage('state', h.tableName, 'telemetry-group', content));
    await doc.send(new PutCommand({ TableName: h.tableName, Item: { ...item, stateSeal } }));
    await expectRefused(rotateNow(), 'settings-seal');
  });

  test('a lock longer than any lease, sealed with the rotation role\'s credentials, holds nobody out and is reported', async () => {
    const forger = new SealGateway(h.sim.client({ maxAttempts: 1 }), h.sealKeys);
    const doc = documentClient(h);
    const key = { pk: 'group#telemetry-group', sk: 'state' };
    const item = (await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
    const { pk: _pk, sk: _sk, stateSeal: _seal, ...content } = item;
    const locked = { ...content, lock: { owner: 'attacker', until: '2099-01-01T00:00:00.000Z', purpose: 'rotation' } };
    const stateSeal = await forger.seal('state', sealMessage('state', h.tableName, 'telemetry-group', locked));
    await doc.send(new PutCommand({ TableName: h.tableName, Item: { ...key, ...locked, stateSeal } }));
    expect((await f.rotation(rotateNow())).outcome).toBe('started');
    expect(h.log.errors().map((l) => [l.message, l.attributes.tampering])).toEqual([[expect.stringContaining('longer than any lease'), 'lock']]);
    expect(parseEmf(h.emf[h.emf.length - 1]).values.TamperingDetected).toBe(1);
  });

  test('the lifecycle function refuses a CloudFormation event of another stack before any read', async () => {
    const guarded = h.functions({ stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/example/1` });
    const before = h.db.commands.length;
    const forged = cfnEvent('Update', groupProps({ KeyPolicyStatements: JSON.stringify([BACKDOOR]) }), {
      OldResourceProperties: groupProps(), StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/attacker/1`,
    });
    await expect(guarded.lifecycle(forged)).rejects.toThrow(/is not this function's stack/);
    expect(h.db.commands.length).toBe(before);
  });
});

describe('principals of the account against the synthesized policies', () => {
  let stack: DeployedStack;
  beforeAll(() => { stack = deployedStack(); });

  test('only the lifecycle role makes settings seals, only the function roles make state seals; kms:* on * makes neither', async () => {
    const attacker = {
      accessKeyId: 'AKIDKMSADMIN',
      arn: `arn:aws:iam::${stack.lifecycle.arn.split(':')[4]}:role/KmsPowerUser`,
      policies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }] as PolicyDocument[],
    };
    const h = await Harness.start({ authorization: { principals: [...stack.principals, attacker] } }, stack.tableName, stack.sealKeyPolicies);
    try {
      const mac = (accessKeyId: string, key: string) => h.sim.clientFor(accessKeyId, { maxAttempts: 1 })
        .send(new GenerateMacCommand({ KeyId: key, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })).then(() => 'allowed', (e: Error) => e.name);
      expect(await mac(stack.lifecycle.accessKeyId, h.sealKeys.settings)).toBe('allowed');
      expect(await mac(stack.lifecycle.accessKeyId, h.sealKeys.state)).toBe('allowed');
      expect(await mac(stack.rotation.accessKeyId, h.sealKeys.state)).toBe('allowed');
      expect(await mac(stack.rotation.accessKeyId, h.sealKeys.settings)).toBe('AccessDeniedException');
      expect(await mac(attacker.accessKeyId, h.sealKeys.settings)).toBe('AccessDeniedException');
      expect(await mac(attacker.accessKeyId, h.sealKeys.state)).toBe('AccessDeniedException');
      expect(await mac(stack.operator.accessKeyId, h.sealKeys.state)).toBe('AccessDeniedException');
    } finally {
      await h.stop();
    }
  });

  test('lambda:InvokeFunction on * does not reach the lifecycle function: its resource policy lets only the provider in', async () => {
    const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    const template = stack.template;
    const fnArn = functionArnOf(functionIds(template).lifecycle);
    const [guardId] = Object.entries<any>(template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::ResourcePolicy')!;
    const guard = resolveIntrinsics(template, template.Resources[guardId].Properties.PolicyDocument) as PolicyDocument;
    const providerRoleId = Object.keys(template.Resources).find((id) => id.includes('ProviderRole') && template.Resources[id].Type === 'AWS::IAM::Role')!;
    const providerArn = `arn:aws:iam::${stack.lifecycle.arn.split(':')[4]}:role/${providerRoleId}`;
    const invokeAll: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] };
    const f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
    const endpoint = await LambdaEndpoint.start(
      [{ name: 'lifecycle', arn: fnArn, invoke: (event) => f.lifecycle(event), resourcePolicy: guard }],
      [
        { accessKeyId: 'AKIDDEVELOPER', arn: `arn:aws:iam::${providerArn.split(':')[4]}:role/Developer`, policies: [invokeAll] },
        { accessKeyId: 'AKIDPROVIDER', arn: providerArn, policies: [invokeAll] },
      ],
    );
    try {
      const create = cfnEvent('Create', stack.resourceProperties);
      const forged = cfnEvent('Update', { ...stack.resourceProperties, KeyPolicyStatements: JSON.stringify([BACKDOOR]) }, { OldResourceProperties: stack.resourceProperties });
      const invokeAs = (accessKeyId: string, event: unknown) => new LambdaClient({
        region: REGION, endpoint: endpoint.url, credentials: { accessKeyId, secretAccessKey: `${accessKeyId}-secret` }, maxAttempts: 1,
      }).send(new InvokeCommand({ FunctionName: fnArn, Payload: Buffer.from(JSON.stringify(event)) })).then((r) => r.FunctionError ?? 'ok', (e: Error) => e.name);
      expect(await invokeAs('AKIDDEVELOPER', forged)).toBe('AccessDeniedException');
      expect(await invokeAs('AKIDPROVIDER', create)).toBe('ok');
      expect(endpoint.invocations.map((i) => [i.caller, i.allowed])).toEqual([[expect.stringContaining('Developer'), false], [providerArn, true]]);
      expect(JSON.stringify((await h.group()).settings.policy)).not.toContain(FOREIGN_ACCOUNT);
    } finally {
      await endpoint.stop();
      await h.stop();
    }
  });
});

async function keyPolicies(h: Harness): Promise<string[]> {
  const keys = h.groupKeys('telemetry-group');
  return Promise.all(keys.map(async (k) => (await h.kms.send(new GetKeyPolicyCommand({ KeyId: k.id, PolicyName: 'default' }))).Policy!));
}
