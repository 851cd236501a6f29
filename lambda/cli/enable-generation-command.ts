/**
 * `enable-generation`: the way back from retention's `keepLatest`/`deleteAfter`
 * for a generation still needed, through the stack's rotation function (the
 * ledger takes writes from the library's functions only). The function records
 * the generation as exempt (no scheduled run disables it again), then enables
 * its key. The key stays fenced: decrypt-only.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Command, InvalidArgumentError, Option } from 'commander';
import { RotationFunctionError } from './rotate-now-command';
import { requestHandlerOf, ROTATION_INVOKE_TIMEOUTS } from '../rotation/client-timeouts';
import type { RotationOutcome } from '../rotation/rotate';

interface EnableOptions {
  readonly alias: string;
  readonly generation: number;
  readonly function: string;
  readonly region?: string;
}

function aliasName(v: string): string {
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(v)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an alias name (alias/...)`);
  return v;
}

function generationNumber(v: string): number {
  if (!/^[1-9]\d{0,5}$/.test(v)) throw new InvalidArgumentError(`--generation must be a generation number (1, 2, ...); got ${JSON.stringify(v)}`);
  return Number(v);
}

export function enableGenerationCommand(): Command {
  return new Command('enable-generation')
    .description('Enable again a retired generation that the retention policy disabled, and exempt it from retention '
      + '(it is never disabled or deleted by the schedule again), through the stack\'s rotation function. '
      + 'It stays decrypt-only: its key policy keeps the fence. Needs lambda:InvokeFunction on the rotation function (grantRotateNow).')
    .requiredOption('--alias <alias>', 'the group\'s alias', aliasName)
    .requiredOption('--generation <n>', 'the generation to enable', generationNumber)
    .addOption(new Option('--function <name>', 'the stack\'s rotation function (name or ARN)').env('CDK_ROTATING_IMPORTED_KEY_FUNCTION').makeOptionMandatory())
    .option('--region <region>', 'the AWS Region (default: the SDK configuration)')
    .action(async (o: EnableOptions) => {
      if (o.region) process.env.AWS_REGION = o.region;
      const lambda = new LambdaClient({ maxAttempts: 3, requestHandler: requestHandlerOf(ROTATION_INVOKE_TIMEOUTS) });
      const r = await lambda.send(new InvokeCommand({
        FunctionName: o.function,
        Payload: Buffer.from(JSON.stringify({ action: 'enable-generation', aliasName: o.alias, generation: o.generation })),
      }));
      const answer = JSON.parse(Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8') || 'null');
      if (r.FunctionError) throw new RotationFunctionError(o.function, String(answer?.errorType ?? 'Error'), String(answer?.errorMessage ?? 'no message'));
      process.stdout.write(`${JSON.stringify((answer as RotationOutcome).enabled ?? answer, null, 2)}\n`);
    });
}
