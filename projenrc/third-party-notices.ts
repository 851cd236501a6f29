import * as fs from 'fs';
import * as path from 'path';

// Writes the third-party notices of one bundle: every npm package esbuild put
// bytes of into the output (its metafile's `bytesInOutput`, so tree-shaken
// packages are left out), with its version, license and license text, read
// from the package in node_modules.
//
// ts-node projenrc/third-party-notices.ts <metafile> <notices file>

interface Metafile {
  readonly outputs: Record<string, { readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly licenseText: string;
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

/** The package directory of a bundled file: the part up to the last node_modules/<name> (or @scope/name). */
function packageDirOf(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

function readPackage(dir: string): BundledPackage {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type;
  if (!license) {
    throw new Error(`${dir}: package.json has no license field; the bundle's notices cannot be complete`);
  }
  const texts = fs.readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim());
  return {
    name: manifest.name,
    version: manifest.version,
    license,
    licenseText: texts.length > 0 ? texts.join('\n\n') : `(no license file in the package; its package.json declares ${license})`,
  };
}

function bundledPackages(metafile: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = packageDirOf(input);
      if (dir && bytesInOutput > 0) dirs.add(dir);
    }
  }
  return [...dirs].map(readPackage).sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function render(bundle: string, packages: BundledPackage[]): string {
  // Packages with the same license text share one copy of it.
  const byText = new Map<string, BundledPackage[]>();
  for (const p of packages) byText.set(p.licenseText, [...(byText.get(p.licenseText) ?? []), p]);
  const lines = [
    `Third-party software in ${bundle}`,
    '',
    'Generated from the bundler\'s metafile when the bundle was built (projenrc/third-party-notices.ts).',
    `The bundle contains code of these ${packages.length} packages:`,
    '',
    ...packages.map((p) => `  ${p.name}@${p.version} (${p.license})`),
  ];
  for (const [text, group] of byText) {
    lines.push('', '-'.repeat(78), '', `${group.map((p) => `${p.name}@${p.version}`).join(', ')}:`, '', text);
  }
  return `${lines.join('\n')}\n`;
}

function main(): void {
  const [metafilePath, noticesPath] = process.argv.slice(2);
  if (!metafilePath || !noticesPath) {
    throw new Error('usage: third-party-notices.ts <esbuild metafile> <notices file>');
  }
  const meta = JSON.parse(fs.readFileSync(metafilePath, 'utf8')) as Metafile;
  const packages = bundledPackages(meta);
  // The bundle the metafile describes (one output per bundle).
  const bundle = Object.keys(meta.outputs).find((o) => o.endsWith('.js')) ?? path.relative(process.cwd(), path.join(path.dirname(noticesPath), 'index.js'));
  fs.writeFileSync(noticesPath, render(bundle, packages));
}

main();
