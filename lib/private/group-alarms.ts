import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

// The alarms of one key group, on the rotation function's metrics (README,
// "Alarms"). The function runs every 10 minutes and writes every metric on
// every run, so an hour holds six data points of each gauge.

/** The metrics the alarms watch, with the statistic and period each alarm evaluates. */
export interface GroupAlarmMetrics {
  readonly rotationFailed: (props: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly daysUntilDue: (props: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly daysUntilMaterialExpiry: (props: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly tamperingDetected: (props: cloudwatch.MetricOptions) => cloudwatch.Metric;
}

export interface GroupAlarms {
  readonly rotationFailed: cloudwatch.Alarm;
  readonly rotationOverdue: cloudwatch.Alarm;
  readonly materialExpiring?: cloudwatch.Alarm;
  readonly tamperingDetected: cloudwatch.Alarm;
}

/** Days past the due date at which the overdue alarm fires (a due rotation starts at the latest a day late). */
export const OVERDUE_DAYS = 1;
/** Hours without evidence of a group on schedule (or without any metric) before the overdue alarm fires. */
export const OVERDUE_HOURS = 3;

const SCHEDULE_PERIOD = Duration.minutes(10);

/** `expiryWarningDays`: days before the earliest material expiry at which the expiry alarm fires; none when material never expires. */
export function createGroupAlarms(scope: Construct, groupId: string, metrics: GroupAlarmMetrics, expiryWarningDays: number | undefined): GroupAlarms {
  const rotationFailed = new cloudwatch.Alarm(scope, 'RotationFailedAlarm', {
    alarmDescription: `A rotation run of key group ${groupId} failed (it threw, or it could not put its rotation event): see the ERROR line of the rotation function's log group.`,
    // One run per schedule period: each failed run is a data point of its own, and the next good run (0) clears it.
    metric: metrics.rotationFailed({ statistic: 'Sum', period: SCHEDULE_PERIOD }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const rotationOverdue = new cloudwatch.Alarm(scope, 'RotationOverdueAlarm', {
    alarmDescription: `Key group ${groupId} is more than ${OVERDUE_DAYS} day(s) past its due date, or the rotation function has reported nothing for ${OVERDUE_HOURS} hours (it is not running or fails every run).`,
    // Maximum: one run in the hour that shows the group on schedule (say the run that promoted) is enough.
    // Hours, not schedule periods: a late run never leaves a period empty, so missing data means the function is not reporting.
    metric: metrics.daysUntilDue({ statistic: 'Maximum', period: Duration.hours(1) }),
    threshold: -OVERDUE_DAYS,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: OVERDUE_HOURS,
    datapointsToAlarm: OVERDUE_HOURS,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  const materialExpiring = expiryWarningDays !== undefined ? new cloudwatch.Alarm(scope, 'MaterialExpiringAlarm', {
    alarmDescription: `Key material of a generation of key group ${groupId} expires within ${expiryWarningDays} days, or expired: `
      + 'expired material makes the generation unusable, decryption included, until the same material is imported again. '
      + 'The report (cdk-rotating-imported-key report) names each generation and its date; with a provider function, '
      + "the rotation function's reimport step says why its re-import fails.",
    metric: metrics.daysUntilMaterialExpiry({ statistic: 'Minimum', period: Duration.hours(1) }),
    threshold: expiryWarningDays,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    // No data: no kept generation's material expires (or the function is not reporting, which the overdue alarm reports).
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  }) : undefined;
  const tamperingDetected = new cloudwatch.Alarm(scope, 'TamperingDetectedAlarm', {
    alarmDescription: `The rotation function found labels or a due date of key group ${groupId} that disagree with the ledger (tampering detected): see its ERROR line.`,
    metric: metrics.tamperingDetected({ statistic: 'Sum', period: SCHEDULE_PERIOD }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { rotationFailed, rotationOverdue, materialExpiring, tamperingDetected };
}
