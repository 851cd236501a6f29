/**
 * The command-line tool's commands. Pure wiring: each command builds the
 * engine's dependencies from the caller's SDK configuration and calls it.
 */
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { enableGenerationCommand } from './enable-generation-command';
import { reportCommand } from './report-command';
import { rotateNowCommand } from './rotate-now-command';
import { Deps, Log } from '../rotation/context';
import { defaultDynamoDbClient, defaultKmsClient, defaultTaggingClient } from '../rotation/handler';
import { KmsGateway } from '../rotation/kms-gateway';
import { Ledger } from '../rotation/ledger';
import { recoverLedger, STACK_DEFAULTS, StackOnlySettings } from '../rotation/recover';
import {
  parseGroupId, parsePendingWindow, parsePropagationSeconds, parseScheduleHour, parseTimeZone,
} from '../rotation/settings';

/** Writes progress and warnings to stderr, so stdout carries only the result. */
function stderrLog(): Log {
  const write = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    process.stderr.write(`${level} ${message}${attributes && Object.keys(attributes).length ? ` ${JSON.stringify(attributes)}` : ''}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

function cliDeps(tableName: string, log: Log): Deps {
  return {
    kms: new KmsGateway(defaultKmsClient(), defaultTaggingClient()),
    ledger: new Ledger(defaultDynamoDbClient(), tableName),
    now: () => new Date(),
    log,
    runId: `cli-${randomUUID()}`,
    leaseMs: 60_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    remainingMs: () => Number.MAX_SAFE_INTEGER,
  };
}

/** Adapts one of the engine's field validators to commander's argument parsing. */
function checked<T>(parse: (v: unknown, field: string) => T, field: string): (v: string) => T {
  return (v) => {
    try {
      return parse(v, field);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

interface RecoverOptions {
  readonly table: string;
  readonly group: string;
  readonly alias: string;
  readonly removalPolicy: string;
  readonly pendingWindowDays: number;
  readonly propagationSeconds: number;
  readonly scheduleHour: number;
  readonly scheduleTimeZone: string;
}

export function createCli(): Command {
  const program = new Command('cdk-rotating-imported-key')
    .description('Operate key groups of RotatingImportedKey (cdk-rotating-imported-key)')
    // Errors reach the caller (lambda/cli.ts sets the exit status) instead of exiting here.
    .exitOverride();

  program.command('recover-ledger')
    .description('Rebuild a key group\'s ledger entry from its generation aliases and the keys\' tags, when the entry or the table was lost. Refuses when what it finds is ambiguous; never overwrites an entry.')
    .requiredOption('--table <name>', 'the ledger table (the stack\'s RotatingImportedKey ledger)')
    .requiredOption('--group <id>', 'the group id', checked(parseGroupId, '--group'))
    .requiredOption('--alias <alias>', 'the group\'s user alias, e.g. alias/telemetry')
    .option('--removal-policy <policy>', 'retain or destroy, as the stack declares it', 'retain')
    .option('--pending-window-days <days>', 'the stack\'s pending window', checked(parsePendingWindow, '--pending-window-days'), STACK_DEFAULTS.pendingWindowDays)
    .option('--propagation-seconds <seconds>', 'the stack\'s propagation window', checked(parsePropagationSeconds, '--propagation-seconds'), STACK_DEFAULTS.propagationSeconds)
    .option('--schedule-hour <hour>', 'the hour scheduled rotations start in', checked(parseScheduleHour, '--schedule-hour'), STACK_DEFAULTS.scheduleHour)
    .option('--schedule-time-zone <zone>', 'the schedule\'s time zone', checked(parseTimeZone, '--schedule-time-zone'), STACK_DEFAULTS.scheduleTimeZone)
    .action(async (o: RecoverOptions) => {
      if (o.removalPolicy !== 'retain' && o.removalPolicy !== 'destroy') throw new InvalidArgumentError('--removal-policy must be retain or destroy');
      const stack: StackOnlySettings = {
        ...STACK_DEFAULTS,
        removalPolicy: o.removalPolicy,
        pendingWindowDays: o.pendingWindowDays,
        propagationSeconds: o.propagationSeconds,
        scheduleHour: o.scheduleHour,
        scheduleTimeZone: o.scheduleTimeZone,
      };
      const r = await recoverLedger(cliDeps(o.table, stderrLog()), o.group, o.alias, stack);
      process.stdout.write(`${JSON.stringify({
        group: r.record.groupId,
        generations: r.record.generations.map((g) => ({ generation: g.n, keyArn: g.keyArn, stage: g.stage, fenced: g.fencedAt !== undefined })),
        rotation: r.record.rotation ?? null,
        nextDueAt: r.record.nextDueAt,
        unregisteredKeys: r.unregistered,
      }, null, 2)}\n`);
    });

  program.addCommand(reportCommand().exitOverride());
  program.addCommand(rotateNowCommand().exitOverride());
  program.addCommand(enableGenerationCommand().exitOverride());

  return program;
}
