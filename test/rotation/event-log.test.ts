/**
 * The ledger's hash-chained event log and the key material ids, through the
 * real SDK clients, the KMS simulator and a local DynamoDB.
 */
import { DescribeKeyCommand, ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { cfnEvent, groupProps, rotateNow } from './fixtures';
import { Functions, Harness } from './harness';
import { verifyChain } from '../../lambda/rotation/event-chain';
import { currentGeneration } from '../../lambda/rotation/ledger-model';

describe('the event log', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  async function deployAndRotateOnce(): Promise<void> {
    await h.deploy(f);
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, 40 * 60 * 1000);
  }

  test('a deploy and a scheduled rotation leave every phase in a chain that verifies', async () => {
    await deployAndRotateOnce();
    const rec = await h.group();
    const stored = await h.ledger.events(rec.groupId);
    const v = verifyChain(stored, rec.chain);
    expect(v).toMatchObject({ ok: true, problems: [], outside: 0 });
    expect(rec.chain?.seq).toBe(v.events.length);
    const summary = v.events.map((e) => [e.type, e.generation, e.reason]);
    expect(summary).toEqual([
      ['group-created', undefined, 'deploy'],
      ['rotation-started', 1, 'deploy'],
      ['generation-created', 1, 'deploy'],
      ['material-imported', 1, 'deploy'],
      ['generation-tested', 1, 'deploy'],
      ['generation-activated', 1, 'deploy'],
      ['rotation-completed', 1, 'deploy'],
      ['status-changed', undefined, 'deploy'],
      ['rotation-started', 2, 'scheduled'],
      ['generation-created', 2, 'scheduled'],
      ['material-imported', 2, 'scheduled'],
      ['generation-tested', 2, 'scheduled'],
      ['generation-retired', 1, 'scheduled'],
      ['generation-activated', 2, 'scheduled'],
      ['generation-fenced', 1, 'scheduled'],
      ['rotation-completed', 2, 'scheduled'],
    ]);
    const g2 = currentGeneration(rec)!;
    const activated = v.events.find((e) => e.type === 'generation-activated' && e.generation === 2)!;
    expect(activated).toMatchObject({ keyArn: g2.keyArn, at: g2.activatedAt, detail: { activatedAt: g2.activatedAt } });
    expect(v.events.find((e) => e.type === 'rotation-completed' && e.generation === 2)?.detail).toMatchObject({ nextDueAt: rec.nextDueAt });
    // Each event names the run (the Lambda request id) that made the change.
    expect(new Set(v.events.map((e) => e.runId)).size).toBeGreaterThanOrEqual(3);
    expect(v.events.every((e) => /^run-\d+$/.test(e.runId))).toBe(true);
  });

  test('each import stamps its group, generation and source on the material, and the probe confirms the material id', async () => {
    await deployAndRotateOnce();
    const rec = await h.group();
    for (const g of rec.generations) {
      expect(g.keyMaterialDescription).toBe(`rotation group:telemetry-group generation:${g.n} source:generated`);
      const md = (await h.kms.send(new DescribeKeyCommand({ KeyId: g.keyId }))).KeyMetadata!;
      expect(g.keyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      expect(g.keyMaterialId).toBe(md.CurrentKeyMaterialId);
      const rotations = await h.kms.send(new ListKeyRotationsCommand({ KeyId: g.keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
      expect(rotations.Rotations?.map((r) => [r.KeyMaterialId, r.KeyMaterialDescription])).toEqual([[g.keyMaterialId, g.keyMaterialDescription]]);
    }
    const stored = await h.ledger.events(rec.groupId);
    const tested = stored.filter((e) => e.type === 'generation-tested').map((e) => e.detail?.keyMaterialId);
    expect(tested).toEqual(rec.generations.map((g) => g.keyMaterialId));
  });

  test('an emergency asked for while a rotation runs is in the log with its reason', async () => {
    await h.deploy(f);
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, 10 * 60 * 1000);
    const outcome = await f.rotation(rotateNow('alias/telemetry'));
    expect(outcome.outcome).toBe('in-progress');
    const rec = await h.group();
    const v = verifyChain(await h.ledger.events(rec.groupId), rec.chain);
    expect(v.ok).toBe(true);
    expect(v.events.at(-1)).toMatchObject({ type: 'emergency-requested', reason: 'emergency', generation: 2 });
  });

  test('an update and a delete are in the log', async () => {
    await h.deploy(f);
    await f.lifecycle(cfnEvent('Update', groupProps({ Description: 'changed' }), { OldResourceProperties: groupProps() }));
    await f.lifecycle(cfnEvent('Delete', groupProps({ Description: 'changed' })));
    const rec = await h.group();
    const v = verifyChain(await h.ledger.events(rec.groupId), rec.chain);
    expect(v.ok).toBe(true);
    expect(v.events.find((e) => e.type === 'settings-updated')).toMatchObject({ reason: 'update', detail: { changed: ['description'] } });
    expect(v.events.at(-1)).toMatchObject({ type: 'status-changed', reason: 'delete', detail: { from: 'active', to: 'retained' } });
  });

  describe('tampering with the table directly', () => {
    function doc(): DynamoDBDocumentClient {
      return DynamoDBDocumentClient.from(h.db.client());
    }
    async function eventItems(): Promise<Record<string, unknown>[]> {
      const r = await doc().send(new QueryCommand({
        TableName: h.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': 'group#telemetry-group', ':p': 'event#' },
      }));
      return r.Items!;
    }

    test('a deleted event is found', async () => {
      await deployAndRotateOnce();
      const items = await eventItems();
      const fenced = items.find((i) => i.type === 'generation-fenced')!;
      await doc().send(new DeleteCommand({ TableName: h.tableName, Key: { pk: fenced.pk, sk: fenced.sk } }));
      const rec = await h.group();
      const v = verifyChain(await h.ledger.events(rec.groupId), rec.chain);
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([`event ${fenced.seq} is missing from the ledger (deleted)`]);
    });

    test('an edited event is found', async () => {
      await deployAndRotateOnce();
      const items = await eventItems();
      const activated = items.find((i) => i.type === 'generation-activated' && i.generation === 2)!;
      await doc().send(new PutCommand({ TableName: h.tableName, Item: { ...activated, at: '2026-06-30T00:00:00.000Z' } }));
      const rec = await h.group();
      const v = verifyChain(await h.ledger.events(rec.groupId), rec.chain);
      expect(v.problems).toEqual([`event ${activated.seq} (generation-activated) was edited: its content no longer matches its hash`]);
    });
  });
});
