/** Custom resource properties and events for tests, as the construct sends them. */
export const ACCOUNT = '111122223333';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/rotation-function-role`;

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
    RotationRoleArn: ROLE_ARN,
    AccountId: ACCOUNT,
    Partition: 'aws',
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
