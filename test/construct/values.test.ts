import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { stackWithKey } from './helpers';
import { MaterialExpiration, RotationInterval, WrappingAlgorithm, WrappingKeySpec } from '../../lib';

describe('value classes', () => {
  test.each([[1, 1], [6, 6], [120, 120]])('RotationInterval.months(%d) is %d months', (n, months) => {
    expect(RotationInterval.months(n).toMonths()).toBe(months);
  });

  test.each([[1, 12], [2, 24], [10, 120]])('RotationInterval.years(%d) is %d months', (n, months) => {
    expect(RotationInterval.years(n).toMonths()).toBe(months);
  });

  test('RotationInterval.months keeps a token for deploy time', () => {
    const interval = RotationInterval.months(Lazy.number({ produce: () => 4 }));
    expect(Token.isUnresolved(interval.toMonths())).toBe(true);
  });

  test('MaterialExpiration.never() does not expire and renders validity 0', () => {
    const never = MaterialExpiration.never();
    expect([never.validityDays, never.expirationModel, never.expires]).toEqual([0, 'KEY_MATERIAL_DOES_NOT_EXPIRE', false]);
  });

  test('MaterialExpiration.afterDays(n) expires after n days', () => {
    const days = MaterialExpiration.afterDays(90);
    expect([days.validityDays, days.expirationModel, days.expires]).toEqual([90, 'KEY_MATERIAL_EXPIRES', true]);
  });

  test('the wrapping enums carry the KMS names', () => {
    expect(Object.values(WrappingAlgorithm)).toEqual(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256']);
    expect(Object.values(WrappingKeySpec)).toEqual(['RSA_4096', 'RSA_3072', 'RSA_2048']);
  });
});

describe('warnings for legal but risky settings', () => {
  test('RSA_AES_KEY_WRAP_SHA_256 warns that AWS does not confirm it for symmetric material', () => {
    const { stack } = stackWithKey({ wrappingAlgorithm: WrappingAlgorithm.RSA_AES_KEY_WRAP_SHA_256 });
    Annotations.fromStack(stack).hasWarning('/TestStack/TelemetryKey', Match.stringLikeRegexp('not confirmed'));
  });

  test('a pending window without DESTROY warns that it is unused', () => {
    const { stack } = stackWithKey({ pendingWindow: Duration.days(10) });
    Annotations.fromStack(stack).hasWarning('/TestStack/TelemetryKey', Match.stringLikeRegexp('pendingWindow is used only with removalPolicy DESTROY'));
  });
});
