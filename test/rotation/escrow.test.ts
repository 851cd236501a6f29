/**
 * MaterialEscrow through the real clients: the functions write each
 * generation's material, wrapped to a reference escrow key, to the S3
 * simulator with exactly the permissions the stack synthesized, and promote a
 * generation only after its escrow object was tagged with the KMS key
 * material id and read back. The reference private key unwraps what KMS
 * imported; no object holds the plaintext.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, PutObjectRetentionCommand, S3Client } from '@aws-sdk/client-s3';
import { BundleProcess } from './bundle-process';
import { DeployedStack } from './deployed-stack';
import { CallBudget, Death } from './dying';
import { BUCKET, escrowStack, GROUP, reference, unwrapEscrow } from './escrow-fixtures';
import { cfnEvent, rotateNow } from './fixtures';
import { Functions, Harness, REGION, SIMULATOR_CREDENTIALS } from './harness';
import { secretLeaks } from './secrets';
import { reportGroup, renderReports } from '../../lambda/report';
import { ESCROW_FORMAT, EscrowDocument, escrowProblems, sha256Hex } from '../../lambda/rotation/escrow';
import type { GroupRecord } from '../../lambda/rotation/ledger-model';
import { EscrowWrapping } from '../../lib';
import { node24Binary } from '../construct/node24';
import { S3Sim } from '../kms-simulator/s3';

const LOCK_DAYS = 3650;

/** A function that dies just before its first `command` call: that call and every later AWS call of it fail unsent. */
class DieBefore extends CallBudget {
  died = false;
  constructor(private readonly command: string) {
    super(Number.MAX_SAFE_INTEGER);
  }
  attach(client: { middlewareStack: { add(m: unknown, o: unknown): void } }): void {
    client.middlewareStack.add((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName === this.command) this.died = true;
      if (this.died) throw new Death(0);
      return next(args);
    }, { step: 'initialize', name: 'dieBefore', priority: 'high' });
  }
}

describe('escrow of generated material', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let bucket: S3Sim;
  beforeAll(() => {
    stack = escrowStack();
  });
  beforeEach(async () => {
    h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    bucket = await S3Sim.start(stack.principals, () => h.sim.clock.now(), [SIMULATOR_CREDENTIALS.accessKeyId]);
    bucket.createBucket(BUCKET, { objectLock: { mode: 'COMPLIANCE', days: LOCK_DAYS } });
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials }, s3Endpoint: bucket.endpoint });
  });
  afterEach(async () => {
    await bucket.stop();
    await h.stop();
  });

  const objects = () => bucket.versions(BUCKET).filter((v) => !v.deleteMarker);
  const doc = (i: number) => JSON.parse(objects()[i].body.toString()) as EscrowDocument;

  test('deploy and a scheduled rotation escrow each generation before its import; the private key unwraps what KMS imported', async () => {
    expect(JSON.parse(stack.resourceProperties.Escrow)).toEqual({
      bucket: BUCKET,
      prefix: 'escrow/',
      publicKey: reference.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
      wrapping: 'RSAES_OAEP_SHA_256',
    });
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    const outcomes = await h.runSchedule(f, 40 * 60_000);
    expect(outcomes.map((o) => o.outcome).slice(0, 3)).toEqual(['started', 'promoted', 'completed']);

    const rec = await h.group(GROUP);
    const imported = h.sim.state.importedMaterials();
    expect(objects()).toHaveLength(2);
    for (const n of [1, 2]) {
      const g = rec.generations.find((x) => x.n === n)!;
      const o = objects()[n - 1];
      const body = doc(n - 1);
      expect(body).toEqual({
        format: 'cdk-rotating-imported-key/escrow/1',
        group: GROUP,
        generation: n,
        keyArn: g.keyArn,
        keyId: g.keyId,
        createdAt: expect.stringMatching(/^2026-/),
        escrowWrapping: 'RSAES_OAEP_SHA_256',
        escrowKeyFingerprint: g.escrow!.fingerprint,
        materialBytes: 32,
        encryptedKeyMaterial: expect.stringMatching(/^[A-Za-z0-9+/]{512}$/),
      });
      // The reference private key unwraps exactly the material KMS imported into this generation.
      expect(unwrapEscrow(body, reference.privateKey).equals(imported[n - 1])).toBe(true);
      expect(o.key).toMatch(new RegExp(`^escrow/${GROUP}/generation-${n}/\\d{8}T\\d{9}Z-[0-9a-f]{12}\\.json$`));
      expect(o.metadata).toEqual({
        'format': 'cdk-rotating-imported-key/escrow/1',
        'group': GROUP,
        'generation': String(n),
        'key-arn': g.keyArn,
        'key-id': g.keyId,
        'created-at': body.createdAt,
        'escrow-wrapping': 'RSAES_OAEP_SHA_256',
        'escrow-key-fingerprint': body.escrowKeyFingerprint,
      });
      expect(o.tags).toEqual({ 'key-material-id': g.keyMaterialId });
      expect(o.retention?.mode).toBe('COMPLIANCE');
      // The ledger points at the exact version, verified before the generation was tested (then promoted).
      expect(g.escrow).toMatchObject({ bucket: BUCKET, key: o.key, versionId: o.versionId, keyMaterialId: g.keyMaterialId });
      expect(g.escrow!.verifiedAt! <= g.testedAt!).toBe(true);
      expect(g.escrow!.writtenAt <= g.importedAt!).toBe(true);
      // No plaintext: not raw, base64 or hex, in the body, the metadata or the tags.
      expect(secretLeaks(h, [o.body.toString('latin1'), JSON.stringify(o.metadata), JSON.stringify(o.tags)].join('\n'))).toEqual([]);
    }
    // Each escrow was written before its import, and read back before the generation's test (KMS and S3 calls in order).
    const events = await h.ledger.events(GROUP);
    expect(events.filter((e) => ['material-imported', 'material-escrowed', 'generation-tested'].includes(e.type)).map((e) => [e.type, e.generation])).toEqual([
      ['material-imported', 1], ['material-escrowed', 1], ['generation-tested', 1],
      ['material-imported', 2], ['material-escrowed', 2], ['generation-tested', 2],
    ]);
    expect(events.find((e) => e.type === 'material-escrowed' && e.generation === 2)?.detail).toMatchObject({
      bucket: BUCKET, key: objects()[1].key, versionId: objects()[1].versionId, keyMaterialId: rec.generations[1].keyMaterialId,
    });

    // Least privilege: the lifecycle role escrowed generation 1, the rotation role generation 2, with exactly these actions, every one allowed.
    expect(bucket.calls.map((c) => [c.caller, c.action, c.allowed])).toEqual([
      ...[stack.lifecycle.arn, stack.rotation.arn].flatMap((who) => [
        [who, 's3:PutObject', true], [who, 's3:PutObjectVersionTagging', true], [who, 's3:GetObjectVersion', true], [who, 's3:GetObjectVersionTagging', true],
      ]),
    ]);
    expect(secretLeaks(h, h.log.text())).toEqual([]);

    // The report shows each generation's escrow location, and the ledger agrees with its event log about it.
    const report = await reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: 'alias/telemetry', now: h.sim.clock.now() });
    expect(report.findings.filter((x) => x.severity === 'error')).toEqual([]);
    expect(report.generations.map((g) => g.escrow)).toEqual(objects().map((o, i) => ({
      bucket: BUCKET,
      key: o.key,
      versionId: o.versionId,
      keyMaterialId: rec.generations[i].keyMaterialId,
      verifiedAt: rec.generations[i].escrow!.verifiedAt,
    })));
    expect(renderReports([report], 'md')).toContain(`s3://${BUCKET}/${objects()[1].key} (version ${objects()[1].versionId})`);
    expect(renderReports([report], 'csv').split('\n')[0]).toContain('escrow_bucket,escrow_key,escrow_version_id,escrow_verified_at');
    expect(renderReports([report], 'table')).toContain(`s3://${BUCKET}/escrow/`);
  });

  test('the roles may not delete or list escrow, nor write outside their group\'s prefix; a locked version cannot be deleted or its retention shortened', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const [o] = objects();
    const as = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
      new S3Client({ region: REGION, endpoint: bucket.endpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
    const rotation = as(stack.rotation.credentials);
    await expect(rotation.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: o.key, VersionId: o.versionId }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(rotation.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: o.key }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(rotation.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'escrow/other-group/generation-1/x.json', Body: 'x', ChecksumAlgorithm: 'SHA256' })))
      .rejects.toMatchObject({ name: 'AccessDenied' });
    // No s3:ListBucket: a key that does not exist is AccessDenied, not NoSuchKey.
    await expect(rotation.send(new GetObjectCommand({ Bucket: BUCKET, Key: `escrow/${GROUP}/generation-9/none.json` }))).rejects.toMatchObject({ name: 'AccessDenied' });
    // Even an all-powerful caller cannot remove a COMPLIANCE-locked version or shorten its lock.
    const admin = as(SIMULATOR_CREDENTIALS);
    await expect(admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: o.key, VersionId: o.versionId })))
      .rejects.toThrow('Access Denied because object protected by object lock.');
    await expect(admin.send(new PutObjectRetentionCommand({
      Bucket: BUCKET, Key: o.key, VersionId: o.versionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date('2027-01-01T00:00:00Z') },
    }))).rejects.toThrow('object protected by object lock');
    // A PUT of the same key makes a new version; the locked one stays as it was.
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: o.key, Body: '{}', ChecksumAlgorithm: 'SHA256' }));
    expect(objects().map((v) => [v.key, v.versionId === o.versionId, v.body.length])).toEqual([[o.key, true, o.body.length], [o.key, false, 2]]);
    // Object Lock needs an integrity checksum on every PUT (the functions send SHA-256).
    const bare = new S3Client({
      region: REGION, endpoint: bucket.endpoint, forcePathStyle: true, credentials: SIMULATOR_CREDENTIALS, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await expect(bare.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'escrow/x.json', Body: 'x' }))).rejects.toThrow(/Content-MD5 OR x-amz-checksum- HTTP header is required/);
    for (const c of [rotation, admin, bare]) c.destroy();
  });

  test('a refused escrow write stops the rotation before the import: no material, alias and keys as they were; the next run completes', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const before = await h.group(GROUP);
    bucket.failNext('PutObject', 'AccessDenied', 403);
    const failed = await f.rotation(rotateNow()).then(() => undefined, (e: Error) => e);
    expect(failed?.name).toBe('EscrowError');
    expect(failed?.message).toMatch(new RegExp(`^escrow bucket ${BUCKET}: s3:PutObject of escrow/${GROUP}/generation-2/\\S+ failed: AccessDenied: .*; `
      + 'the generation is not promoted until its escrow is written and verified$'));
    expect(h.log.errors().map((l) => [l.message, l.attributes.bucket, l.attributes.operation])).toEqual([['step escrow-write failed', BUCKET, 's3:PutObject']]);
    const rec = await h.group(GROUP);
    expect(rec.rotation).toMatchObject({ n: 2, phase: 'import' });
    const g2 = rec.generations.find((g) => g.n === 2)!;
    expect(g2).toMatchObject({ stage: 'pending' });
    expect(g2.importedAt).toBeUndefined();
    expect(g2.escrow).toBeUndefined();
    expect(h.sim.state.key(g2.keyId)).toMatchObject({ state: 'PendingImport', hasMaterial: false });
    expect(h.sim.calls.list().filter((c) => c.op === 'ImportKeyMaterial')).toHaveLength(1);
    expect(h.aliasTarget('alias/telemetry')).toBe(before.generations[0].keyId);
    expect(rec.generations[0]).toEqual(before.generations[0]);

    const done = await f.rotation(rotateNow());
    expect(done.phasesDone).toEqual(['import', 'test']);
    const g2done = (await h.group(GROUP)).generations.find((g) => g.n === 2)!;
    expect(g2done.escrow?.verifiedAt).toBeDefined();
    expect(unwrapEscrow(doc(1), reference.privateKey).equals(h.sim.state.importedMaterials()[1])).toBe(true);
  });

  test('a failed escrow write during the Create fails the Create, which cleans up as any failed Create does', async () => {
    bucket.failNext('PutObject', 'InternalError', 500);
    await expect(f.lifecycle(cfnEvent('Create', stack.resourceProperties))).rejects.toThrow(`escrow bucket ${BUCKET}: s3:PutObject`);
    const rec = await h.group(GROUP);
    expect(rec.status).toBe('failed');
    expect(rec.generations.map((g) => [g.n, g.stage, !!g.deletionScheduledAt])).toEqual([[1, 'discarded', true]]);
    expect(h.sim.state.importedMaterials()).toEqual([]);
  });

  test('a run that stops after the import, before the escrow is bound and verified, is completed by the next run (no second material, no second object)', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    bucket.failNext('PutObjectTagging', 'SlowDown', 503);
    const failed = await f.rotation(rotateNow()).then(() => undefined, (e: Error) => e);
    expect(failed?.message).toMatch(new RegExp(`^escrow bucket ${BUCKET}: s3:PutObjectVersionTagging of escrow/${GROUP}/generation-2/`));
    let rec = await h.group(GROUP);
    expect(rec.rotation).toMatchObject({ n: 2, phase: 'import' });
    const g2 = rec.generations.find((g) => g.n === 2)!;
    // The key holds the material; the ledger holds the escrow object written for it, not yet verified.
    expect(h.sim.state.key(g2.keyId)).toMatchObject({ hasMaterial: true });
    expect(g2.escrow).toMatchObject({ key: objects()[1].key, versionId: objects()[1].versionId });
    expect(g2.escrow!.verifiedAt).toBeUndefined();
    expect(g2.importedAt).toBeUndefined();

    // A failed read-back is refused too, naming the object and its version; the rotation still stays in import.
    const stored = objects()[1];
    bucket.failNext('GetObjectTagging', 'InternalError', 500);
    await expect(f.rotation(rotateNow())).rejects.toThrow(`escrow bucket ${BUCKET}: s3:GetObjectVersionTagging of ${stored.key} (version ${stored.versionId}) failed`);
    expect((await h.group(GROUP)).rotation).toMatchObject({ phase: 'import' });

    const done = await f.rotation(rotateNow());
    expect(done.phasesDone).toEqual(['import', 'test']);
    rec = await h.group(GROUP);
    const g2done = rec.generations.find((g) => g.n === 2)!;
    expect(g2done.escrow).toMatchObject({ key: stored.key, keyMaterialId: g2done.keyMaterialId, verifiedAt: expect.any(String) });
    expect(objects()).toHaveLength(2);
    expect(h.sim.state.importedMaterials()).toHaveLength(2);
    expect(unwrapEscrow(doc(1), reference.privateKey).equals(h.sim.state.importedMaterials()[1])).toBe(true);
    expect(objects()[1].tags).toEqual({ 'key-material-id': g2done.keyMaterialId });
  });

  test('a function that dies just after the import (before the escrow is tagged) is completed by the next run once its lock lapses', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const death = new DieBefore('PutObjectTaggingCommand');
    const dying = h.functions({
      credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials },
      s3Endpoint: bucket.endpoint,
      budget: death,
      leaseMs: 60_000,
    });
    await expect(dying.rotation(rotateNow())).rejects.toThrow();
    expect(death.died).toBe(true);
    const rec = await h.group(GROUP);
    const g2 = rec.generations.find((g) => g.n === 2)!;
    // Died holding the lock, with the material imported and the escrow object recorded, untagged.
    expect(rec.lock).toBeDefined();
    expect(h.sim.state.key(g2.keyId)).toMatchObject({ hasMaterial: true });
    expect(g2.escrow?.verifiedAt).toBeUndefined();
    expect(objects()[1].tags).toEqual({});
    h.sim.clock.advance(2 * 60_000);
    const done = await f.rotation(rotateNow());
    expect(done.phasesDone).toEqual(['import', 'test']);
    const g2done = (await h.group(GROUP)).generations.find((g) => g.n === 2)!;
    expect(g2done.escrow).toMatchObject({ key: objects()[1].key, keyMaterialId: g2done.keyMaterialId, verifiedAt: expect.any(String) });
    expect(objects()).toHaveLength(2);
    expect(h.sim.state.importedMaterials()).toHaveLength(2);
    expect(unwrapEscrow(doc(1), reference.privateKey).equals(h.sim.state.importedMaterials()[1])).toBe(true);
  });

  test('a key that holds material with no escrow recorded is refused before anything is written: that generation is never promoted', async () => {
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const death = new DieBefore('PutObjectTaggingCommand');
    const credentials = { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials };
    await expect(h.functions({ credentials, s3Endpoint: bucket.endpoint, budget: death, leaseMs: 60_000 }).rotation(rotateNow())).rejects.toThrow();
    // As if the material had been imported before escrow was set: the entry has no escrow for generation 2.
    const rec = await h.group(GROUP);
    const withoutEscrow = (r: GroupRecord): GroupRecord => ({
      ...r, lock: undefined, generations: r.generations.map((g) => (g.n === 2 ? { ...g, escrow: undefined } : g)),
    });
    await h.editLedger(GROUP, withoutEscrow, stack.rotation.credentials);
    const puts = bucket.calls.filter((c) => c.operation === 'PutObject').length;
    await expect(f.rotation(rotateNow())).rejects.toThrow(/generation 2 of key group telemetry-group \(\S+\) holds key material that has no escrow object/);
    expect(bucket.calls.filter((c) => c.operation === 'PutObject')).toHaveLength(puts);
    expect((await h.group(GROUP)).rotation).toMatchObject({ n: 2, phase: 'import' });
    expect(h.aliasTarget('alias/telemetry')).toBe(rec.generations[0].keyId);
  });

  test('the shipped bundle loads its S3 client (s3-client.js, not part of index.js) at the first escrow write, under Node.js 24', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'assets', 'lambda', 'rotation-function.meta.json'), 'utf8'));
    expect(Object.keys(Object.values<any>(meta.outputs)[0].inputs).filter((i) => i.includes('client-s3'))).toEqual([]);
    const env = h.bundleEnvironment(stack.lifecycle.credentials, { AWS_ENDPOINT_URL_S3: bucket.endpoint });
    const process = new BundleProcess(env, h.log, node24Binary());
    try {
      await process.invoke('lifecycle', cfnEvent('Create', stack.resourceProperties), h.sim.clock.now());
    } finally {
      process.stop();
    }
    const g1 = (await h.group(GROUP)).generations[0];
    expect(g1).toMatchObject({ stage: 'current', escrow: { bucket: BUCKET, verifiedAt: expect.any(String) } });
    expect(unwrapEscrow(doc(0), reference.privateKey).equals(h.sim.state.importedMaterials()[0])).toBe(true);
  });
});

test('verification names every difference between the read-back and what was written and imported', () => {
  const subject = { group: GROUP, generation: 2, keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k2', keyId: 'k2' };
  const body = Buffer.from(JSON.stringify({ format: ESCROW_FORMAT, ...subject, escrowWrapping: 'RSAES_OAEP_SHA_256', escrowKeyFingerprint: 'f' }));
  const loc = { bucket: BUCKET, key: 'k', versionId: 'v1', sha256: sha256Hex(body), writtenAt: '', wrapping: 'RSAES_OAEP_SHA_256' as const, fingerprint: 'f' };
  const metadata = { 'group': GROUP, 'generation': '2', 'key-arn': subject.keyArn, 'escrow-key-fingerprint': 'f' };
  const good = { body, metadata, versionId: 'v1', tags: { 'key-material-id': 'm' } };
  expect(escrowProblems(loc, subject, 'm', good)).toEqual([]);
  expect(escrowProblems(loc, subject, 'other', good)).toEqual(['tag key-material-id "m" instead of KMS\'s other']);
  expect(escrowProblems(loc, { ...subject, generation: 3 }, 'm', good)).toEqual(['generation 2 instead of 3', 'metadata generation "2" instead of "3"']);
  expect(escrowProblems(loc, subject, 'm', { ...good, versionId: 'v2', body: Buffer.from('{}') })).toEqual(expect.arrayContaining([
    'version v2 instead of v1', `a body whose SHA-256 is not the ${loc.sha256} written`, 'group undefined instead of "telemetry-group"',
  ]));
});

describe('escrow with RSA-AES key wrap', () => {
  test('the material is wrapped as RSA-OAEP-SHA-256(AES-256 key) || AES-KWP(material) and unwraps with the private key', async () => {
    const stack = escrowStack(EscrowWrapping.RSA_AES_KEY_WRAP_SHA_256);
    const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    const bucket = await S3Sim.start(stack.principals, () => h.sim.clock.now());
    try {
      bucket.createBucket(BUCKET, { versioned: true });
      const credentials = { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials };
      const f = h.functions({ credentials, s3Endpoint: bucket.endpoint });
      await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
      const [o] = bucket.versions(BUCKET);
      const body = JSON.parse(o.body.toString()) as EscrowDocument;
      expect(body.escrowWrapping).toBe('RSA_AES_KEY_WRAP_SHA_256');
      // 384 bytes of RSA-3072 block, then 40 bytes of RFC 5649 wrap of 32 bytes.
      expect(Buffer.from(body.encryptedKeyMaterial, 'base64')).toHaveLength(384 + 40);
      expect(unwrapEscrow(body, reference.privateKey).equals(h.sim.state.importedMaterials()[0])).toBe(true);
      expect(o.retention).toBeUndefined();
    } finally {
      await bucket.stop();
      await h.stop();
    }
  });
});
