import * as fs from 'fs';
import * as path from 'path';

// The notices shipped beside each bundle name every package esbuild put code of
// into it (its metafile), with the license from the package's manifest.

const ASSETS = path.join(__dirname, '..', '..', 'assets', 'lambda');

test.each([
  ['rotation-function', 'rotation-function/THIRD-PARTY-NOTICES.txt', '@aws-sdk/client-kms'],
  // The rotation function's Lambda client (material providers) is a file of its own in the same asset.
  ['lambda-client', 'rotation-function/THIRD-PARTY-NOTICES.lambda-client.txt', '@aws-sdk/client-lambda'],
  // Its S3 client (escrow) too.
  ['s3-client', 'rotation-function/THIRD-PARTY-NOTICES.s3-client.txt', '@aws-sdk/client-s3'],
  ['cli', 'cli/THIRD-PARTY-NOTICES.txt', '@aws-sdk/client-kms'],
])('the %s bundle\'s notices list every bundled package with its license', (bundle, noticesFile, client) => {
  const meta = JSON.parse(fs.readFileSync(path.join(ASSETS, `${bundle}.meta.json`), 'utf8'));
  const notices = fs.readFileSync(path.join(ASSETS, noticesFile), 'utf8');
  const packageDirs = new Set<string>();
  for (const output of Object.values<any>(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries<any>(output.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match && bytesInOutput > 0) packageDirs.add(match[1]);
    }
  }
  const manifests = [...packageDirs].map((dir) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', dir, 'package.json'), 'utf8')));
  expect(manifests.map((m) => m.name)).toContain(client);
  for (const manifest of manifests) {
    expect(notices).toContain(`  ${manifest.name}@${manifest.version} (${manifest.license})`);
  }
});
