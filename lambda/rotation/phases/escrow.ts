/**
 * The escrow steps of the import phase (MaterialEscrow, generated material
 * only): write and record the escrow object before ImportKeyMaterial, then
 * bind it to the imported material (tag) and verify it before the rotation
 * may move on to its test phase. A run that died in between is completed by
 * the next one: the ledger holds the escrow object (recorded before the
 * import), and DescribeKey the imported material's id.
 */
import { Deps, step } from '../context';
import { EscrowError, InconsistentGroupError } from '../errors';
import {
  EscrowLocation, escrowDocument, escrowFingerprint, escrowMetadata, escrowObjectKey, escrowProblems, EscrowSubject, KEY_MATERIAL_ID_TAG, sha256Hex,
} from '../escrow';
import { generation, GenerationRecord, withGeneration } from '../ledger-model';
import { Session } from '../session';
import { EscrowSettings } from '../settings';

function gateway(d: Deps, settings: EscrowSettings) {
  if (!d.escrow) throw new EscrowError(settings.bucket, 's3:PutObject', 'cannot be called from here (no S3 client)');
  return d.escrow;
}

function subjectOf(s: Session, g: GenerationRecord): EscrowSubject {
  return { group: s.record.groupId, generation: g.n, keyArn: g.keyArn, keyId: g.keyId };
}

/**
 * Wraps `material` to the escrow key, writes it (a new object for every
 * attempt), and records the object in the generation's ledger record, all
 * before the import: a run that dies after the import finds it again.
 */
export async function escrowBeforeImport(
  d: Deps, s: Session, settings: EscrowSettings, n: number, material: Buffer, materialValidTo: Date | undefined,
): Promise<EscrowLocation> {
  const g = generation(s.record, n)!;
  const subject = subjectOf(s, g);
  const now = d.now();
  const doc = escrowDocument(settings, subject, material, now);
  const body = Buffer.from(JSON.stringify(doc, undefined, 2));
  const key = escrowObjectKey(settings, subject, now);
  return step(d, 'escrow-write', { group: subject.group, generation: n, bucket: settings.bucket, key }, async () => {
    const versionId = await gateway(d, settings).put(settings.bucket, key, body, escrowMetadata(doc));
    const loc: EscrowLocation = {
      bucket: settings.bucket,
      key,
      ...(versionId !== undefined ? { versionId } : {}),
      sha256: sha256Hex(body),
      writtenAt: now.toISOString(),
      wrapping: settings.wrapping,
      fingerprint: escrowFingerprint(settings.publicKey),
      ...(materialValidTo ? { materialValidTo: materialValidTo.toISOString() } : {}),
    };
    await s.save((rec) => withGeneration(rec, { ...generation(rec, n)!, escrow: loc }));
    return loc;
  });
}

/**
 * After the import: tags the recorded version with the KMS key material id,
 * reads it back and checks it. Returns the completed location; throws
 * EscrowError (the rotation stays in import) when anything disagrees.
 */
export async function completeEscrow(
  d: Deps, s: Session, settings: EscrowSettings, n: number, keyMaterialId: string | undefined,
): Promise<EscrowLocation> {
  const g = generation(s.record, n)!;
  const loc = g.escrow;
  if (!loc) throw new InconsistentGroupError(`generation ${n} of key group ${s.record.groupId} has no escrow object recorded before its import`);
  const id = keyMaterialId ?? (await d.kms.describeKey(g.keyId))?.currentKeyMaterialId;
  if (!id) throw new EscrowError(loc.bucket, 's3:PutObjectTagging', `of ${loc.key} cannot bind the material: KMS reported no key material id for ${g.keyArn}`);
  const subject = subjectOf(s, g);
  return step(d, 'escrow-verify', { group: subject.group, generation: n, bucket: loc.bucket, key: loc.key, versionId: loc.versionId }, async () => {
    const s3 = gateway(d, settings);
    await s3.tag(loc.bucket, loc.key, loc.versionId, { [KEY_MATERIAL_ID_TAG]: id });
    const got = await s3.read(loc.bucket, loc.key, loc.versionId);
    const problems = escrowProblems(loc, subject, id, got);
    if (problems.length > 0) {
      throw new EscrowError(loc.bucket, loc.versionId ? 's3:GetObjectVersion' : 's3:GetObject', `of ${loc.key} read back ${problems.join('; ')}`);
    }
    return { ...loc, keyMaterialId: id, verifiedAt: d.now().toISOString() };
  });
}
