/** Custom resource properties and events for tests, as the construct sends them. */
export const ACCOUNT = '111122223333';
export const LIFECYCLE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/lifecycle-function-role`;
export const ROTATION_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/rotation-function-role`;

export function groupProps(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ServiceToken: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:provider`,
    GroupId: 'telemetry-group',
    AliasName: 'alias/telemetry',
    IntervalMonths: '6',
    Description: 'Telemetry data key',
    KeyPolicyStatements: '[]',
    Tags: '{"team":"platform"}',
    WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    WrappingKeySpec: 'RSA_4096',
    MaterialValidityDays: '0',
    RemovalPolicy: 'retain',
    PendingWindowDays: '7',
    LifecycleRoleArn: LIFECYCLE_ROLE_ARN,
    RotationRoleArn: ROTATION_ROLE_ARN,
    AccountId: ACCOUNT,
    Partition: 'aws',
    PropagationWindowSeconds: '420',
    ScheduleHour: '3',
    ScheduleTimeZone: 'Etc/UTC',
    ...overrides,
  };
}

export function cfnEvent(type: 'Create' | 'Update' | 'Delete', props: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    RequestType: type,
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/redacted',
    StackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/example/1`,
    RequestId: `req-${type}`,
    LogicalResourceId: 'TelemetryKey',
    ResourceType: 'Custom::RotatingImportedKey',
    ResourceProperties: props,
    ...(type !== 'Create' ? { PhysicalResourceId: props.GroupId } : {}),
    ...extra,
  };
}

export function rotateIfDue(aliasName = 'alias/telemetry', groupId = 'telemetry-group'): Record<string, unknown> {
  return { action: 'rotate-if-due', aliasName, groupId };
}

export function rotateNow(aliasName = 'alias/telemetry', groupId?: string): Record<string, unknown> {
  return { action: 'rotate-now', aliasName, ...(groupId ? { groupId } : {}) };
}
