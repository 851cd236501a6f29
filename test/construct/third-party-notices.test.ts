import * as fs from 'fs';
import * as path from 'path';

// The notices shipped beside each bundle name every package esbuild put code of
// into it (its metafile), with the license from the package's manifest.

const ASSETS = path.join(__dirname, '..', '..', 'assets', 'lambda');

test.each(['rotation-function', 'cli'])('the %s bundle\'s notices list every bundled package with its license', (bundle) => {
  const meta = JSON.parse(fs.readFileSync(path.join(ASSETS, `${bundle}.meta.json`), 'utf8'));
  const notices = fs.readFileSync(path.join(ASSETS, bundle, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
  const packageDirs = new Set<string>();
  for (const output of Object.values<any>(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries<any>(output.inputs)) {
      const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match && bytesInOutput > 0) packageDirs.add(match[1]);
    }
  }
  const manifests = [...packageDirs].map((dir) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', dir, 'package.json'), 'utf8')));
  expect(manifests.map((m) => m.name)).toContain('@aws-sdk/client-kms');
  for (const manifest of manifests) {
    expect(notices).toContain(`  ${manifest.name}@${manifest.version} (${manifest.license})`);
  }
});
