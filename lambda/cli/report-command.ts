/**
 * `report`: the compliance report of one key group (by alias) or of every
 * group of a stack's ledger table, as a table, Markdown, CSV or JSON. Exits 1
 * when a rotation is overdue, an event log or a seal does not verify, the
 * ledger and KMS disagree, the seals were not checked (no seal keys given), or
 * a read failed (the report shows the rest and names it: incomplete is not a
 * pass, but it is a report), so that a pipeline can gate on it. Exits 2 only
 * when no report could be made.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { renderReports, REPORT_FORMATS, ReportFormat, reportAllGroups, reportGroup, reportVerdict } from '../report';
import type { GroupReport } from '../report';
import { visibleControls } from '../report/safe-text';
import { defaultDynamoDbClient, defaultKmsClient } from '../rotation/handler';

/** Exit status when the report does not pass: a problem found, seals not checked, or parts unreadable (2 is for no report at all). */
export const EXIT_FINDINGS = 1;

interface ReportCommandOptions {
  readonly table: string;
  readonly alias?: string[];
  readonly all?: boolean;
  readonly format: ReportFormat;
  readonly at?: Date;
  readonly region?: string;
  readonly settingsSealKey?: string;
  readonly ledgerSealKey?: string;
}

/** A KMS key ARN (the seal keys are named by ARN: the seals record the ARN that made them). */
function keyArn(option: string): (v: string) => string {
  return (v) => {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-zA-Z0-9-]+$/.test(v)) {
      throw new InvalidArgumentError(`${JSON.stringify(v)} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), as ${option} needs`);
    }
    return v;
  };
}

function parseTime(v: string): Date {
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new InvalidArgumentError(`${JSON.stringify(v)} is not a date and time (ISO 8601, e.g. 2027-01-01T00:00:00Z)`);
  return t;
}

function collect(v: string, previous: string[] | undefined): string[] {
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(v)) throw new InvalidArgumentError(`${JSON.stringify(v)} is not an alias name (alias/...)`);
  return [...(previous ?? []), v];
}

export function reportCommand(): Command {
  return new Command('report')
    .description('Report every generation of key groups with its dates, whether each rotation happened on time, the next due date and whether the event log and the ledger\'s seals verify. Exit status 1 when a rotation is overdue, an event log or a seal does not verify, the ledger and KMS disagree, the seals were not checked (no seal keys given), or a read failed (the report names it; 2 only when no report could be made).')
    .addOption(new Option('--table <name>', 'the stack\'s ledger table').env('CDK_ROTATING_IMPORTED_KEY_TABLE').makeOptionMandatory())
    .option('--alias <alias>', 'a group\'s alias (repeatable)', collect)
    .option('--all', 'every group of the table')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('table'))
    .option('--at <time>', 'judge due dates as of this time (default: now), e.g. a week ahead to warn before a rotation is overdue', parseTime)
    .option('--region <region>', 'the AWS Region (default: the SDK configuration)')
    .addOption(new Option('--settings-seal-key <arn>', 'the stack\'s settings seal key (the construct\'s settingsSealKey.keyArn); without both seal keys the seals are not checked and no group passes')
      .env('CDK_ROTATING_IMPORTED_KEY_SETTINGS_SEAL_KEY').argParser(keyArn('--settings-seal-key')))
    .addOption(new Option('--ledger-seal-key <arn>', 'the stack\'s ledger seal key (the construct\'s ledgerSealKey.keyArn)')
      .env('CDK_ROTATING_IMPORTED_KEY_LEDGER_SEAL_KEY').argParser(keyArn('--ledger-seal-key')))
    .action(async (o: ReportCommandOptions, cmd: Command) => {
      if (!o.all && !o.alias?.length) cmd.error('error: name a group with --alias alias/..., or use --all', { exitCode: 2 });
      if (o.all && o.alias?.length) cmd.error('error: use --alias or --all, not both', { exitCode: 2 });
      if ((o.settingsSealKey === undefined) !== (o.ledgerSealKey === undefined)) {
        cmd.error('error: give both --settings-seal-key and --ledger-seal-key, or neither', { exitCode: 2 });
      }
      const sealKeys = o.settingsSealKey && o.ledgerSealKey ? { settings: o.settingsSealKey, state: o.ledgerSealKey } : undefined;
      if (!sealKeys) process.stderr.write('seals not checked: give --settings-seal-key and --ledger-seal-key to verify the ledger\'s seals; no group can pass without them\n');
      // The SDK's standard configuration reads the Region from here too.
      if (o.region) process.env.AWS_REGION = o.region;
      const clients = {
        kms: defaultKmsClient(),
        dynamodb: defaultDynamoDbClient(),
        tableName: o.table,
        sealKeys,
        now: o.at ?? new Date(),
      };
      let reports: GroupReport[];
      if (o.all) {
        reports = await reportAllGroups({
          ...clients,
          progress: (done, total, groupId) => process.stderr.write(done < total ? `reading key group ${done + 1} of ${total}: ${visibleControls(groupId)}\n` : `read ${total} key group(s)\n`),
        });
      } else {
        reports = [];
        for (const aliasName of o.alias!) {
          process.stderr.write(`reading ${aliasName}\n`);
          reports.push(await reportGroup({ ...clients, aliasName }));
        }
      }
      process.stdout.write(renderReports(reports, o.format));
      const failed = reports.filter((r) => reportVerdict(r) === 'fail');
      if (failed.length > 0) {
        process.stderr.write(`${failed.length} of ${reports.length} key group(s) failed the report: ${failed.map((r) => visibleControls(r.alias)).join(', ')}\n`);
      }
      for (const r of reports) {
        for (const u of r.unreadable ?? []) {
          process.stderr.write(`could not read ${u.call} of ${visibleControls(r.alias)} generation ${u.generation}: ${u.errorName}: ${visibleControls(u.errorMessage)}\n`);
        }
      }
      if (reports.some((r) => reportVerdict(r) !== 'pass')) process.exitCode = EXIT_FINDINGS;
    });
}

