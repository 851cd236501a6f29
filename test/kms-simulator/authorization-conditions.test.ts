import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-kms';
import { adminKey, allow, failure, keyPolicy, principal } from './authorization-helpers';
import { MS_PER_DAY } from './clock';
import { KmsSimulator, startKmsSimulator, wrapKeyMaterial } from './index';
import { newMaterial } from './test-helpers';

let sim: KmsSimulator;
let admin: KMSClient;
beforeAll(async () => {
  sim = await startKmsSimulator({ authorization: { principals: [] } });
  admin = sim.client({ maxAttempts: 1 });
});
afterAll(async () => sim.stop());

const denied = async (p: Promise<unknown>): Promise<void> => expect((await failure(p)).name).toBe('AccessDeniedException');

test('kms:EncryptionContext:<k> and kms:EncryptionContextKeys', async () => {
  const key = await adminKey(admin);
  const role = principal(sim, 'Context', allow('kms:Encrypt', '*', {
    'StringEquals': { 'kms:EncryptionContext:purpose': 'probe' },
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'generation'] },
  }));
  const send = (context?: Record<string, string>) => role.kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), EncryptionContext: context }));
  await send({ purpose: 'probe', generation: '3' });
  await denied(send({ purpose: 'other' }));
  await denied(send({ purpose: 'probe', extra: 'y' }));
  await denied(send());
});

test('ReEncrypt is authorized as kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key', async () => {
  const a = await adminKey(admin);
  const b = await adminKey(admin);
  const { CiphertextBlob } = await admin.send(new EncryptCommand({ KeyId: a.id, Plaintext: Buffer.from('x') }));
  const reEncrypt = (kms: KMSClient) => kms.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: b.id }));
  expect((await failure(reEncrypt(principal(sim, 'FromOnly', allow('kms:ReEncryptFrom')).kms))).message).toContain(`kms:ReEncryptTo on resource: ${b.arn}`);
  expect((await failure(reEncrypt(principal(sim, 'ToOnly', allow('kms:ReEncryptTo')).kms))).message).toContain(`kms:ReEncryptFrom on resource: ${a.arn}`);
  await reEncrypt(principal(sim, 'Both', allow('kms:ReEncrypt*')).kms);
});

test('kms:RequestAlias applies to DescribeKey named by alias, not by key id', async () => {
  const key = await adminKey(admin);
  await admin.send(new CreateAliasCommand({ AliasName: 'alias/conditions/describe', TargetKeyId: key.id }));
  const role = principal(sim, 'Describer', allow('kms:DescribeKey', '*', { StringLike: { 'kms:RequestAlias': 'alias/conditions/*' } }));
  await role.kms.send(new DescribeKeyCommand({ KeyId: 'alias/conditions/describe' }));
  await denied(role.kms.send(new DescribeKeyCommand({ KeyId: key.id })));
});

test('kms:WrappingAlgorithm and kms:WrappingKeySpec on GetParametersForImport', async () => {
  const key = await adminKey(admin, { Origin: 'EXTERNAL' });
  const role = principal(sim, 'Importer', allow('kms:GetParametersForImport', '*', {
    StringEquals: { 'kms:WrappingAlgorithm': 'RSAES_OAEP_SHA_256', 'kms:WrappingKeySpec': 'RSA_2048' },
  }));
  const get = (algorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1') =>
    role.kms.send(new GetParametersForImportCommand({ KeyId: key.id, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' }));
  await get('RSAES_OAEP_SHA_256');
  await denied(get('RSAES_OAEP_SHA_1'));
});

test('kms:ExpirationModel and kms:ValidTo (epoch seconds) on ImportKeyMaterial', async () => {
  const key = await adminKey(admin, { Origin: 'EXTERNAL' });
  const limit = Math.floor(sim.clock.now().getTime() / 1000) + 60 * 86400;
  const role = principal(sim, 'Importer', allow('kms:ImportKeyMaterial', '*', {
    StringEquals: { 'kms:ExpirationModel': 'KEY_MATERIAL_EXPIRES' },
    NumericLessThanEquals: { 'kms:ValidTo': limit },
  }));
  const params = await admin.send(new GetParametersForImportCommand({ KeyId: key.id, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
  const material = newMaterial();
  const importWith = (validTo: Date | undefined, expirationModel: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE') =>
    role.kms.send(new ImportKeyMaterialCommand({
      KeyId: key.id,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(params.PublicKey!, 'RSAES_OAEP_SHA_256', material),
      ExpirationModel: expirationModel,
      ValidTo: validTo,
    }));
  const days = (n: number) => new Date(sim.clock.now().getTime() + n * MS_PER_DAY);
  await denied(importWith(undefined, 'KEY_MATERIAL_DOES_NOT_EXPIRE'));
  await denied(importWith(days(90), 'KEY_MATERIAL_EXPIRES'));
  await importWith(days(30), 'KEY_MATERIAL_EXPIRES');
});

test('kms:ScheduleKeyDeletionPendingWindowInDays', async () => {
  const key = await adminKey(admin);
  const role = principal(sim, 'Deleter', allow('kms:ScheduleKeyDeletion', '*', { NumericGreaterThanEquals: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 30 } }));
  await denied(role.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 7 })));
  await role.kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 30 }));
});

test('kms:KeyOrigin, kms:KeySpec, kms:KeyUsage and kms:MultiRegion on CreateKey and on key operations', async () => {
  const role = principal(sim, 'ExternalOnly', allow(['kms:CreateKey', 'kms:DescribeKey'], '*', {
    StringEquals: { 'kms:KeyOrigin': 'EXTERNAL', 'kms:KeySpec': 'SYMMETRIC_DEFAULT', 'kms:KeyUsage': 'ENCRYPT_DECRYPT' },
    Bool: { 'kms:MultiRegion': 'false' },
  }));
  await denied(role.kms.send(new CreateKeyCommand({})));
  const external = (await role.kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!;
  await role.kms.send(new DescribeKeyCommand({ KeyId: external }));
  await denied(role.kms.send(new DescribeKeyCommand({ KeyId: (await adminKey(admin)).id })));
});

test('kms:BypassPolicyLockoutSafetyCheck on CreateKey and PutKeyPolicy', async () => {
  const role = principal(sim, 'PolicyWriter', allow(['kms:CreateKey', 'kms:PutKeyPolicy']), {
    Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } } }],
  });
  await denied(role.kms.send(new CreateKeyCommand({ BypassPolicyLockoutSafetyCheck: true })));
  const keyId = (await role.kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  await denied(role.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy(), BypassPolicyLockoutSafetyCheck: true })));
  await role.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: keyPolicy() }));
});

test('kms:CallerAccount', async () => {
  const key = await adminKey(admin);
  const role = principal(sim, 'Caller', allow('kms:DescribeKey', '*', { StringEquals: { 'kms:CallerAccount': '999999999999' } }));
  await denied(role.kms.send(new DescribeKeyCommand({ KeyId: key.id })));
  const local = principal(sim, 'Local', allow('kms:DescribeKey', '*', { StringEquals: { 'kms:CallerAccount': sim.accountId } }));
  await local.kms.send(new DescribeKeyCommand({ KeyId: key.id }));
});

test('aws:TagKeys on UntagResource', async () => {
  const key = await adminKey(admin, { Tags: [{ TagKey: 'stage', TagValue: 'x' }, { TagKey: 'rotation:group', TagValue: 'g' }] });
  const role = principal(sim, 'Untagger', allow('kms:UntagResource', '*', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['stage'] } }));
  await denied(role.kms.send(new UntagResourceCommand({ KeyId: key.id, TagKeys: ['rotation:group'] })));
  await role.kms.send(new UntagResourceCommand({ KeyId: key.id, TagKeys: ['stage'] }));
});

test('kms:ResourceAliases is multi-valued (every alias pointing at the key, once propagated)', async () => {
  const key = await adminKey(admin);
  await admin.send(new CreateAliasCommand({ AliasName: 'alias/multi/one', TargetKeyId: key.id }));
  await admin.send(new CreateAliasCommand({ AliasName: 'alias/multi/two', TargetKeyId: key.id }));
  sim.clock.advance(sim.authorization.propagationMs);
  const all = principal(sim, 'AllAliases', allow('kms:DescribeKey', '*', { 'ForAllValues:StringLike': { 'kms:ResourceAliases': 'alias/multi/*' } }));
  const onlyOne = principal(sim, 'OnlyOne', allow('kms:DescribeKey', '*', { 'ForAllValues:StringEquals': { 'kms:ResourceAliases': 'alias/multi/one' } }));
  await all.kms.send(new DescribeKeyCommand({ KeyId: key.id }));
  await denied(onlyOne.kms.send(new DescribeKeyCommand({ KeyId: key.id })));
});

test('a request for a missing key answers NotFoundException, not AccessDeniedException', async () => {
  const nobody = principal(sim, 'Nobody');
  await expect(nobody.kms.send(new DescribeKeyCommand({ KeyId: '11111111-2222-4333-8444-555555555555' }))).rejects.toMatchObject({ name: 'NotFoundException' });
});
