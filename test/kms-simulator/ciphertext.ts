/**
 * Ciphertext blob format of the simulator (symmetric encryption, AES-256-GCM).
 *
 *   offset  size  field
 *   0       1     version (0x01)
 *   1       36    key id (ASCII UUID)
 *   37      32    key material id (raw sha256)
 *   69      12    GCM IV
 *   81      16    GCM tag
 *   97      n     encrypted plaintext
 *
 * The GCM additional authenticated data is the 69-byte header followed by the canonical
 * encryption context (JSON of the entries sorted by key), so a blob only decrypts under the
 * key material it names and with exactly the same encryption context.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import { invalidCiphertext } from './errors';

const VERSION = 0x01;
const KEY_ID_LEN = 36;
const MATERIAL_ID_LEN = 32;
const HEADER_LEN = 1 + KEY_ID_LEN + MATERIAL_ID_LEN;
const IV_LEN = 12;
const TAG_LEN = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ParsedCiphertext {
  readonly keyId: string;
  /** 64 hex chars. */
  readonly materialId: string;
  readonly header: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly body: Buffer;
}

/** Canonical form of an encryption context: entries sorted by key, as JSON. */
export function canonicalContext(context: Record<string, string>): Buffer {
  const entries = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

export function encryptBlob(
  keyId: string,
  material: { id: string; bytes: Buffer },
  plaintext: Buffer,
  context: Record<string, string>,
): Buffer {
  const header = Buffer.concat([Buffer.from([VERSION]), Buffer.from(keyId, 'ascii'), Buffer.from(material.id, 'hex')]);
  if (header.length !== HEADER_LEN) {
    throw new Error('unexpected key id or key material id length');
  }
  const iv = randomBytes(IV_LEN);
  const cipher = createCipheriv('aes-256-gcm', material.bytes, iv);
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** Parses the blob structure; InvalidCiphertextException when it is not a simulator blob. */
export function parseBlob(blob: Buffer): ParsedCiphertext {
  if (blob.length <= HEADER_LEN + IV_LEN + TAG_LEN || blob[0] !== VERSION) {
    throw invalidCiphertext('The ciphertext is invalid or corrupted.');
  }
  const keyId = blob.subarray(1, 1 + KEY_ID_LEN).toString('ascii');
  if (!UUID_RE.test(keyId)) {
    throw invalidCiphertext('The ciphertext is invalid or corrupted.');
  }
  let offset = HEADER_LEN;
  const iv = blob.subarray(offset, offset + IV_LEN);
  offset += IV_LEN;
  const tag = blob.subarray(offset, offset + TAG_LEN);
  offset += TAG_LEN;
  return {
    keyId,
    materialId: blob.subarray(1 + KEY_ID_LEN, HEADER_LEN).toString('hex'),
    header: blob.subarray(0, HEADER_LEN),
    iv,
    tag,
    body: blob.subarray(offset),
  };
}

/** Decrypts a parsed blob; InvalidCiphertextException on authentication failure. */
export function decryptBlob(parsed: ParsedCiphertext, materialBytes: Buffer, context: Record<string, string>): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', materialBytes, parsed.iv);
    decipher.setAAD(Buffer.concat([parsed.header, canonicalContext(context)]));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.body), decipher.final()]);
  } catch {
    throw invalidCiphertext('The ciphertext is invalid or the encryption context does not match.');
  }
}
