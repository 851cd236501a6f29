/**
 * The S3 client module, loaded at its first use: only key groups with escrow
 * (MaterialEscrow) need it (in the shipped bundle it is a file of its own,
 * see lambda/s3-sdk-shipped.ts).
 */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

let loaded: S3Sdk | undefined;

export function s3Sdk(): S3Sdk {
  // A require at the first use, not an import: the bundle must not load the client at a cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return loaded ??= require('@aws-sdk/client-s3') as S3Sdk;
}
