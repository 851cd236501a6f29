import { accessKeyIdOf, PrincipalRegistry } from './identity';

test('the access key id is read from the SigV4 credential scope', () => {
  const header = 'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE123/20260101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc';
  expect(accessKeyIdOf(header)).toBe('AKIAEXAMPLE123');
  expect(accessKeyIdOf('Bearer x')).toBeUndefined();
  expect(accessKeyIdOf(undefined)).toBeUndefined();
});

test('principals: account from the ARN; unknown or missing credentials are refused', () => {
  const registry = new PrincipalRegistry([{ accessKeyId: 'AKIA1', arn: 'arn:aws:iam::123456789012:role/R', policies: [] }]);
  expect(registry.identify('AWS4-HMAC-SHA256 Credential=AKIA1/20260101/us-east-1/kms/aws4_request')).toMatchObject({ account: '123456789012' });
  expect(() => registry.identify('AWS4-HMAC-SHA256 Credential=AKIA2/20260101/us-east-1/kms/aws4_request')).toThrow(expect.objectContaining({ code: 'UnrecognizedClientException' }));
  expect(() => registry.identify(undefined)).toThrow(expect.objectContaining({ code: 'MissingAuthenticationTokenException' }));
  expect(() => registry.set({ accessKeyId: 'AKIA3', arn: 'role/NoAccount', policies: [] })).toThrow('12-digit account');
});
