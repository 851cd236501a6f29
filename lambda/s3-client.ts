/**
 * The S3 client of the rotation function, bundled on its own into
 * assets/lambda/rotation-function/s3-client.js (see .projenrc.ts) and loaded
 * only when a key group escrows its material (MaterialEscrow): groups without
 * escrow never pay for its bytes at a cold start.
 */
export { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
