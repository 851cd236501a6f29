/**
 * The key group's report after each completed rotation, printed by the
 * shipped command-line tool (assets/lambda/cli/index.js, the package's bin)
 * in its own process, as an operator runs it: `report --alias ... --table ...
 * --settings-seal-key ... --ledger-seal-key ... --format table`, with the standard SDK configuration pointing at the local
 * KMS and DynamoDB, an administrator's credentials, and `--at` the simulated
 * time (the tool judges due dates as of then).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ExampleDeployment } from './example-deployment';
import { Harness, REGION, SIMULATOR_CREDENTIALS } from '../test/rotation/harness';

export const CLI = path.join(__dirname, '..', 'assets', 'lambda', 'cli', 'index.js');

export interface ReportContext { readonly h: Harness; readonly d: ExampleDeployment }

/** The command line, for the narrative. */
export function reportCommandLine(d: ExampleDeployment): string {
  return `cdk-rotating-imported-key report --alias ${d.aliasName} --table <ledger> --settings-seal-key <arn> --ledger-seal-key <arn> --format table --at <simulated time>`;
}

/** Prints the report; returns a failure (the tool's exit status and stderr), if any. */
export async function printReport({ h, d }: ReportContext, out: (line?: string) => void): Promise<string | undefined> {
  const args = [
    CLI, 'report', '--alias', d.aliasName, '--table', d.tableName, '--settings-seal-key', h.sealKeys.settings, '--ledger-seal-key', h.sealKeys.state,
    '--format', 'table', '--at', h.sim.clock.now().toISOString(),
  ];
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
    AWS_ACCESS_KEY_ID: SIMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SIMULATOR_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { env });
    out(stdout.trimEnd());
    return undefined;
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    if (failed.stdout) out(failed.stdout.trimEnd());
    return `the report command exited with ${failed.code}: ${(failed.stderr ?? '').trim()}`;
  }
}
