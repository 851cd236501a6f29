// Runs inside the consumer project (transpiled next to the apps), so every
// import resolves from the consumer's node_modules, as in a user's app:
//   node synth-scenarios.js <scenarios.json> <outdir> <result.json>
// scenarios.json: [{ "name": …, "module": <path of the app's .js> }], each
// module exporting build(app). Synthesizes every scenario into its own cloud
// assembly and writes what a user's `cdk synth` shows and deploys: the warnings
// and errors of every artifact, and per stack its resource types and functions.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

export interface ScenarioInput { readonly name: string; readonly module: string }

export interface SynthMessage { readonly level: string; readonly path: string; readonly text: string }

export interface SynthFunction {
  readonly logicalId: string;
  readonly handler: string;
  readonly runtime: string;
  /** sha256 of index.js in the function's staged asset directory, when it has one. */
  readonly assetIndexSha256?: string;
}

export interface SynthStack {
  readonly name: string;
  readonly resourceTypes: Record<string, number>;
  readonly functions: SynthFunction[];
}

export interface ScenarioResult {
  readonly name: string;
  /** Where the app's import of the library resolved. */
  readonly libraryPath: string;
  /** Where the library's own import of aws-cdk-lib resolved, and the app's (both real paths). */
  readonly cdkLibFromLibrary: string;
  readonly cdkLibFromApp: string;
  readonly messages: SynthMessage[];
  readonly stacks: SynthStack[];
  /** How long loading the app and synthesizing it took, in milliseconds. */
  readonly milliseconds: number;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function synthesize(scenario: ScenarioInput, outdir: string): ScenarioResult {
  const started = Date.now();
  const appDir = path.dirname(scenario.module);
  const libraryPath = fs.realpathSync(require.resolve('cdk-rotating-imported-key', { paths: [appDir] }));
  const cdkLibFromApp = fs.realpathSync(require.resolve('aws-cdk-lib', { paths: [appDir] }));
  const cdkLibFromLibrary = fs.realpathSync(require.resolve('aws-cdk-lib', { paths: [path.dirname(libraryPath)] }));

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require(scenario.module) as { build: (app: App) => unknown };
  const assemblyDir = path.join(outdir, scenario.name);
  const app = new App({ outdir: assemblyDir });
  build(app);
  const assembly = app.synth();

  const messages: SynthMessage[] = [];
  for (const artifact of assembly.artifacts) {
    for (const m of artifact.messages) {
      if (m.level === 'warning' || m.level === 'error') {
        messages.push({ level: m.level, path: m.id, text: String(m.entry.data) });
      }
    }
  }

  const stacks = assembly.stacks.map((stack): SynthStack => {
    const resources = (stack.template.Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, any> }>;
    const resourceTypes: Record<string, number> = {};
    const functions: SynthFunction[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      resourceTypes[resource.Type] = (resourceTypes[resource.Type] ?? 0) + 1;
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const props = resource.Properties ?? {};
      const s3Key: unknown = props.Code?.S3Key;
      const index = typeof s3Key === 'string' ? path.join(assemblyDir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.js') : undefined;
      functions.push({
        logicalId,
        handler: String(props.Handler),
        runtime: String(props.Runtime),
        assetIndexSha256: index && fs.existsSync(index) ? sha256(index) : undefined,
      });
    }
    return { name: stack.stackName, resourceTypes, functions };
  });

  return { name: scenario.name, libraryPath, cdkLibFromLibrary, cdkLibFromApp, messages, stacks, milliseconds: Date.now() - started };
}

if (require.main === module) {
  const [scenariosFile, outdir, resultFile] = process.argv.slice(2);
  const scenarios = JSON.parse(fs.readFileSync(scenariosFile, 'utf8')) as ScenarioInput[];
  const results = scenarios.map((s) => synthesize(s, outdir));
  fs.writeFileSync(resultFile, JSON.stringify(results, null, 2));
}
