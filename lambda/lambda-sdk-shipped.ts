/**
 * Stands in for `@aws-sdk/client-lambda` in the rotation function's bundle
 * (esbuild alias, see .projenrc.ts): the client is the file next to the
 * bundle, lambda-client.js (lambda/lambda-client.ts bundled on its own),
 * required when the first provider is invoked, not at a cold start.
 */
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export = require(path.join(__dirname, 'lambda-client.js'));
