/**
 * The operators' command-line tool (`npx cdk-rotating-imported-key ...`),
 * bundled and shipped in the package. It uses the caller's credentials and
 * the standard SDK configuration (AWS_REGION, AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL_DYNAMODB, ...).
 */
import { createCli } from './cli/program';


createCli().parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exitCode = 1;
});
