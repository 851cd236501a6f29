import {
  CreateKeyCommand,
  KMSClient,
  LimitExceededException,
  ListResourceTagsCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  TagException,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-kms';
import {
  GetResourcesCommand,
  GetResourcesCommandInput,
  InvalidParameterException,
  ResourceGroupsTaggingAPIClient,
  ThrottledException,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { MS_PER_DAY } from './clock';
import { KmsSimulator, startKmsSimulator } from './index';

let sim: KmsSimulator;
let kms: KMSClient;
let tagging: ResourceGroupsTaggingAPIClient;

beforeAll(async () => {
  sim = await startKmsSimulator();
  kms = sim.client({ maxAttempts: 1 });
  tagging = sim.taggingClient({ maxAttempts: 1 });
});

afterAll(async () => {
  await sim.stop();
});

async function newKey(tags: Record<string, string> = {}): Promise<{ id: string; arn: string }> {
  const md = (await kms.send(new CreateKeyCommand({
    Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
  }))).KeyMetadata!;
  return { id: md.KeyId!, arn: md.Arn! };
}

describe('TagResource / UntagResource / ListResourceTags', () => {
  test('add, replace, remove tags', async () => {
    const { id } = await newKey({ env: 'dev' });
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'owner', TagValue: 'team-a' }] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags).toEqual([
      { TagKey: 'env', TagValue: 'prod' },
      { TagKey: 'owner', TagValue: 'team-a' },
    ]);
    await kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['env', 'not-there'] }));
    const out = await kms.send(new ListResourceTagsCommand({ KeyId: id }));
    expect(out.Tags).toEqual([{ TagKey: 'owner', TagValue: 'team-a' }]);
    expect(out.Truncated).toBe(false);
    expect(sim.state.key(id)?.tags).toEqual({ owner: 'team-a' });
  });

  test('validation: aws: prefix and lengths -> TagException; more than 50 tags -> LimitExceededException', async () => {
    const { id } = await newKey();
    await expect(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'aws:x', TagValue: 'v' }] }))).rejects.toThrow(TagException);
    await expect(kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['aws:x'] }))).rejects.toThrow(TagException);
    await expect(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'k', TagValue: 'v'.repeat(257) }] }))).rejects.toThrow(TagException);
    const fifty = Array.from({ length: 50 }, (_, i) => ({ TagKey: `k${String(i).padStart(2, '0')}`, TagValue: `${i}` }));
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: fifty }));
    await expect(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'one-more', TagValue: 'x' }] }))).rejects.toThrow(LimitExceededException);
    // Replacing an existing key does not count as an additional tag.
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'k00', TagValue: 'replaced' }] }));
    expect(Object.keys(sim.state.key(id)!.tags)).toHaveLength(50);
  });

  test('ListResourceTags pages with Limit/Marker; Limit is 1..50', async () => {
    const { id } = await newKey();
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: ['e', 'c', 'a', 'd', 'b'].map((k) => ({ TagKey: k, TagValue: k.toUpperCase() })) }));
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 2, Marker: marker }));
      pages++;
      seen.push(...page.Tags!.map((t) => `${t.TagKey}=${t.TagValue}`));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    expect(pages).toBe(3);
    expect(seen).toEqual(['a=A', 'b=B', 'c=C', 'd=D', 'e=E']);
    await expect(kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 51 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('tag changes are visible through GetResources', async () => {
    const { id, arn } = await newKey({ stage: 'blue' });
    const find = async () => (await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'stage', Values: ['green'] }] })))
      .ResourceTagMappingList!.map((m) => m.ResourceARN);
    expect(await find()).not.toContain(arn);
    await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'stage', TagValue: 'green' }] }));
    expect(await find()).toContain(arn);
    await kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['stage'] }));
    expect(await find()).not.toContain(arn);
  });

  test('unknown key -> NotFoundException', async () => {
    await expect(kms.send(new ListResourceTagsCommand({ KeyId: '12345678-1234-4234-8234-123456789012' }))).rejects.toThrow(NotFoundException);
  });
});

describe('GetResources (Resource Groups Tagging API)', () => {
  let local: KmsSimulator;
  let client: ResourceGroupsTaggingAPIClient;
  const keys: Record<string, { id: string; arn: string }> = {};

  beforeAll(async () => {
    local = await startKmsSimulator();
    client = local.taggingClient({ maxAttempts: 1 });
    const k = local.client({ maxAttempts: 1 });
    const create = async (name: string, tags: Record<string, string>) => {
      const tagList = Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      const md = (await k.send(new CreateKeyCommand({ Tags: tagList }))).KeyMetadata!;
      keys[name] = { id: md.KeyId!, arn: md.Arn! };
    };
    await create('prodA', { env: 'prod', team: 'a' });
    await create('prodB', { env: 'prod', team: 'b' });
    await create('dev', { env: 'dev', team: 'a' });
    await create('empty', { env: '' });
    await create('untagged', {});
    await create('doomed', { env: 'prod', team: 'c' });
    await k.send(new ScheduleKeyDeletionCommand({ KeyId: keys.doomed.id, PendingWindowInDays: 7 }));
  });

  afterAll(async () => {
    await local.stop();
  });

  async function arns(input: GetResourcesCommandInput): Promise<string[]> {
    const out = await client.send(new GetResourcesCommand(input));
    expect(out.PaginationToken).toBe('');
    return out.ResourceTagMappingList!.map((m) => m.ResourceARN!);
  }

  test('no filters: every existing key (pending deletion included) with its tags', async () => {
    const out = await client.send(new GetResourcesCommand({}));
    expect(out.ResourceTagMappingList!.map((m) => m.ResourceARN)).toEqual(
      ['prodA', 'prodB', 'dev', 'empty', 'untagged', 'doomed'].map((n) => keys[n].arn),
    );
    expect(out.ResourceTagMappingList![0].Tags).toEqual([{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a' }]);
    expect(out.ResourceTagMappingList![4].Tags).toEqual([]);
  });

  test('Values are ORed within a filter, filters are ANDed', async () => {
    expect(await arns({ TagFilters: [{ Key: 'env', Values: ['prod'] }] })).toEqual([keys.prodA.arn, keys.prodB.arn, keys.doomed.arn]);
    expect(await arns({ TagFilters: [{ Key: 'team', Values: ['a', 'b'] }] })).toEqual([keys.prodA.arn, keys.prodB.arn, keys.dev.arn]);
    expect(await arns({ TagFilters: [{ Key: 'env', Values: ['prod'] }, { Key: 'team', Values: ['a', 'c'] }] })).toEqual([keys.prodA.arn, keys.doomed.arn]);
    expect(await arns({ TagFilters: [{ Key: 'env', Values: ['nope'] }] })).toEqual([]);
  });

  test('a filter without Values matches any value of the key (including empty)', async () => {
    expect(await arns({ TagFilters: [{ Key: 'env' }] })).toEqual(
      ['prodA', 'prodB', 'dev', 'empty', 'doomed'].map((n) => keys[n].arn),
    );
    expect(await arns({ TagFilters: [{ Key: 'env', Values: [''] }] })).toEqual([keys.empty.arn]);
  });

  test('ResourceTypeFilters: kms:key and kms select keys, other types select nothing', async () => {
    expect(await arns({ ResourceTypeFilters: ['kms:key'], TagFilters: [{ Key: 'team', Values: ['b'] }] })).toEqual([keys.prodB.arn]);
    expect(await arns({ ResourceTypeFilters: ['kms'], TagFilters: [{ Key: 'team', Values: ['b'] }] })).toEqual([keys.prodB.arn]);
    expect(await arns({ ResourceTypeFilters: ['s3:bucket'] })).toEqual([]);
  });

  test('ResourcesPerPage + PaginationToken page through the result', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(new GetResourcesCommand({ ResourcesPerPage: 2, PaginationToken: token, TagFilters: [{ Key: 'env' }] }));
      pages++;
      expect(out.ResourceTagMappingList!.length).toBeLessThanOrEqual(2);
      seen.push(...out.ResourceTagMappingList!.map((m) => m.ResourceARN!));
      token = out.PaginationToken;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(['prodA', 'prodB', 'dev', 'empty', 'doomed'].map((n) => keys[n].arn));
  });

  test('ResourceARNList returns the listed keys', async () => {
    expect(await arns({ ResourceARNList: [keys.dev.arn, 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000'] }))
      .toEqual([keys.dev.arn]);
  });

  test('deleted keys disappear', async () => {
    local.clock.advance(8 * MS_PER_DAY);
    expect(await arns({ TagFilters: [{ Key: 'team', Values: ['c'] }] })).toEqual([]);
  });

  test('invalid parameters -> InvalidParameterException', async () => {
    await expect(client.send(new GetResourcesCommand({ ResourcesPerPage: 101 }))).rejects.toThrow(InvalidParameterException);
    await expect(client.send(new GetResourcesCommand({ PaginationToken: 'bogus' }))).rejects.toThrow(InvalidParameterException);
    await expect(client.send(new GetResourcesCommand({ ResourceARNList: [keys.dev.arn], TagFilters: [{ Key: 'env' }] })))
      .rejects.toThrow(InvalidParameterException);
  });

  test('GetResources is counted and can be throttled (ThrottledException)', async () => {
    const before = local.calls.count('GetResources');
    await client.send(new GetResourcesCommand({}));
    expect(local.calls.count('GetResources')).toBe(before + 1);
    local.faults.throttle('GetResources', 1);
    await expect(client.send(new GetResourcesCommand({}))).rejects.toThrow(ThrottledException);
    expect(local.calls.list().slice(-1)[0]).toMatchObject({ op: 'GetResources', ok: false, error: 'ThrottledException' });
  });
});
