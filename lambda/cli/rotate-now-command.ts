/**
 * `rotate-now`: an emergency rotation through the rotation function (the only
 * entry point that may rotate), invoked with the caller's credentials, which
 * `grantRotateNow` grants. Prints the outcome and what happens next.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Command, InvalidArgumentError, Option } from 'commander';
import { requestHandlerOf, ROTATION_INVOKE_TIMEOUTS } from '../rotation/client-timeouts';
import type { RotationOutcome } from '../rotation/rotate';

interface RotateNowOptions {
  readonly alias: string;
  readonly function: string;
  readonly json?: boolean;
  readonly region?: string;
}

function aliasName(v: string): string {
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(v)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an alias name (alias/...)`);
  return v;
}

export class RotationFunctionError extends Error {
  constructor(functionName: string, type: string, message: string) {
    super(`the rotation function ${functionName} refused or failed: ${type}: ${message}`);
    this.name = 'RotationFunctionError';
  }
}

export function rotateNowCommand(): Command {
  return new Command('rotate-now')
    .description('Rotate a key group now (an emergency rotation), through the stack\'s rotation function. The new generation is made at once; the alias moves to it after the propagation window and the previous generation is fenced one window later.')
    .requiredOption('--alias <alias>', 'the group\'s alias', aliasName)
    .addOption(new Option('--function <name>', 'the stack\'s rotation function (name or ARN)').env('CDK_ROTATING_IMPORTED_KEY_FUNCTION').makeOptionMandatory())
    .option('--json', 'print the function\'s answer as JSON')
    .option('--region <region>', 'the AWS Region (default: the SDK configuration)')
    .action(async (o: RotateNowOptions) => {
      if (o.region) process.env.AWS_REGION = o.region;
      const lambda = new LambdaClient({ maxAttempts: 3, requestHandler: requestHandlerOf(ROTATION_INVOKE_TIMEOUTS) });
      const r = await lambda.send(new InvokeCommand({
        FunctionName: o.function,
        Payload: Buffer.from(JSON.stringify({ action: 'rotate-now', aliasName: o.alias })),
      }));
      const answer = JSON.parse(Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8') || 'null');
      if (r.FunctionError) throw new RotationFunctionError(o.function, String(answer?.errorType ?? 'Error'), String(answer?.errorMessage ?? 'no message'));
      const outcome = answer as RotationOutcome;
      process.stdout.write(o.json ? `${JSON.stringify(outcome, null, 2)}\n` : `${describeOutcome(outcome, o.alias)}\n`);
      // Not a failure (the function is fine), but nothing was started: scripts must be able to tell.
      if (outcome.outcome === 'refused') process.exitCode = 1;
    });
}

/** What the outcome means for the operator, in a sentence or two. Pure. */
export function describeOutcome(o: RotationOutcome, alias: string): string {
  const next = o.nextPhaseAt ? ` The alias moves at the first scheduled run (every 10 minutes) after ${o.nextPhaseAt}; the previous generation is fenced (decrypt-only) one propagation window after that.` : '';
  switch (o.outcome) {
    case 'started':
      return `Emergency rotation of ${alias} started: generation ${o.generation} is made, imported and tested; the alias still points at ${o.keyArn ?? 'no key'}.${next}`;
    case 'in-progress':
      return `A rotation of ${alias} to generation ${o.generation} was already under way; the emergency joined it (phase ${o.phase ?? '?'}).${next}`;
    case 'queued':
      // Behind a rotation that moved the alias, `nextPhaseAt` is its fence: the alias does not move again before it.
      if (o.startsAt) {
        return `A rotation of ${alias} to generation ${o.generation} has moved the alias and waits for its fence; the emergency rotation is queued and starts once it is complete. `
          + `It starts at the first scheduled run (every 10 minutes) after ${o.startsAt}, not before.`;
      }
      return o.phase
        ? `Another run holds ${alias}'s key group; the emergency rotation is recorded: the group's next run joins the rotation to generation ${o.generation} under way `
          + '(or, if that one has moved the alias by then, queues it behind it).'
        : `Another run holds ${alias}'s key group; the emergency rotation is recorded and starts at its next run (within 10 minutes).`;
    case 'refused':
      return `Emergency rotation of ${alias} refused: ${o.refusal?.message ?? 'no reason given'}. Nothing was started.`;
    case 'promoted':
    case 'completed':
      return `${alias} now points at generation ${o.generation} (${o.keyArn ?? '?'}).${next}`;
    case 'not-due':
    case 'generation-enabled':
      return `${alias}: the function answered "${o.outcome}" to an emergency request, which it never should; check its logs.`;
  }
}
