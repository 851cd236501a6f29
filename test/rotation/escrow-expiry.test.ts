/**
 * Safe expiry with escrow (manual re-import): generated material that expires
 * after 216 days, escrowed to a bucket. Nothing re-imports it by itself, so
 * the report lists each generation to re-import with its date, the expiry
 * gauge reaches the alarm's threshold 30 days ahead, and once an operator
 * re-imports the material from escrow the next run sees it in KMS and the
 * ledger, the gauge and the report follow. Real clients, exactly the
 * synthesized policies, the simulator's clock (which expires material).
 */
import { GetParametersForImportCommand, ImportKeyMaterialCommand } from '@aws-sdk/client-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { deployedStack } from './deployed-stack';
import { parseEmf } from './emf-capture';
import { BUCKET, GROUP, PUBLIC_PEM, reference, unwrapEscrow } from './escrow-fixtures';
import { cfnEvent, rotateIfDue } from './fixtures';
import { Functions, Harness, SIMULATOR_CREDENTIALS } from './harness';
import { reportGroup } from '../../lambda/report';
import { EscrowDocument } from '../../lambda/rotation/escrow';
import { wrapMaterial } from '../../lambda/rotation/material';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { MaterialEscrow, MaterialExpiration, WrappingKeySpec } from '../../lib';
import { MS_PER_DAY } from '../kms-simulator';
import { S3Sim } from '../kms-simulator/s3';

const ALIAS = 'alias/telemetry';

test('escrowed material that expires: listed with its date, alarmed 30 days ahead, unusable once expired, and followed once an operator re-imports it', async () => {
  const stack = deployedStack((st) => ({
    wrappingKeySpec: WrappingKeySpec.RSA_2048,
    escrow: MaterialEscrow.toBucket(s3.Bucket.fromBucketName(st, 'Escrow', BUCKET), { publicKeyPem: PUBLIC_PEM }),
    materialExpiration: MaterialExpiration.afterDays(216),
  }));
  const h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
  const bucket = await S3Sim.start(stack.principals, () => h.sim.clock.now(), [SIMULATOR_CREDENTIALS.accessKeyId]);
  try {
    bucket.createBucket(BUCKET, { objectLock: { mode: 'COMPLIANCE', days: 3650 } });
    const credentials = { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials };
    const f: Functions = h.functions({ credentials, s3Endpoint: bucket.endpoint });
    const report = async () => reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: ALIAS, now: h.sim.clock.now() });
    const run = async (at: Date) => {
      h.sim.clock.set(at);
      const before = h.emf.length;
      const outcome = await f.rotation(rotateIfDue()) as RotationOutcome;
      const gauge = h.emf.slice(before).map(parseEmf).find((m) => m.values.KeyGroup === GROUP)?.values.DaysUntilMaterialExpiry as number;
      return { outcome, gauge };
    };

    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const proof = await h.encrypt(ALIAS, 'written under generation 1');
    h.sim.clock.set(new Date('2026-07-01T02:55:00Z'));
    await h.runSchedule(f, 40 * 60_000);
    const g1 = (await h.group(GROUP)).generations[0];
    const expiresAt = Date.parse(g1.materialValidTo!);

    // Weeks ahead: a note per generation, with its date; nothing is wrong yet.
    let r = await report();
    expect(r.findings.filter((x) => x.code === 'manual-reimport').map((x) => x.message)).toEqual([1, 2].map((n) => expect.stringMatching(
      new RegExp(`^generation ${n}'s key material expires at \\S+; re-import it by then from escrow \\(docs/escrow-recovery.md\\)$`))));
    expect(r.generations.map((g) => g.materialReimport)).toEqual(['manual', 'manual']);

    // 20 days ahead: the gauge is below the alarm's 30 days, and the report warns.
    const warned = await run(new Date(expiresAt - 20 * MS_PER_DAY));
    expect(warned.gauge).toBeCloseTo(20, 1);
    expect(warned.outcome.reimport).toBeUndefined();
    r = await report();
    expect(r.findings.filter((x) => x.severity === 'warning').map((x) => x.message)).toEqual([
      expect.stringMatching(/^generation 1's key material expires at .*: import the same material again from escrow by then \(docs\/escrow-recovery.md\)$/),
    ]);

    // Expired: KMS deleted it, the generation cannot decrypt, the gauge is negative and the report fails.
    const lost = await run(new Date(expiresAt + 60 * 60_000));
    expect(h.sim.state.key(g1.keyId)?.state).toBe('PendingImport');
    expect(lost.gauge).toBeLessThan(0);
    await expect(h.decrypt(proof)).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    r = await report();
    expect(r.findings.filter((x) => x.code === 'material-expired').map((x) => x.message)).toEqual([
      expect.stringMatching(/^generation 1's key material expired at .*: the generation cannot decrypt until the same material is imported again from escrow/),
    ]);

    // The operator re-imports from escrow (docs/escrow-recovery.md; the OpenSSL steps are tested in escrow-recovery.test.ts).
    const object = bucket.versions(BUCKET).find((v) => v.versionId === g1.escrow!.versionId)!;
    const material = unwrapEscrow(JSON.parse(object.body.toString()) as EscrowDocument, reference.privateKey);
    const params = await h.kms.send(new GetParametersForImportCommand({
      KeyId: g1.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048',
    }));
    const validTo = new Date(h.sim.clock.now().getTime() + 200 * MS_PER_DAY);
    await h.kms.send(new ImportKeyMaterialCommand({
      KeyId: g1.keyId,
      ImportType: 'EXISTING_KEY_MATERIAL',
      KeyMaterialId: g1.keyMaterialId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapMaterial(params.PublicKey!, 'RSAES_OAEP_SHA_256', material),
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo,
    }));
    expect(await h.decrypt(proof)).toBe('written under generation 1');

    // The next run sees it in KMS and records it; the gauge and the report follow.
    const seen = await run(new Date(h.sim.clock.now().getTime() + 10 * 60_000));
    expect(seen.outcome.reimport).toEqual({ reimported: [], observed: [1], failed: [] });
    const after = (await h.group(GROUP)).generations[0];
    expect(after).toMatchObject({ materialValidTo: validTo.toISOString(), reimportedBy: 'operator' });
    expect(seen.gauge).toBeGreaterThan(30);
    const events = (await h.ledger.events(GROUP)).filter((e) => e.type === 'material-reimported');
    expect(events.map((e) => [e.generation, e.reason, e.detail?.reimportedBy, e.detail?.materialValidTo])).toEqual([[1, 'reimport', 'operator', validTo.toISOString()]]);
    r = await report();
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
  } finally {
    await bucket.stop();
    await h.stop();
  }
});
