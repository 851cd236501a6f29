/**
 * The operators' command-line tool (`npx cdk-rotating-imported-key ...`),
 * bundled and shipped in the package. It uses the caller's credentials and
 * the standard SDK configuration (AWS_REGION, AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL_DYNAMODB, ...).
 *
 * Exit status: 0 done; 1 the report found a problem, or rotate-now was refused
 * by the emergency rotation limit; 2 the command failed
 * (bad arguments, access denied, an unknown alias, ...).
 */
import { CommanderError } from 'commander';
import { createCli } from './cli/program';

const FAILED = 2;

createCli().parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // Commander printed the message (or the help) already.
    process.exitCode = e.exitCode === 0 ? 0 : FAILED;
    return;
  }
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exitCode = FAILED;
});
