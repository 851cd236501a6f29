/**
 * A key group's generations live in its one ledger item, which DynamoDB caps
 * at 400 KB: the group records at most MAX_GENERATIONS, and a group at the cap
 * refuses to start a rotation, loudly, changing nothing. Sizes are measured
 * on entries stored in a real DynamoDB implementation, with generations as
 * full as a real one (escrow, material, retention and re-import records) and
 * a 32 KB key policy.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { MAX_GENERATIONS } from '../../lambda/rotation/generation-cap';
import { GenerationRecord, GroupRecord } from '../../lambda/rotation/ledger-model';

/** A generation with every record a long-lived one gathers. */
function fullGeneration(template: GenerationRecord, n: number): GenerationRecord {
  const id = `${String(n).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`;
  const at = '2030-01-01T00:00:00.000Z';
  return {
    ...template,
    n,
    keyId: id,
    keyArn: `arn:aws:kms:us-east-1:111122223333:key/${id}`,
    stage: 'retired',
    importedAt: at,
    testedAt: at,
    activatedAt: at,
    retiredAt: at,
    fencedAt: at,
    disabledAt: at,
    lastUsedAt: at,
    lastUsedOperation: 'Decrypt',
    reimportedAt: at,
    reimportedBy: 'function',
    materialValidTo: at,
    keyMaterialId: 'f'.repeat(64),
    keyMaterialDescription: `rotating-imported-key group=telemetry-group generation=${n} source=function`,
    escrow: {
      bucket: 'escrow-bucket-of-the-platform-team',
      key: `escrow/telemetry-group/generation-${n}/${'e'.repeat(64)}.json`,
      versionId: 'v'.repeat(32),
      keyMaterialId: 'f'.repeat(64),
      verifiedAt: at,
    } as GenerationRecord['escrow'],
  };
}

/** The longest key policy KMS takes: 32 KB. */
function largestPolicy(rec: GroupRecord): GroupRecord['settings']['policy'] {
  const filler = { Sid: 'Filler', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:DescribeKey', Resource: '*' };
  const statements = [...rec.settings.policy.Statement];
  while (JSON.stringify({ ...rec.settings.policy, Statement: [...statements, filler] }).length < 32_000) statements.push({ ...filler, Sid: `Filler${statements.length}` });
  return { ...rec.settings.policy, Statement: statements };
}

describe('the generation cap', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
    await h.deploy(f);
  });
  afterEach(async () => h.stop());

  const withGenerations = (count: number) => (r: GroupRecord): GroupRecord => {
    const current = r.generations.find((g) => g.stage === 'current')!;
    const retired = Array.from({ length: count - 1 }, (_, i) => fullGeneration(current, i + 2));
    return { ...r, generations: [...retired, { ...current, n: count + 1 }] };
  };

  test(`a group with ${MAX_GENERATIONS} generations refuses to start a rotation, with one ERROR line, and changes nothing`, async () => {
    await h.editLedger('telemetry-group', withGenerations(MAX_GENERATIONS));
    const before = await h.group();
    const writes = h.sim.calls.writes({ includeFailed: true });
    const errors = h.log.errors().length;
    await expect(f.rotation(rotateNow())).rejects.toMatchObject({ name: 'GenerationCapError', message: expect.stringContaining('deploy a new key group') });
    expect(h.log.errors().slice(errors)).toHaveLength(1);
    expect(h.sim.calls.writes({ includeFailed: true })).toBe(writes);
    expect((await h.group()).generations).toEqual(before.generations);
    expect((await h.group()).rotation).toBeUndefined();
    // One fewer: the rotation starts.
    await h.editLedger('telemetry-group', withGenerations(MAX_GENERATIONS - 1));
    expect((await f.rotation(rotateNow())).outcome).toBe('started');
    // The rotation under way is continued by the schedule (the cap stops only a new start).
    expect((await f.rotation(rotateIfDue())).outcome).toBe('in-progress');
  });

  test('the entry at the cap, with the largest key policy, stays well inside DynamoDB\'s 400 KB; 1,000 generations would not fit', async () => {
    const doc = DynamoDBDocumentClient.from(h.db.client(), { marshallOptions: { removeUndefinedValues: true } });
    const key = { pk: 'group#telemetry-group', sk: 'state' };
    const stored = (await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
    const entry = (count: number) => {
      const rec = withGenerations(count)(stored as GroupRecord);
      return { ...stored, ...rec, settings: { ...rec.settings, policy: largestPolicy(rec) } };
    };
    const atCap = entry(MAX_GENERATIONS);
    const bytes = Buffer.byteLength(JSON.stringify(atCap));
    expect(bytes).toBeLessThan(360_000);
    await doc.send(new PutCommand({ TableName: h.tableName, Item: atCap }));
    expect((await doc.send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!.generations).toHaveLength(MAX_GENERATIONS);
    await expect(doc.send(new PutCommand({ TableName: h.tableName, Item: entry(1000) }))).rejects.toMatchObject({
      name: 'ValidationException', message: expect.stringMatching(/size has exceeded the maximum allowed size/),
    });
  });
});
