import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  TagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { ACCESS_PLANS } from './access-plans';
import { adminKey, aliasArn, allow, failure, keyPolicy, principal } from './authorization-helpers';
import { KMS_HANDLERS, TAGGING_HANDLERS } from './handlers';
import { DEFAULT_PROPAGATION_MS, KmsSimulator, startKmsSimulator } from './index';

const P = DEFAULT_PROPAGATION_MS;
const plaintext = Buffer.from('secret');

let sim: KmsSimulator;
let admin: KMSClient;
beforeAll(async () => {
  sim = await startKmsSimulator({ authorization: { principals: [] } });
  admin = sim.client({ maxAttempts: 1 });
});
afterAll(async () => sim.stop());

const encrypt = (kms: KMSClient, keyId: string) => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));

test('every KMS and tagging operation has an access plan', () => {
  expect(Object.keys(ACCESS_PLANS).sort()).toEqual([...Object.keys(KMS_HANDLERS), ...Object.keys(TAGGING_HANDLERS)].sort());
});

test("the simulator's own credentials are an admin; decisions are counted per principal and operation", async () => {
  const key = await adminKey(admin);
  await encrypt(admin, key.id);
  await admin.send(new ListKeysCommand({}));
  expect(sim.authorization.enabled).toBe(true);
  expect(sim.authorization.decisions.allowed({ principal: sim.authorization.adminArn, operation: 'Encrypt' })).toBeGreaterThanOrEqual(1);
  expect(sim.authorization.decisions.list()).toEqual(expect.arrayContaining([
    expect.objectContaining({ principal: sim.authorization.adminArn, operation: 'CreateKey', denied: 0 }),
  ]));
});

test('unknown access key id -> 400 UnrecognizedClientException', async () => {
  const err = await failure(sim.clientFor('AKIAUNKNOWN000000000', { maxAttempts: 1 }).send(new ListKeysCommand({})));
  expect(err.name).toBe('UnrecognizedClientException');
  expect(err.$metadata.httpStatusCode).toBe(400);
});

test('default key policy (account delegation): a role without an IAM allow is denied, a role with one is allowed', async () => {
  const key = await adminKey(admin);
  const nobody = principal(sim, 'Nobody');
  const encrypter = principal(sim, 'Encrypter', allow(['kms:Encrypt', 'kms:Decrypt']));
  const err = await failure(encrypt(nobody.kms, key.id));
  expect(err.name).toBe('AccessDeniedException');
  expect(err.message).toBe(`User: ${nobody.arn} is not authorized to perform: kms:Encrypt on resource: ${key.arn} because no identity-based policy allows the kms:Encrypt action`);
  const out = await encrypt(encrypter.kms, key.id);
  await encrypter.kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob }));
  expect(sim.authorization.decisions.denied({ principal: nobody.arn })).toBe(1);
  expect(sim.authorization.decisions.allowed({ principal: encrypter.arn, operation: 'Encrypt' })).toBe(1);
  expect(sim.authorization.decisions.allowed({ principal: encrypter.arn, operation: 'Decrypt' })).toBe(1);
});

test('a key policy granting the role directly needs no IAM allow', async () => {
  const role = principal(sim, 'Direct');
  const key = await adminKey(admin, { Policy: keyPolicy({ Effect: 'Allow', Principal: { AWS: role.arn }, Action: 'kms:Encrypt', Resource: '*' }) });
  await expect(encrypt(role.kms, key.id)).resolves.toBeDefined();
});

test('a Deny in the key policy beats an IAM allow', async () => {
  const role = principal(sim, 'Denied', allow('kms:*'));
  const key = await adminKey(admin, { Policy: keyPolicy({ Effect: 'Deny', Principal: { AWS: role.arn }, Action: 'kms:Encrypt', Resource: '*' }) });
  const err = await failure(encrypt(role.kms, key.id));
  expect(err.name).toBe('AccessDeniedException');
  expect(err.message).toContain('explicit deny in a resource-based policy');
  await expect(role.kms.send(new DescribeKeyCommand({ KeyId: key.id }))).resolves.toBeDefined();
});

test('a key policy that does not delegate to the account denies even the admin', async () => {
  const role = principal(sim, 'Owner');
  const key = await adminKey(admin, { Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: role.arn }, Action: 'kms:*', Resource: '*' }] }) });
  expect((await failure(encrypt(admin, key.id))).name).toBe('AccessDeniedException');
  await expect(encrypt(role.kms, key.id)).resolves.toBeDefined();
});

test('a grant conditioned on kms:ResourceAliases covers a key only propagationMs after the alias moved to it', async () => {
  const a = await adminKey(admin);
  const b = await adminKey(admin);
  const alias = 'alias/resource-aliases/current';
  const role = principal(sim, 'ByAlias', allow('kms:Encrypt', '*', { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } }));
  await admin.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: a.id }));
  expect((await failure(encrypt(role.kms, a.id))).name).toBe('AccessDeniedException');
  sim.clock.advance(P);
  await expect(encrypt(role.kms, a.id)).resolves.toBeDefined();

  await admin.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: b.id }));
  // The API already answers with the new target; authorization still sees the old one.
  expect((await admin.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.KeyId).toBe(b.id);
  expect((await failure(encrypt(role.kms, b.id))).name).toBe('AccessDeniedException');
  await expect(encrypt(role.kms, a.id)).resolves.toBeDefined();
  sim.clock.advance(P - 1);
  expect((await failure(encrypt(role.kms, b.id))).name).toBe('AccessDeniedException');
  sim.clock.advance(1);
  await expect(encrypt(role.kms, b.id)).resolves.toBeDefined();
  expect((await failure(encrypt(role.kms, a.id))).name).toBe('AccessDeniedException');
});

test('a retired-key fence (key policy Deny kms:Encrypt for Principal "*") refuses only propagationMs after PutKeyPolicy', async () => {
  const key = await adminKey(admin);
  const role = principal(sim, 'Writer', allow(['kms:Encrypt', 'kms:Decrypt']));
  const { CiphertextBlob } = await encrypt(role.kms, key.id);
  await admin.send(new PutKeyPolicyCommand({
    KeyId: key.id,
    Policy: keyPolicy({ Sid: 'Fence', Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*' }),
  }));
  await expect(encrypt(role.kms, key.id)).resolves.toBeDefined();
  sim.clock.advance(P - 1);
  await expect(encrypt(role.kms, key.id)).resolves.toBeDefined();
  sim.clock.advance(1);
  expect((await failure(encrypt(role.kms, key.id))).message).toContain('explicit deny in a resource-based policy');
  expect((await failure(encrypt(admin, key.id))).name).toBe('AccessDeniedException');
  await expect(role.kms.send(new DecryptCommand({ CiphertextBlob }))).resolves.toBeDefined();
});

test('a kms:RequestAlias condition follows UpdateAlias at once (a request property)', async () => {
  const a = await adminKey(admin);
  const b = await adminKey(admin);
  const alias = 'alias/request-alias/current';
  const role = principal(sim, 'ViaAlias', allow('kms:Encrypt', '*', { StringEquals: { 'kms:RequestAlias': alias } }));
  await admin.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: a.id }));
  expect((await encrypt(role.kms, alias)).KeyId).toBe(a.arn);
  await admin.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: b.id }));
  expect((await encrypt(role.kms, alias)).KeyId).toBe(b.arn);
  expect((await encrypt(role.kms, aliasArn(alias))).KeyId).toBe(b.arn);
  expect((await failure(encrypt(role.kms, b.id))).name).toBe('AccessDeniedException');
});

test('UpdateAlias needs permission on the alias, the current key and the new key', async () => {
  const a = await adminKey(admin);
  const b = await adminKey(admin);
  const alias = 'alias/update-alias/both';
  await admin.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: a.id }));
  const update = (kms: KMSClient) => kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: b.id }));

  const currentOnly = principal(sim, 'CurrentOnly', allow('kms:UpdateAlias', [aliasArn(alias), a.arn]));
  expect((await failure(update(currentOnly.kms))).message).toContain(`kms:UpdateAlias on resource: ${b.arn}`);
  const newOnly = principal(sim, 'NewOnly', allow('kms:UpdateAlias', [aliasArn(alias), b.arn]));
  expect((await failure(update(newOnly.kms))).message).toContain(`kms:UpdateAlias on resource: ${a.arn}`);
  const keysOnly = principal(sim, 'KeysOnly', allow('kms:UpdateAlias', [a.arn, b.arn]));
  expect((await failure(update(keysOnly.kms))).message).toContain(`kms:UpdateAlias on resource: ${aliasArn(alias)}`);
  const both = principal(sim, 'Both', allow('kms:UpdateAlias', [aliasArn(alias), a.arn, b.arn]));
  await update(both.kms);
  expect(sim.state.aliases().find((x) => x.AliasName === alias)?.TargetKeyId).toBe(b.id);
});

test('CreateAlias needs permission on the alias ARN (identity policy) and on the target key', async () => {
  const key = await adminKey(admin);
  const alias = 'alias/create-alias/two';
  const create = (kms: KMSClient) => kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.id }));
  expect((await failure(create(principal(sim, 'AliasOnly', allow('kms:CreateAlias', aliasArn(alias))).kms))).message).toContain(key.arn);
  expect((await failure(create(principal(sim, 'KeyOnly', allow('kms:CreateAlias', key.arn)).kms))).message).toContain(aliasArn(alias));
  await create(principal(sim, 'AliasAndKey', allow('kms:CreateAlias', [aliasArn(alias), key.arn])).kms);
});

test('CreateKey with Tags also needs kms:TagResource', async () => {
  const createOnly = principal(sim, 'CreateOnly', allow('kms:CreateKey'));
  await createOnly.kms.send(new CreateKeyCommand({}));
  const err = await failure(createOnly.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'x' }] })));
  expect(err.message).toBe(`User: ${createOnly.arn} is not authorized to perform: kms:TagResource on resource: * because no identity-based policy allows the kms:TagResource action`);
  const withTag = principal(sim, 'CreateAndTag', allow(['kms:CreateKey', 'kms:TagResource']));
  await withTag.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'x' }] }));
});

test('aws:RequestTag and aws:TagKeys conditions on CreateKey and TagResource', async () => {
  const role = principal(
    sim,
    'Tagger',
    allow(['kms:CreateKey', 'kms:TagResource'], '*', {
      'StringEquals': { 'aws:RequestTag/team': 'rotation' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'stage'] },
    }),
  );
  const created = await role.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'rotation' }, { TagKey: 'stage', TagValue: 'pending' }] }));
  expect((await failure(role.kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'other' }] })))).name).toBe('AccessDeniedException');
  expect((await failure(role.kms.send(new CreateKeyCommand({})))).name).toBe('AccessDeniedException');
  const keyId = created.KeyMetadata!.KeyId!;
  await role.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'rotation' }] }));
  const err = await failure(role.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'rotation' }, { TagKey: 'owner', TagValue: 'me' }] })));
  expect(err.name).toBe('AccessDeniedException');
});

test('aws:ResourceTag: the tags a key was created with count at once, a later TagResource only after propagationMs', async () => {
  const role = principal(sim, 'GroupMember', allow('kms:Encrypt', '*', { StringEquals: { 'aws:ResourceTag/rotation:group': 'g1' } }));
  const tagged = await adminKey(admin, { Tags: [{ TagKey: 'rotation:group', TagValue: 'g1' }] });
  await expect(encrypt(role.kms, tagged.id)).resolves.toBeDefined();
  const later = await adminKey(admin);
  await admin.send(new TagResourceCommand({ KeyId: later.id, Tags: [{ TagKey: 'rotation:group', TagValue: 'g1' }] }));
  expect((await failure(encrypt(role.kms, later.id))).name).toBe('AccessDeniedException');
  sim.clock.advance(P);
  await expect(encrypt(role.kms, later.id)).resolves.toBeDefined();
});

test('without the consistency mode, reads see a change at once while authorization still lags', async () => {
  const role = principal(sim, 'Reader', allow('kms:ListResourceTags', '*', { StringEquals: { 'aws:ResourceTag/stage': 'current' } }));
  const key = await adminKey(admin, { Tags: [{ TagKey: 'stage', TagValue: 'current' }] });
  await admin.send(new TagResourceCommand({ KeyId: key.id, Tags: [{ TagKey: 'stage', TagValue: 'retired' }] }));
  expect((await role.kms.send(new ListResourceTagsCommand({ KeyId: key.id }))).Tags).toEqual([{ TagKey: 'stage', TagValue: 'retired' }]);
  sim.clock.advance(P);
  expect((await failure(role.kms.send(new ListResourceTagsCommand({ KeyId: key.id })))).name).toBe('AccessDeniedException');
  expect(sim.consistency.enabled).toBe(false);
});

test('the tagging API GetResources needs tag:GetResources', async () => {
  const nobody = principal(sim, 'NoTagging');
  const reader = principal(sim, 'TagReader', allow('tag:GetResources'));
  const err = await failure(sim.taggingClientFor(nobody.accessKeyId, { maxAttempts: 1 }).send(new GetResourcesCommand({})));
  expect(err.name).toBe('AccessDeniedException');
  expect(err.message).toContain('tag:GetResources on resource: *');
  await expect(sim.taggingClientFor(reader.accessKeyId, { maxAttempts: 1 }).send(new GetResourcesCommand({}))).resolves.toBeDefined();
});

test('a principal in another account needs the key policy to name it, and its own IAM allow', async () => {
  const key = await adminKey(admin);
  sim.authorization.setPrincipal({ accessKeyId: 'AKIAOTHERACCOUNT0001', arn: 'arn:aws:iam::444455556666:role/Partner', policies: [allow('kms:Encrypt')] });
  const partner = sim.clientFor('AKIAOTHERACCOUNT0001', { maxAttempts: 1 });
  expect((await failure(encrypt(partner, key.arn))).name).toBe('AccessDeniedException');
  const shared = await adminKey(admin, {
    Policy: keyPolicy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Encrypt', Resource: '*' }),
  });
  await expect(encrypt(partner, shared.arn)).resolves.toBeDefined();
});
