/**
 * What the escrow tests share: a reference escrow key pair (its private key
 * stands for the customer's offline key), a stack that escrows to a bucket
 * imported by name, and the unwrap of an escrow object in Node.js.
 */
import { constants, createDecipheriv, generateKeyPairSync, KeyObject, privateDecrypt } from 'node:crypto';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { deployedStack, DeployedStack } from './deployed-stack';
import { EscrowDocument } from '../../lambda/rotation/escrow';
import { EscrowWrapping, MaterialEscrow, WrappingKeySpec } from '../../lib';

export const GROUP = 'telemetry-group';
export const BUCKET = 'escrow-bucket';

export const reference = generateKeyPairSync('rsa', { modulusLength: 3072 });
export const PUBLIC_PEM = reference.publicKey.export({ format: 'pem', type: 'spki' }).toString();

/** Unwraps an escrow object's material with the private key (both wrappings). */
export function unwrapEscrow(doc: EscrowDocument, privateKey: KeyObject): Buffer {
  const wrapped = Buffer.from(doc.encryptedKeyMaterial, 'base64');
  const oaep = (data: Buffer) => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
  if (doc.escrowWrapping === 'RSAES_OAEP_SHA_256') return oaep(wrapped);
  const rsaBytes = privateKey.asymmetricKeyDetails!.modulusLength! / 8;
  const kwp = createDecipheriv('id-aes256-wrap-pad', oaep(wrapped.subarray(0, rsaBytes)), Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([kwp.update(wrapped.subarray(rsaBytes)), kwp.final()]);
}

export function escrowStack(wrapping?: EscrowWrapping): DeployedStack {
  return deployedStack((stack) => ({
    // RSA_2048 wrapping keys: the simulator makes them much faster than RSA_4096 (escrow does not depend on the wrapping key).
    wrappingKeySpec: WrappingKeySpec.RSA_2048,
    escrow: MaterialEscrow.toBucket(s3.Bucket.fromBucketName(stack, 'Escrow', BUCKET), { publicKeyPem: PUBLIC_PEM, wrapping }),
  }));
}

