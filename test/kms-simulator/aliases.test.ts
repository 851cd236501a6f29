import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  InvalidAliasNameException,
  KMSClient,
  KMSInvalidStateException,
  ListAliasesCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { KmsSimulator, startKmsSimulator } from './index';
import { createKey, useSimulator } from './test-helpers';

const fixture = useSimulator();
let sim: KmsSimulator;
let kms: KMSClient;
beforeAll(() => ({ sim, kms } = fixture));

const newKey = (): Promise<string> => createKey(kms);

test('CreateAlias / ListAliases / UpdateAlias / DeleteAlias lifecycle with dates from the simulated clock', async () => {
  const k1 = await newKey();
  const k2 = await newKey();
  const created = sim.clock.now();
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/app/main_key-1', TargetKeyId: k1 }));
  let list = await kms.send(new ListAliasesCommand({ KeyId: k1 }));
  expect(list.Aliases).toEqual([{
    AliasName: 'alias/app/main_key-1',
    AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/app/main_key-1',
    TargetKeyId: k1,
    CreationDate: created,
    LastUpdatedDate: created,
  }]);

  sim.clock.advanceDays(1);
  await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app/main_key-1', TargetKeyId: `arn:aws:kms:us-east-1:111122223333:key/${k2}` }));
  expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app/main_key-1' }))).KeyMetadata!.KeyId).toBe(k2);
  expect((await kms.send(new ListAliasesCommand({ KeyId: k1 }))).Aliases).toEqual([]);
  list = await kms.send(new ListAliasesCommand({ KeyId: k2 }));
  expect(list.Aliases![0]).toMatchObject({ TargetKeyId: k2, CreationDate: created, LastUpdatedDate: sim.clock.now() });
  expect(sim.state.aliases()).toEqual([expect.objectContaining({ AliasName: 'alias/app/main_key-1', TargetKeyId: k2 })]);

  await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app/main_key-1' }));
  expect((await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).not.toContain('alias/app/main_key-1');
  await expect(kms.send(new DeleteAliasCommand({ AliasName: 'alias/app/main_key-1' }))).rejects.toThrow(NotFoundException);
  await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/app/main_key-1' }))).rejects.toThrow(NotFoundException);
});

test('CreateAlias on an existing alias -> AlreadyExistsException', async () => {
  const k = await newKey();
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: k }));
  await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: await newKey() }))).rejects.toThrow(AlreadyExistsException);
});

test.each([
  ['reserved alias/aws/ prefix', 'alias/aws/s3'],
  ['invalid character', 'alias/has space'],
  ['invalid character (dot)', 'alias/a.b'],
  ['empty name after prefix', 'alias/'],
])('alias name with %s (%p) -> InvalidAliasNameException', async (_name, alias) => {
  await expect(kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: await newKey() }))).rejects.toThrow(InvalidAliasNameException);
});

test('alias name without alias/ prefix or longer than 256 -> ValidationException; 256 accepted', async () => {
  const k = await newKey();
  await expect(kms.send(new CreateAliasCommand({ AliasName: 'noprefix', TargetKeyId: k }))).rejects.toMatchObject({ name: 'ValidationException' });
  const long = `alias/${'a'.repeat(251)}`;
  await expect(kms.send(new CreateAliasCommand({ AliasName: long, TargetKeyId: k }))).rejects.toMatchObject({ name: 'ValidationException' });
  await kms.send(new CreateAliasCommand({ AliasName: long.slice(0, 256), TargetKeyId: k }));
  expect(sim.state.aliases().some((a) => a.AliasName === long.slice(0, 256))).toBe(true);
});

test('target must exist and must not be pending deletion', async () => {
  await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/ghost', TargetKeyId: '01234567-89ab-4cde-8f01-23456789abcd' })))
    .rejects.toThrow(NotFoundException);
  const doomed = await newKey();
  const live = await newKey();
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/to-update', TargetKeyId: live }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
  await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: doomed }))).rejects.toThrow(KMSInvalidStateException);
  await expect(kms.send(new UpdateAliasCommand({ AliasName: 'alias/to-update', TargetKeyId: doomed }))).rejects.toThrow(KMSInvalidStateException);
  await expect(kms.send(new UpdateAliasCommand({ AliasName: 'alias/not-there', TargetKeyId: live }))).rejects.toThrow(NotFoundException);
});

test('alias as alias target is refused', async () => {
  const k = await newKey();
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/first', TargetKeyId: k }));
  await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: 'alias/first' }))).rejects.toThrow(NotFoundException);
});

test('ListAliases pages with Limit/Marker in name order; Limit is 1..100', async () => {
  const local = await startKmsSimulator();
  try {
    const client = local.client({ maxAttempts: 1 });
    const k = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const names = ['alias/c', 'alias/a', 'alias/e', 'alias/b', 'alias/d'];
    for (const n of names) {
      await client.send(new CreateAliasCommand({ AliasName: n, TargetKeyId: k }));
    }
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await client.send(new ListAliasesCommand({ Limit: 2, Marker: marker }));
      expect(page.Aliases!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Aliases!.map((a) => a.AliasName!));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    expect(seen).toEqual([...names].sort());
    await expect(client.send(new ListAliasesCommand({ Limit: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new ListAliasesCommand({ KeyId: '01234567-89ab-4cde-8f01-23456789abcd' }))).rejects.toThrow(NotFoundException);
  } finally {
    await local.stop();
  }
});
