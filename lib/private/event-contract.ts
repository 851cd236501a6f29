// The rotation function's event and metrics, as the construct refers to them
// (rules, alarms, IAM conditions). The function's own definitions are in
// lambda/rotation/rotation-event.ts and lambda/rotation/telemetry.ts; a test
// checks that both say the same.

/** `source` of the event put after each completed rotation. */
export const EVENT_SOURCE = 'cdk-rotating-imported-key';
/** `detail-type` of that event. */
export const EVENT_DETAIL_TYPE = 'Imported Key Rotated';

/** The rotation function's environment variable naming the bus of that event (absent: the default bus). */
export const EVENT_BUS_ENV = 'EVENT_BUS_NAME';

/** CloudWatch namespace of the function's metrics. */
export const METRIC_NAMESPACE = 'RotatingImportedKey';
/** Their only dimension: the group id. */
export const GROUP_DIMENSION = 'KeyGroup';

export const METRIC = {
  rotationSucceeded: 'RotationSucceeded',
  rotationFailed: 'RotationFailed',
  tamperingDetected: 'TamperingDetected',
  emergencyRotationRefused: 'EmergencyRotationRefused',
  daysSinceActivation: 'DaysSinceActivation',
  daysUntilDue: 'DaysUntilDue',
  daysUntilMaterialExpiry: 'DaysUntilMaterialExpiry',
  retainedGenerations: 'RetainedGenerations',
};
