/**
 * `report`: the compliance report of one key group (by alias) or of every
 * group of a stack's ledger table, as a table, Markdown, CSV or JSON. Exits 1
 * when a rotation is overdue, an event log does not verify, or the ledger and
 * KMS disagree, so that a pipeline can gate on it.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { renderReports, REPORT_FORMATS, ReportFormat, reportAllGroups, reportFailed, reportGroup } from '../report';
import type { GroupReport } from '../report';
import { visibleControls } from '../report/safe-text';
import { defaultDynamoDbClient, defaultKmsClient } from '../rotation/handler';

/** Exit status when the report found a problem (2 is for a report that could not be made). */
export const EXIT_FINDINGS = 1;

interface ReportCommandOptions {
  readonly table: string;
  readonly alias?: string[];
  readonly all?: boolean;
  readonly format: ReportFormat;
  readonly at?: Date;
  readonly region?: string;
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
    .description('Report every generation of key groups with its dates, whether each rotation happened on time, the next due date and whether the event log verifies. Exit status 1 when a rotation is overdue, an event log does not verify, or the ledger and KMS disagree.')
    .addOption(new Option('--table <name>', 'the stack\'s ledger table').env('CDK_ROTATING_IMPORTED_KEY_TABLE').makeOptionMandatory())
    .option('--alias <alias>', 'a group\'s alias (repeatable)', collect)
    .option('--all', 'every group of the table')
    .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS).default('table'))
    .option('--at <time>', 'judge due dates as of this time (default: now), e.g. a week ahead to warn before a rotation is overdue', parseTime)
    .option('--region <region>', 'the AWS Region (default: the SDK configuration)')
    .action(async (o: ReportCommandOptions, cmd: Command) => {
      if (!o.all && !o.alias?.length) cmd.error('error: name a group with --alias alias/..., or use --all', { exitCode: 2 });
      if (o.all && o.alias?.length) cmd.error('error: use --alias or --all, not both', { exitCode: 2 });
      // The SDK's standard configuration reads the Region from here too.
      if (o.region) process.env.AWS_REGION = o.region;
      const clients = {
        kms: defaultKmsClient(),
        dynamodb: defaultDynamoDbClient(),
        tableName: o.table,
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
      const failed = reports.filter(reportFailed);
      if (failed.length > 0) {
        process.stderr.write(`${failed.length} of ${reports.length} key group(s) failed the report: ${failed.map((r) => visibleControls(r.alias)).join(', ')}\n`);
        process.exitCode = EXIT_FINDINGS;
      }
    });
}

