/**
 * Escrow of generated material (MaterialEscrow): before ImportKeyMaterial the
 * same plaintext is wrapped to the customer's offline RSA public key and
 * written to S3 as one JSON object per import attempt; after the import the
 * object is tagged with the KMS key material id and read back (that exact
 * version) before the generation may move on to its test phase. See
 * docs/escrow-recovery.md for the object's format and the recovery procedure.
 *
 * The plaintext is never written: only its wrap to the escrow key. S3 object
 * tags are not covered by Object Lock, so tagging a locked version works and
 * no locked version is ever overwritten.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { EscrowError, errorName } from './errors';
import { wrapMaterial } from './material';
import { s3Sdk } from './s3-sdk';
import { EscrowSettings, EscrowWrapping } from './settings';

/** `format` of every escrow object; a change of layout gets a new one. */
export const ESCROW_FORMAT = 'cdk-rotating-imported-key/escrow/1';
/** The object tag that binds an escrow object to the material KMS holds. */
export const KEY_MATERIAL_ID_TAG = 'key-material-id';

/** A generation's escrow as the ledger records it (written before the import, completed after it). */
export interface EscrowLocation {
  readonly bucket: string;
  readonly key: string;
  /** Absent in a bucket without versioning. */
  readonly versionId?: string;
  /** SHA-256 of the object's body (hex): what the read-back must find. */
  readonly sha256: string;
  readonly writtenAt: string;
  readonly wrapping: EscrowWrapping;
  /** SHA-256 of the escrow public key's SubjectPublicKeyInfo (DER), hex. */
  readonly fingerprint: string;
  /** The ValidTo of the import this object was written for (expiring material only), for a run that completes it. */
  readonly materialValidTo?: string;
  /** The KMS key material id the object is tagged with (after the import). */
  readonly keyMaterialId?: string;
  /** When the tagged version was read back and checked. */
  readonly verifiedAt?: string;
}

/** What identifies the generation the escrowed material belongs to. */
export interface EscrowSubject {
  readonly group: string;
  readonly generation: number;
  readonly keyArn: string;
  readonly keyId: string;
}

/** The escrow object's body (JSON). */
export interface EscrowDocument extends EscrowSubject {
  readonly format: string;
  readonly createdAt: string;
  readonly escrowWrapping: EscrowWrapping;
  readonly escrowKeyFingerprint: string;
  /** Bytes of material inside the wrap (32: AES-256). */
  readonly materialBytes: number;
  /** The material wrapped to the escrow key, base64: RSAES-OAEP-SHA-256(material), or RSAES-OAEP-SHA-256(AES key) || AES-KWP(AES key, material). */
  readonly encryptedKeyMaterial: string;
}

export function escrowFingerprint(publicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex');
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `<prefix><group>/generation-<n>/<created, compact>-<random>.json`: a new key for every attempt, so nothing is overwritten. */
export function escrowObjectKey(settings: EscrowSettings, subject: EscrowSubject, createdAt: Date): string {
  const stamp = createdAt.toISOString().replace(/[-:.]/g, '');
  return `${settings.prefix}${subject.group}/generation-${subject.generation}/${stamp}-${randomBytes(6).toString('hex')}.json`;
}

/** The object's user metadata (x-amz-meta-*): the same facts as the body, without the wrapped material. */
export function escrowMetadata(doc: EscrowDocument): Record<string, string> {
  return {
    'format': doc.format,
    'group': doc.group,
    'generation': String(doc.generation),
    'key-arn': doc.keyArn,
    'key-id': doc.keyId,
    'created-at': doc.createdAt,
    'escrow-wrapping': doc.escrowWrapping,
    'escrow-key-fingerprint': doc.escrowKeyFingerprint,
  };
}

/** Wraps `material` to the escrow public key; the plaintext stays in the caller's buffer (zeroed there). */
export function escrowDocument(settings: EscrowSettings, subject: EscrowSubject, material: Buffer, createdAt: Date): EscrowDocument {
  const der = Buffer.from(settings.publicKey, 'base64');
  // RSA_AES_KEY_WRAP_SHA_256 is KMS's own layout (an ephemeral AES-256 key, zeroed after use); RSAES_OAEP_SHA_256 wraps the 32 bytes directly.
  const wrapped = wrapMaterial(der, settings.wrapping, material);
  return {
    format: ESCROW_FORMAT,
    ...subject,
    createdAt: createdAt.toISOString(),
    escrowWrapping: settings.wrapping,
    escrowKeyFingerprint: escrowFingerprint(settings.publicKey),
    materialBytes: material.length,
    encryptedKeyMaterial: wrapped.toString('base64'),
  };
}

/** Bytes of the escrow key's modulus: the length of the RSA part of a wrap. */
export function escrowModulusBytes(publicKeyBase64: string): number {
  const key = createPublicKey({ key: Buffer.from(publicKeyBase64, 'base64'), format: 'der', type: 'spki' });
  return (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
}

/** What a read of one object version returns. */
export interface EscrowObject {
  readonly body: Buffer;
  readonly metadata: Record<string, string>;
  readonly versionId?: string;
  readonly tags: Record<string, string>;
}

/** The S3 calls of escrow; every failure is an EscrowError naming the bucket, the operation and the object. */
export class EscrowGateway {
  private made?: S3Client;

  /** `client` is made at the first call: groups without escrow never load the S3 client. */
  constructor(private readonly client: () => S3Client) {}

  private get s3(): S3Client {
    return this.made ??= this.client();
  }

  /** PutObject; returns the new version's id (absent in a bucket without versioning). */
  async put(bucket: string, key: string, body: Buffer, metadata: Record<string, string>): Promise<string | undefined> {
    const { PutObjectCommand } = s3Sdk();
    const r = await s3Call(bucket, 's3:PutObject', key, undefined, () => this.s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: 'application/json',
      Metadata: metadata,
      // Object Lock requires an integrity checksum on every PutObject.
      ChecksumAlgorithm: 'SHA256',
    })));
    return r.VersionId;
  }

  /** Replaces the version's tag set (tags are not protected by Object Lock). */
  async tag(bucket: string, key: string, versionId: string | undefined, tags: Record<string, string>): Promise<void> {
    const { PutObjectTaggingCommand } = s3Sdk();
    await s3Call(bucket, versionId ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging', key, versionId, () => this.s3.send(new PutObjectTaggingCommand({
      Bucket: bucket,
      Key: key,
      VersionId: versionId,
      Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
    })));
  }

  /** GetObject and GetObjectTagging of exactly `versionId`. */
  async read(bucket: string, key: string, versionId: string | undefined): Promise<EscrowObject> {
    const { GetObjectCommand, GetObjectTaggingCommand } = s3Sdk();
    const object = await s3Call(bucket, versionId ? 's3:GetObjectVersion' : 's3:GetObject', key, versionId, async () => {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
      return { body: Buffer.from(await r.Body!.transformToByteArray()), metadata: r.Metadata ?? {}, versionId: r.VersionId };
    });
    const tagging = await s3Call(bucket, versionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', key, versionId,
      () => this.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId })));
    const tags = Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    return { ...object, tags };
  }
}

async function s3Call<T>(bucket: string, operation: string, key: string, versionId: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const what = versionId ? `${key} (version ${versionId})` : key;
    const message = e instanceof Error ? e.message.slice(0, 300) : String(e);
    throw Object.assign(new EscrowError(bucket, operation, `of ${what} failed: ${errorName(e)}: ${message}`), { operation });
  }
}

/**
 * Checks a read-back against what the ledger recorded and what KMS reported:
 * the body's digest, its fields, the metadata and the key-material-id tag.
 * Returns the problems (none: verified).
 */
export function escrowProblems(loc: EscrowLocation, subject: EscrowSubject, keyMaterialId: string, got: EscrowObject): string[] {
  const problems: string[] = [];
  if (loc.versionId !== undefined && got.versionId !== loc.versionId) problems.push(`version ${got.versionId} instead of ${loc.versionId}`);
  if (sha256Hex(got.body) !== loc.sha256) problems.push(`a body whose SHA-256 is not the ${loc.sha256} written`);
  let doc: Partial<EscrowDocument> = {};
  try {
    doc = JSON.parse(got.body.toString('utf8')) as Partial<EscrowDocument>;
  } catch {
    problems.push('a body that is not JSON');
  }
  const expected: Record<string, unknown> = {
    format: ESCROW_FORMAT,
    group: subject.group,
    generation: subject.generation,
    keyArn: subject.keyArn,
    keyId: subject.keyId,
    escrowWrapping: loc.wrapping,
    escrowKeyFingerprint: loc.fingerprint,
  };
  for (const [field, value] of Object.entries(expected)) {
    if ((doc as Record<string, unknown>)[field] !== value) problems.push(`${field} ${JSON.stringify((doc as Record<string, unknown>)[field])} instead of ${JSON.stringify(value)}`);
  }
  const meta: Record<string, string> = {
    'group': subject.group, 'generation': String(subject.generation), 'key-arn': subject.keyArn, 'escrow-key-fingerprint': loc.fingerprint,
  };
  for (const [name, value] of Object.entries(meta)) {
    if (got.metadata[name] !== value) problems.push(`metadata ${name} ${JSON.stringify(got.metadata[name])} instead of ${JSON.stringify(value)}`);
  }
  if (got.tags[KEY_MATERIAL_ID_TAG] !== keyMaterialId) {
    problems.push(`tag ${KEY_MATERIAL_ID_TAG} ${JSON.stringify(got.tags[KEY_MATERIAL_ID_TAG])} instead of KMS's ${keyMaterialId}`);
  }
  return problems;
}
