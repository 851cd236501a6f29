/**
 * Evidence that survives a table writer: the report verifies the ledger
 * entry's two seals (kms:VerifyMac with the seal keys the caller gives) and
 * checks the deployed key policies against the sealed settings. The attacker
 * writes the table with a raw DynamoDB client; the event chain is plain
 * SHA-256, which they recompute. Real SDK clients, the KMS simulator and a
 * local DynamoDB; the shipped command-line tool for the verdicts.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GetKeyPolicyCommand, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GroupReport, renderReports, REPORT_FORMATS, reportGroup, reportVerdict } from '../../lambda/report';
import { eventHash, LedgerEvent } from '../../lambda/rotation/event-chain';
import { Functions, Harness, REGION, SIMULATOR_CREDENTIALS } from '../rotation/harness';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');
const GROUP = 'telemetry-group';
const ALIAS = 'alias/telemetry';
const FOREIGN_STATEMENT = {
  Sid: 'AuditorRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444455556666:root' },
  Action: 'kms:Decrypt',
  Resource: '*',
};

type Item = Record<string, any>;

describe('the report of a sealed ledger', () => {
  let h: Harness;
  const doc = () => DynamoDBDocumentClient.from(h.db.client());
  const entryKey = { pk: `group#${GROUP}`, sk: 'state' };

  beforeAll(async () => {
    h = await Harness.start();
    const f: Functions = h.functions();
    await h.deploy(f);
    // One scheduled rotation: generation 2 is current, generation 1 retired and fenced.
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, 40 * 60_000);
  });
  afterAll(async () => h.stop());

  const report = (sealed: boolean): Promise<GroupReport> => reportGroup({
    ...{ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: ALIAS, now: h.sim.clock.now() },
    ...(sealed ? { sealKeys: h.sealKeys } : {}),
  });

  const cli = (args: string[], sealed: boolean) => promisify(execFile)(process.execPath, [CLI, 'report', '--alias', ALIAS, '--at', h.sim.clock.now().toISOString(), ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
      CDK_ROTATING_IMPORTED_KEY_TABLE: h.tableName,
      ...(sealed
        ? { CDK_ROTATING_IMPORTED_KEY_SETTINGS_SEAL_KEY: h.sealKeys.settings, CDK_ROTATING_IMPORTED_KEY_LEDGER_SEAL_KEY: h.sealKeys.state }
        : {}),
    },
  }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);

  async function eventItems(): Promise<Item[]> {
    const r = await doc().send(new QueryCommand({
      TableName: h.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `group#${GROUP}`, ':p': 'event#' },
    }));
    return [...r.Items!].sort((a, b) => a.seq - b.seq);
  }

  /** Runs `body` with the table as `edit` left it, then puts the original items back. */
  async function withForgedTable(edit: () => Promise<void>, body: () => Promise<void>): Promise<void> {
    const entry = (await doc().send(new GetCommand({ TableName: h.tableName, Key: entryKey }))).Item!;
    const events = await eventItems();
    await edit();
    try {
      await body();
    } finally {
      for (const e of await eventItems()) await doc().send(new DeleteCommand({ TableName: h.tableName, Key: { pk: e.pk, sk: e.sk } }));
      for (const e of events) await doc().send(new PutCommand({ TableName: h.tableName, Item: e }));
      await doc().send(new PutCommand({ TableName: h.tableName, Item: entry }));
    }
  }

  /**
   * Finding 7: generation 1's material is claimed to come from the provider function, in its
   * material-imported event and in the entry; every later event is re-hashed and re-linked, and
   * the entry's chain head points at the new last event. The seals are left as they were.
   */
  async function rewriteHistory(): Promise<void> {
    const forge = (d: unknown) => String(d).replace('source:generated', 'source:function');
    const old = await eventItems();
    const rewritten: Item[] = [];
    let prevHash: string | undefined;
    for (const { pk: _pk, sk: _sk, hash: _hash, ...body } of old) {
      const forged = body.type === 'material-imported' && body.generation === 1
        ? { ...body, detail: { ...body.detail, keyMaterialDescription: forge(body.detail.keyMaterialDescription) } }
        : body;
      const linked = { ...forged, prevHash: prevHash ?? forged.prevHash } as Omit<LedgerEvent, 'hash'>;
      const hash = eventHash(linked);
      rewritten.push({ ...linked, hash, pk: `group#${GROUP}`, sk: `event#${String(linked.seq).padStart(10, '0')}#${hash.slice(0, 16)}` });
      prevHash = hash;
    }
    expect(rewritten.filter((e, i) => e.hash !== old[i].hash).length).toBeGreaterThan(1);
    for (const e of old) await doc().send(new DeleteCommand({ TableName: h.tableName, Key: { pk: e.pk, sk: e.sk } }));
    for (const e of rewritten) await doc().send(new PutCommand({ TableName: h.tableName, Item: e }));
    const entry = (await doc().send(new GetCommand({ TableName: h.tableName, Key: entryKey }))).Item!;
    const last = rewritten.at(-1)!;
    await doc().send(new PutCommand({
      TableName: h.tableName,
      Item: {
        ...entry,
        generations: entry.generations.map((g: Item) => (g.n === 1 ? { ...g, keyMaterialDescription: forge(g.keyMaterialDescription) } : g)),
        chain: { seq: last.seq, hash: last.hash },
      },
    }));
  }

  test('with the seal keys, an untouched group passes and says its seals verified, in every format', async () => {
    const r = await report(true);
    expect(r.seals).toEqual({ ledger: 'verified', settings: 'verified' });
    expect(r.findings).toEqual([]);
    expect(reportVerdict(r)).toBe('pass');
    expect(renderReports([r], 'table')).toContain('; seals verified; ');
    expect(renderReports([r], 'table')).toMatch(/\nResult: PASS\n$/);
    const ok = await cli(['--format', 'csv'], true);
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n')[1]).toMatch(/^telemetry-group,alias\/telemetry,6,active,true,verified,verified,1,.*,pass$/);
  });

  test('without the seal keys: "seals not checked" in every format, and the verdict is not PASS', async () => {
    const r = await report(false);
    expect(r.seals).toEqual({ ledger: 'not checked', settings: 'not checked' });
    expect(r.findings).toEqual([]);
    expect(reportVerdict(r)).toBe('unverified');
    for (const format of REPORT_FORMATS) {
      const out = renderReports([r], format);
      expect(out).not.toMatch(/PASS|,pass/);
      expect(out).toContain(format === 'csv' || format === 'json' ? 'not checked' : 'seals not checked');
    }
    expect(renderReports([r], 'md')).toContain('- Result: UNVERIFIED (seals not checked');
    expect(renderReports([r], 'csv').split('\n')[1]).toMatch(/,true,not checked,not checked,1,.*,unverified$/);
    const run = await cli(['--format', 'table'], false);
    expect(run).toMatchObject({ code: 1, stderr: expect.stringContaining('seals not checked: give --settings-seal-key and --ledger-seal-key') });
    expect(run.stdout).toContain('Result: UNVERIFIED (seals not checked');
  });

  test('finding 7: a rewritten event log with a recomputed chain and head passes the chain check; the ledger seal fails it', async () => {
    await withForgedTable(rewriteHistory, async () => {
      // Without the seals, nothing tells the forgery apart: the chain verifies and the entry agrees with it.
      const unsealed = await report(false);
      expect(unsealed.chain.verified).toBe(true);
      expect(unsealed.generations[0].source).toBe('function');
      expect(unsealed.findings).toEqual([]);
      expect(reportVerdict(unsealed)).not.toBe('fail');

      const sealed = await report(true);
      expect(sealed.seals).toEqual({ ledger: 'invalid', settings: 'verified' });
      expect(sealed.findings).toEqual([{ severity: 'error', code: 'ledger-seal', message: expect.stringMatching(/^the ledger seal does not verify: /) }]);
      expect(reportVerdict(sealed)).toBe('fail');
      // Not refused: the report still shows what the table holds.
      expect(sealed.chain.events).toBe(unsealed.chain.events);
      expect(sealed.generations.map((g) => g.generation)).toEqual([1, 2]);

      const run = await cli(['--format', 'table'], true);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('; event log verified (');
      expect(run.stdout).toContain('; ledger seal INVALID, settings seal verified; ');
      expect(run.stdout).toContain('ERROR: the ledger seal does not verify: ');
      expect(run.stdout).toContain('Result: FAIL (1 error)');
    });
  });

  test('an entry without seals (the seal fields removed) fails, naming both seals as missing', async () => {
    await withForgedTable(async () => {
      const { stateSeal: _s, settingsSeal: _t, ...bare } = (await doc().send(new GetCommand({ TableName: h.tableName, Key: entryKey }))).Item!;
      await doc().send(new PutCommand({ TableName: h.tableName, Item: bare }));
    }, async () => {
      const r = await report(true);
      expect(r.seals).toEqual({ ledger: 'missing', settings: 'missing' });
      expect(r.findings.map((f) => [f.severity, f.code])).toEqual([['error', 'ledger-seal'], ['error', 'settings-seal']]);
      expect(r.findings[0].message).toMatch(/^the entry carries no ledger seal of the given key/);
    });
  });

  test('forged settings (a foreign principal added to the key policy) fail, naming the settings seal', async () => {
    await withForgedTable(async () => {
      const entry = (await doc().send(new GetCommand({ TableName: h.tableName, Key: entryKey }))).Item!;
      const policy = { ...entry.settings.policy, Statement: [...entry.settings.policy.Statement, FOREIGN_STATEMENT] };
      await doc().send(new PutCommand({ TableName: h.tableName, Item: { ...entry, settings: { ...entry.settings, policy } } }));
    }, async () => {
      expect(reportVerdict(await report(false))).not.toBe('fail');
      const r = await report(true);
      expect(r.seals).toEqual({ ledger: 'invalid', settings: 'invalid' });
      expect(r.findings).toEqual([
        expect.objectContaining({ code: 'ledger-seal' }),
        {
          severity: 'error',
          code: 'settings-seal',
          message: 'the settings seal does not verify: the entry\'s settings (key policy, alias, interval, material source, escrow) are not the ones a deploy gave',
        },
      ]);
    });
  });

  test('a statement put on a generation\'s key policy outside the library is an out-of-band change', async () => {
    const g2 = (await h.group(GROUP)).generations[1];
    const original = (await h.kms.send(new GetKeyPolicyCommand({ KeyId: g2.keyId, PolicyName: 'default' }))).Policy!;
    const doc2 = JSON.parse(original);
    await h.kms.send(new PutKeyPolicyCommand({ KeyId: g2.keyId, PolicyName: 'default', Policy: JSON.stringify({ ...doc2, Statement: [...doc2.Statement, FOREIGN_STATEMENT] }) }));
    try {
      const r = await report(true);
      expect(r.seals).toEqual({ ledger: 'verified', settings: 'verified' });
      expect(r.findings).toEqual([{
        severity: 'error',
        code: 'out-of-band-change',
        message: `generation 2 (${g2.keyId}): its key policy holds a statement the settings do not produce (changed outside the library): `
          + '{"Action":"kms:Decrypt","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Resource":"*","Sid":"AuditorRead"}',
      }]);
      expect(reportVerdict(r)).toBe('fail');
    } finally {
      await h.kms.send(new PutKeyPolicyCommand({ KeyId: g2.keyId, PolicyName: 'default', Policy: original }));
    }
    expect((await report(true)).findings).toEqual([]);
  });

  test('the shipped tool refuses a seal key that is not a KMS key ARN, and one seal key without the other', async () => {
    expect(await cli(['--settings-seal-key', 'alias/x', '--ledger-seal-key', h.sealKeys.state], false))
      .toMatchObject({ code: 2, stderr: expect.stringContaining('"alias/x" is not a KMS key ARN') });
    expect(await cli(['--ledger-seal-key', h.sealKeys.state], false))
      .toMatchObject({ code: 2, stderr: expect.stringContaining('give both --settings-seal-key and --ledger-seal-key, or neither') });
  });
});
