/**
 * Stands in for `@aws-sdk/client-s3` in the rotation function's bundle
 * (esbuild alias, see .projenrc.ts): the client is the file next to the
 * bundle, s3-client.js (lambda/s3-client.ts bundled on its own), required
 * when the first escrow object is written, not at a cold start.
 */
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export = require(path.join(__dirname, 's3-client.js'));
