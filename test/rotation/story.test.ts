/**
 * Two years of the schedule against the sources: four rotations on the due
 * dates, each staged, and every ciphertext still decrypts. Then the compliance
 * report of those two years, through the real SDK clients, the KMS simulator
 * and a local DynamoDB: golden outputs in every format, and each kind of
 * problem it must catch, through the library and the shipped command-line tool.
 * (One story for both: it is the suite's slowest fixture.)
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-kms';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Harness, REGION, SIMULATOR_CREDENTIALS } from './harness';
import { runStory, STORY_GROUP, StoryResult } from './story';
import { GroupReport, renderReports, reportFailed, reportGroup } from '../../lambda/report';
import { TAG } from '../../lambda/rotation/tags';
import { expectGolden, normalizer } from '../report/golden';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');
const DAY = 86_400_000;

describe('24-month story, N = 6 (sources), and its report', () => {
  let h: Harness;
  let story: StoryResult;
  let end: Date;
  let normalize: (text: string) => string;
  beforeAll(async () => {
    h = await Harness.start();
    const f = h.functions();
    story = await runStory(h, (entry, event) => f[entry](event));
    end = h.sim.clock.now();
    normalize = normalizer(await h.group(STORY_GROUP.groupId));
  });
  afterAll(async () => h.stop());

  test('rotates on the due dates, staged, and loses nothing', async () => {
    expect(story.promotionDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(story.outcomes.filter((o) => o.outcome === 'completed')).toHaveLength(4);
    expect(story.notDueWrites).toBe(0);
    const rec = await h.group(STORY_GROUP.groupId);
    expect(rec.generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'retired', 'retired', 'current']);
    expect(rec.generations.every((g) => g.stage === 'current' || g.fencedAt)).toBe(true);
    for (const k of story.kept) expect(await h.decrypt(k.ciphertext)).toBe(k.plaintext);
    expect(h.log.errors()).toEqual([]);
  });

  const report = (now = end): Promise<GroupReport> =>
    reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: STORY_GROUP.aliasName, sealKeys: h.sealKeys, now });
  const doc = () => DynamoDBDocumentClient.from(h.db.client());
  const cli = (args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
      CDK_ROTATING_IMPORTED_KEY_TABLE: h.tableName,
      CDK_ROTATING_IMPORTED_KEY_SETTINGS_SEAL_KEY: h.sealKeys.settings,
      CDK_ROTATING_IMPORTED_KEY_LEDGER_SEAL_KEY: h.sealKeys.state,
    },
  });

  test('every generation, its dates and the verdict: it passes', async () => {
    const r = await report();
    expect(reportFailed(r)).toBe(false);
    expect(r.findings).toEqual([]);
    expect(r.chain.verified).toBe(true);
    expect(r.generations.map((g) => [g.generation, g.stage, g.rotation, g.activatedAt?.slice(0, 10)])).toEqual([
      [1, 'retired', 'on time', '2026-01-01'],
      [2, 'retired', 'on time', '2026-07-01'],
      [3, 'retired', 'on time', '2027-01-01'],
      [4, 'retired', 'on time', '2027-07-01'],
      [5, 'current', 'not due', '2028-01-01'],
    ]);
    // NIST SP 800-57: recipient usage ends at most 3 years after the originator-usage period.
    expect(r.generations[0].decryptUntil?.slice(0, 10)).toBe(`2029-${r.generations[0].retiredAt!.slice(5, 10)}`);
    // The first test decrypted every kept ciphertext at the end: KMS's last use of each generation is that Decrypt.
    for (const g of r.generations) {
      expect(g.lastUsage).toMatchObject({ operation: 'Decrypt', at: end.toISOString() });
      expect(g.lastUsage?.cloudTrailEventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  test.each(['table', 'md', 'csv', 'json'] as const)('golden output: %s', async (format) => {
    expectGolden(`story.${format === 'table' ? 'txt' : format}`, normalize(renderReports([await report()], format)));
  });

  test('overdue: judged a few days after the next due date with no rotation, it fails and says which', async () => {
    const r = await report(new Date(Date.parse((await h.group(STORY_GROUP.groupId)).nextDueAt!) + 3 * DAY));
    expect(reportFailed(r)).toBe(true);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([
      { severity: 'error', code: 'overdue', message: expect.stringMatching(/^rotation is overdue: generation 5 was due 2028-07-01T03:0/) },
    ]);
    expect(r.generations[4].rotation).toBe('overdue');
    const failed = await cli(['report', '--alias', STORY_GROUP.aliasName, '--at', r.generatedAt]).then(() => undefined, (e) => e);
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('ERROR: rotation is overdue: generation 5 was due 2028-07-01T03:0') });
  });

  test('a tampered ledger entry (a generation\'s activation date edited) disagrees with its event log', async () => {
    const key = { pk: `group#${STORY_GROUP.groupId}`, sk: 'state' };
    const original = (await doc().send(new GetCommand({ TableName: h.tableName, Key: key }))).Item!;
    const edited = { ...original, generations: original.generations.map((g: { n: number }) => (g.n === 3 ? { ...g, activatedAt: '2026-12-01T03:15:00.000Z' } : g)) };
    await doc().send(new PutCommand({ TableName: h.tableName, Item: edited }));
    try {
      const r = await report();
      expect(reportFailed(r)).toBe(true);
      // Found three times: by the ledger seal, against the entry's own event log, and against the label KMS kept.
      expect(r.findings).toEqual([
        expect.objectContaining({ code: 'ledger-seal', message: expect.stringMatching(/^the ledger seal does not verify/) }),
        expect.objectContaining({
          code: 'ledger-disagrees-with-log',
          message: expect.stringMatching(/^generation 3: the ledger entry says activatedAt 2026-12-01T03:15:00.000Z, its event log says 2027-01-01T03:/),
        }),
        expect.objectContaining({
          code: 'kms-disagrees',
          message: expect.stringMatching(/^generation 3 \(.+\): tag rotation:activated-at is "2027-01-01T03:\d\d:00.000Z" in KMS, the ledger says "2026-12-01T03:15:00.000Z"$/),
        }),
      ]);
      const failed = await cli(['report', '--alias', STORY_GROUP.aliasName, '--at', end.toISOString()]).then(() => undefined, (e) => e);
      expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('ERROR: generation 3: the ledger entry says activatedAt 2026-12-01T03:15:00.000Z') });
    } finally {
      await doc().send(new PutCommand({ TableName: h.tableName, Item: original }));
    }
  });

  test('a tampered tag in KMS disagrees with the ledger', async () => {
    const g2 = (await h.group(STORY_GROUP.groupId)).generations[1];
    await h.kms.send(new TagResourceCommand({ KeyId: g2.keyId, Tags: [{ TagKey: TAG.stage, TagValue: 'current' }, { TagKey: 'rogue', TagValue: 'x' }] }));
    await h.kms.send(new TagResourceCommand({ KeyId: g2.keyId, Tags: [{ TagKey: TAG.nextDueAt, TagValue: '2040-01-01T00:00:00.000Z' }] }));
    try {
      const r = await report();
      expect(reportFailed(r)).toBe(true);
      expect(r.findings.map((f) => [f.severity, f.code, f.message])).toEqual([
        ['error', 'kms-disagrees', `generation 2 (${g2.keyId}): tag ${TAG.nextDueAt} is "2040-01-01T00:00:00.000Z" in KMS, the ledger says null`],
        ['error', 'kms-disagrees', `generation 2 (${g2.keyId}): tag ${TAG.stage} is "current" in KMS, the ledger says "retired"`],
      ]);
      // Through the shipped tool: exit status 1, the problem on stdout, a summary on stderr.
      const failed = await cli(['report', '--alias', STORY_GROUP.aliasName, '--at', end.toISOString()]).then(() => undefined, (e) => e);
      expect(failed).toMatchObject({ code: 1 });
      expect(failed.stdout).toContain(`ERROR: generation 2 (${g2.keyId}): tag ${TAG.stage} is "current" in KMS, the ledger says "retired"`);
      expect(failed.stdout).toContain('Result: FAIL (2 errors)');
      expect(failed.stderr).toContain('1 of 1 key group(s) failed the report: alias/story');
    } finally {
      await h.kms.send(new TagResourceCommand({ KeyId: g2.keyId, Tags: [{ TagKey: TAG.stage, TagValue: 'retired' }] }));
      await h.kms.send(new UntagResourceCommand({ KeyId: g2.keyId, TagKeys: [TAG.nextDueAt, 'rogue'] }));
    }
  });

  test('a deleted event breaks the chain', async () => {
    const items = (await doc().send(new QueryCommand({
      TableName: h.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `group#${STORY_GROUP.groupId}`, ':p': 'event#' },
    }))).Items!;
    const victim = items.find((i) => i.type === 'generation-activated' && i.generation === 4)!;
    await doc().send(new DeleteCommand({ TableName: h.tableName, Key: { pk: victim.pk, sk: victim.sk } }));
    try {
      const r = await report();
      expect(reportFailed(r)).toBe(true);
      expect(r.chain.verified).toBe(false);
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([
        { severity: 'error', code: 'chain-broken', message: `event log does not verify: event ${victim.seq} is missing from the ledger (deleted)` },
      ]);
      const failed = await cli(['report', '--alias', STORY_GROUP.aliasName, '--at', end.toISOString(), '--format', 'md']).then(() => undefined, (e) => e);
      expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining(`- ERROR: event log does not verify: event ${victim.seq} is missing from the ledger (deleted)`) });
    } finally {
      await doc().send(new PutCommand({ TableName: h.tableName, Item: victim }));
    }
  });

  test('the shipped tool: exit 0 for a compliant group; --all reads every group of the table with progress on stderr', async () => {
    const ok = await cli(['report', '--alias', STORY_GROUP.aliasName, '--at', end.toISOString(), '--format', 'table']);
    expect(normalize(ok.stdout)).toBe(normalize(renderReports([await report()], 'table')));
    const all = await cli(['report', '--all', '--at', end.toISOString(), '--format', 'json']);
    expect(JSON.parse(all.stdout).map((r: GroupReport) => r.alias)).toEqual([STORY_GROUP.aliasName]);
    expect(all.stderr.split('\n').filter((l) => l.startsWith('read'))).toEqual([`reading key group 1 of 1: ${STORY_GROUP.groupId}`, 'read 1 key group(s)']);
  });

  test('the shipped tool refuses bad arguments with exit status 2 and says why', async () => {
    await expect(cli(['report', '--alias', 'not-an-alias'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('is not an alias name') });
    await expect(cli(['report', '--alias', 'alias/none', '--at', end.toISOString()])).rejects.toMatchObject({
      code: 2, stderr: expect.stringContaining(`no key group of ledger table ${h.tableName} has the alias alias/none`),
    });
  });
});
