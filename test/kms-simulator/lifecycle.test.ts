import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisabledException,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  KMSInvalidStateException,
  LimitExceededException,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  NotFoundException,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { MS_PER_DAY } from './clock';
import { KmsSimulator } from './index';
import { createExternalKey, createKey, importMaterial, newMaterial, useSimulator } from './test-helpers';

const fixture = useSimulator();
let sim: KmsSimulator;
let kms: KMSClient;
beforeAll(() => ({ sim, kms } = fixture));

const newKey = (): Promise<string> => createKey(kms);

async function stateOf(keyId: string): Promise<string | undefined> {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
}

describe('EnableKey / DisableKey', () => {
  test('toggle Enabled <-> Disabled (idempotent)', async () => {
    const id = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: id }));
    await kms.send(new DisableKeyCommand({ KeyId: id }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await kms.send(new EnableKeyCommand({ KeyId: id }));
    await kms.send(new EnableKeyCommand({ KeyId: id }));
    expect(await stateOf(id)).toBe('Enabled');
  });

  test('PendingImport and PendingDeletion keys -> KMSInvalidStateException', async () => {
    const external = await createExternalKey(kms);
    await expect(kms.send(new EnableKeyCommand({ KeyId: external }))).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new DisableKeyCommand({ KeyId: external }))).rejects.toThrow(KMSInvalidStateException);
    const doomed = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed }));
    await expect(kms.send(new EnableKeyCommand({ KeyId: doomed }))).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new DisableKeyCommand({ KeyId: doomed }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('a disabled key whose material is re-imported after deletion comes back Enabled', async () => {
    const id = await createExternalKey(kms);
    const material = newMaterial();
    await importMaterial(kms, id, material, sim.clock.now());
    await kms.send(new DisableKeyCommand({ KeyId: id }));
    // Re-import while Disabled keeps the key Disabled.
    await importMaterial(kms, id, material, sim.clock.now());
    expect(await stateOf(id)).toBe('Disabled');
    sim.clock.advanceDays(31);
    expect(await stateOf(id)).toBe('PendingImport');
    await importMaterial(kms, id, material, sim.clock.now());
    expect(await stateOf(id)).toBe('Enabled');
  });
});

describe('ScheduleKeyDeletion / CancelKeyDeletion', () => {
  test('default window is 30 days; DeletionDate from the simulated clock', async () => {
    const id = await newKey();
    const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id }));
    const expected = new Date(sim.clock.now().getTime() + 30 * MS_PER_DAY);
    expect(out).toMatchObject({
      KeyId: `arn:aws:kms:us-east-1:111122223333:key/${id}`,
      KeyState: 'PendingDeletion',
      PendingWindowInDays: 30,
      DeletionDate: expected,
    });
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    expect(md).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, DeletionDate: expected });
  });

  test.each([6, 31, 0])('PendingWindowInDays %i -> ValidationException', async (days) => {
    const id = await newKey();
    await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: days }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('scheduling twice -> KMSInvalidStateException; cancelling a key not pending deletion -> KMSInvalidStateException', async () => {
    const id = await newKey();
    await expect(kms.send(new CancelKeyDeletionCommand({ KeyId: id }))).rejects.toThrow(KMSInvalidStateException);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    await expect(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('tagging, description and rotation on a key pending deletion -> KMSInvalidStateException; reads and PutKeyPolicy still work', async () => {
    const id = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    await expect(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] }))).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['a'] }))).rejects.toThrow(KMSInvalidStateException);
    await expect(kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'x' }))).rejects.toThrow(KMSInvalidStateException);
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy!;
    // PutKeyPolicy is allowed in every key state (key-state table).
    await expect(kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: policy }))).resolves.toBeDefined();
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: id }))).rejects.toThrow(KMSInvalidStateException);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags).toEqual([]);
    expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId)).toContain(id);
  });

  test('cancel -> Disabled (AWS_KMS key) or PendingImport (EXTERNAL key without material)', async () => {
    const id = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    const out = await kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
    expect(out.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${id}`);
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    expect(md.KeyState).toBe('Disabled');
    expect(md.DeletionDate).toBeUndefined();

    const ext = await createExternalKey(kms);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: ext, PendingWindowInDays: 7 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: ext }));
    expect(await stateOf(ext)).toBe('PendingImport');
  });

  test('after the waiting period the key and its aliases are gone', async () => {
    const id = await newKey();
    const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('bye') }))).CiphertextBlob!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: id }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    sim.clock.advance(7 * MS_PER_DAY - 1000);
    expect(await stateOf(id)).toBe('PendingDeletion');
    sim.clock.advance(1000);
    expect(sim.state.key(id)).toBeUndefined();
    await expect(kms.send(new DescribeKeyCommand({ KeyId: id }))).rejects.toThrow(NotFoundException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toThrow(NotFoundException);
    await expect(kms.send(new CancelKeyDeletionCommand({ KeyId: id }))).rejects.toThrow(NotFoundException);
    expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId)).not.toContain(id);
    expect((await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).not.toContain('alias/doomed');
    await expect(kms.send(new DeleteAliasCommand({ AliasName: 'alias/doomed' }))).rejects.toThrow(NotFoundException);
  });

  test('deletion is applied when the clock moves, without any request', async () => {
    const id = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    const before = sim.state.keys().map((k) => k.id);
    expect(before).toContain(id);
    const callsBefore = sim.calls.count();
    sim.clock.set(new Date(sim.clock.now().getTime() + 8 * MS_PER_DAY));
    expect(sim.state.keys().map((k) => k.id)).toEqual(before.filter((k) => k !== id));
    expect(sim.calls.count()).toBe(callsBefore);
  });
});

describe('RotateKeyOnDemand / ListKeyRotations', () => {
  test('EXTERNAL key: new material rotates in; old ciphertexts still decrypt; rotations listed', async () => {
    const id = await createExternalKey(kms);
    const first = await importMaterial(kms, id, newMaterial(), sim.clock.now(), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const oldBlob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('old') }))).CiphertextBlob!;

    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: id }))).rejects.toThrow(KMSInvalidStateException);

    const validTo = new Date(sim.clock.now().getTime() + 90 * MS_PER_DAY);
    const second = await importMaterial(kms, id, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL', validTo });
    sim.clock.advance(1000);
    const rotatedAt = sim.clock.now();
    const out = await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    expect(out.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${id}`);

    const md = (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!;
    expect(md.CurrentKeyMaterialId).toBe(second.KeyMaterialId);
    const newBlob = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('new') }));
    const decNew = await kms.send(new DecryptCommand({ CiphertextBlob: newBlob.CiphertextBlob }));
    expect(decNew.KeyMaterialId).toBe(second.KeyMaterialId);
    const decOld = await kms.send(new DecryptCommand({ CiphertextBlob: oldBlob }));
    expect(Buffer.from(decOld.Plaintext!).toString()).toBe('old');
    expect(decOld.KeyMaterialId).toBe(first.KeyMaterialId);

    const rotationsOnly = await kms.send(new ListKeyRotationsCommand({ KeyId: id }));
    expect(rotationsOnly.Rotations).toEqual([{
      KeyId: id,
      KeyMaterialId: second.KeyMaterialId,
      ImportState: 'IMPORTED',
      KeyMaterialState: 'CURRENT',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo,
      RotationDate: rotatedAt,
      RotationType: 'ON_DEMAND',
    }]);
    const all = await kms.send(new ListKeyRotationsCommand({ KeyId: id, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(all.Rotations!.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType])).toEqual([
      [first.KeyMaterialId, 'NON_CURRENT', undefined],
      [second.KeyMaterialId, 'CURRENT', 'ON_DEMAND'],
    ]);
    expect(all.Rotations![0]).toMatchObject({ ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportState: 'IMPORTED' });
    expect(all.Rotations![0].RotationDate).toBeUndefined();
  });

  test('a NON_CURRENT material that is deleted makes the key PendingImport until it is re-imported', async () => {
    const id = await createExternalKey(kms);
    const m1 = newMaterial();
    const first = await importMaterial(kms, id, m1, sim.clock.now(), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    await importMaterial(kms, id, newMaterial(), sim.clock.now(), { importType: 'NEW_KEY_MATERIAL', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: id, KeyMaterialId: first.KeyMaterialId }));
    expect(await stateOf(id)).toBe('PendingImport');
    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: id, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(rotations.Rotations![0]).toMatchObject({ KeyMaterialId: first.KeyMaterialId, ImportState: 'PENDING_IMPORT', KeyMaterialState: 'NON_CURRENT' });
    await importMaterial(kms, id, m1, sim.clock.now(), { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expect(await stateOf(id)).toBe('Enabled');
  });

  test('gating: Disabled -> DisabledException, PendingImport -> KMSInvalidStateException', async () => {
    const id = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: id }));
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: id }))).rejects.toThrow(DisabledException);
    const ext = await createExternalKey(kms);
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: ext }))).rejects.toThrow(KMSInvalidStateException);
  });

  test('AWS_KMS key: at most 25 on-demand rotations (LimitExceededException), listing pages', async () => {
    const id = await newKey();
    const blob = (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('v0') }))).CiphertextBlob!;
    for (let i = 0; i < 25; i++) {
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    }
    await expect(kms.send(new RotateKeyOnDemandCommand({ KeyId: id }))).rejects.toThrow(LimitExceededException);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString()).toBe('v0');
    const ids: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListKeyRotationsCommand({ KeyId: id, Limit: 10, Marker: marker }));
      ids.push(...page.Rotations!.map((r) => r.KeyMaterialId!));
      expect(page.Rotations!.every((r) => r.ImportState === undefined && r.RotationType === 'ON_DEMAND')).toBe(true);
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(ids[24]).toBe(sim.state.key(id)?.currentKeyMaterialId);
  });
});
