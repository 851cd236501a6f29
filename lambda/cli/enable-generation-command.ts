/**
 * `enable-generation`: the way back from retention's `keepLatest`/`deleteAfter`
 * for a generation still needed. Records the generation as exempt in the
 * ledger (no scheduled run disables it again), then enables its key with the
 * caller's credentials. The key stays fenced: decrypt-only.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Deps, Log } from '../rotation/context';
import { enableRetiredGeneration } from '../rotation/enable-generation';

interface EnableOptions {
  readonly alias: string;
  readonly generation: number;
  readonly table: string;
}

function aliasName(v: string): string {
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(v)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an alias name (alias/...)`);
  return v;
}

function generationNumber(v: string): number {
  if (!/^[1-9]\d{0,5}$/.test(v)) throw new InvalidArgumentError(`--generation must be a generation number (1, 2, ...); got ${JSON.stringify(v)}`);
  return Number(v);
}

export function enableGenerationCommand(deps: (tableName: string, log: Log) => Deps, log: Log): Command {
  return new Command('enable-generation')
    .description('Enable again a retired generation that the retention policy disabled, and exempt it from retention '
      + '(it is never disabled or deleted by the schedule again). It stays decrypt-only: its key policy keeps the fence. '
      + 'Needs ledger read/write, kms:GetKeyPolicy, kms:EnableKey and kms:TagResource on the key.')
    .requiredOption('--alias <alias>', 'the group\'s alias', aliasName)
    .requiredOption('--generation <n>', 'the generation to enable', generationNumber)
    .addOption(new Option('--table <name>', 'the stack\'s ledger table').env('CDK_ROTATING_IMPORTED_KEY_TABLE').makeOptionMandatory())
    .action(async (o: EnableOptions) => {
      const g = await enableRetiredGeneration(deps(o.table, log), o.alias, o.generation);
      process.stdout.write(`${JSON.stringify({
        generation: g.n,
        keyArn: g.keyArn,
        stage: g.stage,
        fenced: g.fencedAt !== undefined,
        retentionExemptAt: g.retentionExemptAt,
        reenabledAt: g.reenabledAt,
      }, null, 2)}\n`);
    });
}
