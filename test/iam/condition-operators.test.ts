import { evaluateIdentityPolicies } from './evaluate';
import { conditionHolds, policy, request } from './test-helpers';

// Examples from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// unless noted otherwise.

describe('string operators', () => {
  const jobCategory = { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } };

  test('StringEquals: exact, case-sensitive match of the value', () => {
    expect(conditionHolds(jobCategory, { 'aws:PrincipalTag/job-category': 'iamuser-admin' })).toBe(true);
    expect(conditionHolds(jobCategory, { 'aws:PrincipalTag/job-category': 'IAMUser-Admin' })).toBe(false);
    expect(conditionHolds(jobCategory, { 'aws:PrincipalTag/job-category': 'iamuser-admin2' })).toBe(false);
  });

  test('StringEquals does not treat * as a wildcard', () => {
    const literal = { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-*' } };
    expect(conditionHolds(literal, { 'aws:PrincipalTag/job-category': 'iamuser-admin' })).toBe(false);
    expect(conditionHolds(literal, { 'aws:PrincipalTag/job-category': 'iamuser-*' })).toBe(true);
  });

  test('condition key names are case-insensitive, the key of the request context too', () => {
    expect(conditionHolds({ StringEquals: { 'AWS:PrincipalTag/Job-Category': 'iamuser-admin' } }, { 'aws:principaltag/job-category': 'iamuser-admin' })).toBe(true);
  });

  test('StringEqualsIgnoreCase / StringNotEqualsIgnoreCase', () => {
    const ignoreCase = { StringEqualsIgnoreCase: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } };
    expect(conditionHolds(ignoreCase, { 'aws:PrincipalTag/job-category': 'IAMUser-Admin' })).toBe(true);
    expect(conditionHolds(ignoreCase, { 'aws:PrincipalTag/job-category': 'iamuser-reader' })).toBe(false);
    const notIgnoreCase = { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } };
    expect(conditionHolds(notIgnoreCase, { 'aws:PrincipalTag/job-category': 'IAMUser-Admin' })).toBe(false);
    expect(conditionHolds(notIgnoreCase, { 'aws:PrincipalTag/job-category': 'iamuser-reader' })).toBe(true);
  });

  test('StringNotEquals: true when the value differs', () => {
    const notEquals = { StringNotEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } };
    expect(conditionHolds(notEquals, { 'aws:PrincipalTag/job-category': 'iamuser-reader' })).toBe(true);
    expect(conditionHolds(notEquals, { 'aws:PrincipalTag/job-category': 'iamuser-admin' })).toBe(false);
  });

  // The page's StringLike example: "s3:prefix": ["", "home/", "home/${aws:username}/"].
  // Policy variables are not substituted by this evaluator, so ${aws:username} stays literal text.
  test('StringLike: values OR-ed, policy variables left literal', () => {
    const prefixes = { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/'] } };
    expect(conditionHolds(prefixes, { 's3:prefix': '' })).toBe(true);
    expect(conditionHolds(prefixes, { 's3:prefix': 'home/' })).toBe(true);
    expect(conditionHolds(prefixes, { 's3:prefix': 'home/${aws:username}/' })).toBe(true);
    expect(conditionHolds(prefixes, { 's3:prefix': 'home/johndoe/' })).toBe(false);
    expect(conditionHolds(prefixes, { 's3:prefix': 'photos/' })).toBe(false);
  });

  test('StringLike: * matches any run of characters, ? exactly one, case-sensitively', () => {
    const like = { StringLike: { 's3:prefix': 'home/*/photos/??.jpg' } };
    expect(conditionHolds(like, { 's3:prefix': 'home/johndoe/photos/01.jpg' })).toBe(true);
    expect(conditionHolds(like, { 's3:prefix': 'home/a/b/photos/01.jpg' })).toBe(true);
    expect(conditionHolds(like, { 's3:prefix': 'home//photos/ab.jpg' })).toBe(true);
    expect(conditionHolds(like, { 's3:prefix': 'home/johndoe/photos/1.jpg' })).toBe(false);
    expect(conditionHolds(like, { 's3:prefix': 'Home/johndoe/photos/01.jpg' })).toBe(false);
    // Regex metacharacters in the pattern are literal.
    expect(conditionHolds({ StringLike: { 's3:prefix': 'a.b(c)' } }, { 's3:prefix': 'aXb(c)' })).toBe(false);
  });

  test('StringNotLike: true when no policy pattern matches', () => {
    const notLike = { StringNotLike: { 's3:prefix': ['home/*', 'shared/*'] } };
    expect(conditionHolds(notLike, { 's3:prefix': 'private/x' })).toBe(true);
    expect(conditionHolds(notLike, { 's3:prefix': 'shared/x' })).toBe(false);
  });
});

describe('numeric operators', () => {
  // "NumericLessThanEquals": {"s3:max-keys": "10"}: numbers rendered as strings, as CloudFormation does.
  const maxKeys = { NumericLessThanEquals: { 's3:max-keys': '10' } };

  test('NumericLessThanEquals', () => {
    expect(conditionHolds(maxKeys, { 's3:max-keys': 10 })).toBe(true);
    expect(conditionHolds(maxKeys, { 's3:max-keys': '9' })).toBe(true);
    expect(conditionHolds(maxKeys, { 's3:max-keys': 11 })).toBe(false);
    expect(conditionHolds(maxKeys, {})).toBe(false);
    expect(conditionHolds(maxKeys, { 's3:max-keys': 'ten' })).toBe(false);
  });

  test.each([
    ['NumericEquals', [false, true, false]],
    ['NumericNotEquals', [true, false, true]],
    ['NumericLessThan', [true, false, false]],
    ['NumericLessThanEquals', [true, true, false]],
    ['NumericGreaterThan', [false, false, true]],
    ['NumericGreaterThanEquals', [false, true, true]],
  ])('%s 10 against 9, 10, 11', (operator, expected) => {
    const condition = { [operator]: { 's3:max-keys': 10 } };
    expect([9, 10, 11].map((n) => conditionHolds(condition, { 's3:max-keys': n }))).toEqual(expected);
  });

  test('numbers compare by value, not text', () => {
    expect(conditionHolds({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10.0' })).toBe(true);
    expect(conditionHolds({ NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '9' })).toBe(true);
  });

  test('a policy value that is not a number is a malformed policy', () => {
    expect(() => conditionHolds({ NumericEquals: { 's3:max-keys': 'ten' } }, { 's3:max-keys': 10 })).toThrow(/not a number/);
  });
});

describe('date operators', () => {
  // "DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}
  const issuedAfter = { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } };

  test('DateGreaterThan with ISO 8601 dates', () => {
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': '2020-01-01T00:00:02Z' })).toBe(true);
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' })).toBe(false);
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': '2019-12-31T23:59:59Z' })).toBe(false);
    // The same instant in another offset.
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': '2020-01-01T01:00:02+01:00' })).toBe(true);
  });

  test('epoch seconds on either side', () => {
    // 1577836801 = 2020-01-01T00:00:01Z
    expect(conditionHolds({ DateEquals: { 'aws:CurrentTime': 1577836801 } }, { 'aws:CurrentTime': '2020-01-01T00:00:01Z' })).toBe(true);
    expect(conditionHolds({ DateEquals: { 'aws:CurrentTime': '1577836801' } }, { 'aws:CurrentTime': '2020-01-01T00:00:02Z' })).toBe(false);
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': 1577836802 })).toBe(true);
    expect(conditionHolds(issuedAfter, { 'aws:TokenIssueTime': '1577836801' })).toBe(false);
  });

  test.each([
    ['DateEquals', [false, true, false]],
    ['DateNotEquals', [true, false, true]],
    ['DateLessThan', [true, false, false]],
    ['DateLessThanEquals', [true, true, false]],
    ['DateGreaterThan', [false, false, true]],
    ['DateGreaterThanEquals', [false, true, true]],
  ])('%s 2024-06-01 against the day before, the day, the day after', (operator, expected) => {
    const condition = { [operator]: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } };
    const days = ['2024-05-31T00:00:00Z', '2024-06-01T00:00:00Z', '2024-06-02T00:00:00Z'];
    expect(days.map((d) => conditionHolds(condition, { 'aws:CurrentTime': d }))).toEqual(expected);
  });

  test('a policy value that is not a date is a malformed policy', () => {
    expect(() => conditionHolds({ DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }, {})).toThrow(/not a date/);
    // IAM takes W3C ISO 8601 dates or epoch seconds, not what JavaScript's Date.parse would also accept.
    expect(() => conditionHolds({ DateLessThan: { 'aws:CurrentTime': 'June 1, 2024' } }, {})).toThrow(/not a date/);
  });
});

describe('Bool', () => {
  // Deny when "Bool": {"aws:SecureTransport": "false"}
  const insecure = { Bool: { 'aws:SecureTransport': 'false' } };

  test("'false' matches a request without TLS, not one with TLS", () => {
    expect(conditionHolds(insecure, { 'aws:SecureTransport': false })).toBe(true);
    expect(conditionHolds(insecure, { 'aws:SecureTransport': 'false' })).toBe(true);
    expect(conditionHolds(insecure, { 'aws:SecureTransport': true })).toBe(false);
    // A request value that is not a boolean matches neither 'true' nor 'false'.
    expect(conditionHolds(insecure, { 'aws:SecureTransport': 'no' })).toBe(false);
    expect(conditionHolds(insecure, { 'aws:SecureTransport': 0 })).toBe(false);
  });

  test('a missing key does not match (hence BoolIfExists in policies that must tolerate it)', () => {
    expect(conditionHolds(insecure, {})).toBe(false);
    expect(conditionHolds({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, {})).toBe(true);
    expect(conditionHolds({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, { 'aws:MultiFactorAuthPresent': false })).toBe(false);
  });

  test('policy booleans may be JSON booleans or any-case strings', () => {
    expect(conditionHolds({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'true' })).toBe(true);
    expect(conditionHolds({ Bool: { 'aws:SecureTransport': 'TRUE' } }, { 'aws:SecureTransport': true })).toBe(true);
    expect(() => conditionHolds({ Bool: { 'aws:SecureTransport': 'yes' } }, {})).toThrow(/'true' or 'false'/);
  });
});

describe('BinaryEquals', () => {
  // "BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}
  test('compares base64 values', () => {
    const binary = { BinaryEquals: { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } };
    expect(conditionHolds(binary, { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' })).toBe(true);
    expect(conditionHolds(binary, { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NQ==' })).toBe(false);
    // Base64 is case-sensitive: this is a different byte string.
    expect(conditionHolds(binary, { key: 'qmluyxj5vmfsdwvjbkjhc2u2na==' })).toBe(false);
  });
});

describe('ARN operators', () => {
  // "ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}
  const topic = 'arn:aws:sns:us-east-1:123456789012:TOPIC-ID';

  test('ArnEquals', () => {
    expect(conditionHolds({ ArnEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': topic })).toBe(true);
    expect(conditionHolds({ ArnEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': topic.replace('TOPIC', 'topic') })).toBe(false);
  });

  test('ArnLike: each of the six colon-delimited components is matched separately', () => {
    const like = { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:*' } };
    expect(conditionHolds(like, { 'aws:SourceArn': topic })).toBe(true);
    expect(conditionHolds(like, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:999999999999:TOPIC-ID' })).toBe(false);
    // A * in the region component cannot swallow the account component.
    expect(conditionHolds(like, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:999999999999:123456789012:x' })).toBe(false);
    expect(conditionHolds({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:TOPIC-ID' } }, { 'aws:SourceArn': topic })).toBe(false);
    // The resource component keeps its own colons.
    expect(conditionHolds({ ArnLike: { 'aws:SourceArn': 'arn:aws:logs:*:123456789012:log-group:/aws/*' } }, {
      'aws:SourceArn': 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*',
    })).toBe(true);
  });

  test('a pattern that is not an ARN is matched against the whole value', () => {
    expect(conditionHolds({ ArnLike: { 'aws:SourceArn': '*' } }, { 'aws:SourceArn': topic })).toBe(true);
    expect(conditionHolds({ ArnLike: { 'aws:SourceArn': '*:999999999999:*' } }, { 'aws:SourceArn': topic })).toBe(false);
  });

  test('ArnNotEquals / ArnNotLike', () => {
    expect(conditionHolds({ ArnNotEquals: { 'aws:SourceArn': topic } }, { 'aws:SourceArn': topic })).toBe(false);
    expect(conditionHolds({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:*' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:999999999999:t' })).toBe(true);
  });
});

describe('...IfExists', () => {
  // The ec2:InstanceType example: without IfExists the statement fails for every
  // action whose request has no ec2:InstanceType key ("THISPOLICYDOESNOTWORK").
  const doesNotWork = { StringLike: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } };
  const works = { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } };

  test('without IfExists, a request without the key does not match', () => {
    expect(conditionHolds(doesNotWork, {})).toBe(false);
    expect(conditionHolds(doesNotWork, { 'ec2:InstanceType': 't2.micro' })).toBe(true);
  });

  test('with IfExists, a missing key satisfies the condition; a present key is still checked', () => {
    expect(conditionHolds(works, {})).toBe(true);
    expect(conditionHolds(works, { 'ec2:InstanceType': 't2.micro' })).toBe(true);
    expect(conditionHolds(works, { 'ec2:InstanceType': 'c5.large' })).toBe(false);
  });

  test('IfExists works with every operator family', () => {
    expect(conditionHolds({ NumericLessThanIfExists: { 's3:max-keys': 10 } }, {})).toBe(true);
    expect(conditionHolds({ NumericLessThanIfExists: { 's3:max-keys': 10 } }, { 's3:max-keys': 11 })).toBe(false);
    expect(conditionHolds({ StringNotEqualsIfExists: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT' } }, { 'kms:KeySpec': 'SYMMETRIC_DEFAULT' })).toBe(false);
  });
});

describe('Null', () => {
  // "Null": {"aws:TokenIssueTime": "true"}: the key is absent (long-term credentials).
  test("'true' holds when the key is absent, 'false' when it is present", () => {
    expect(conditionHolds({ Null: { 'aws:TokenIssueTime': 'true' } }, {})).toBe(true);
    expect(conditionHolds({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' })).toBe(false);
    expect(conditionHolds({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' })).toBe(true);
    expect(conditionHolds({ Null: { 'aws:TokenIssueTime': false } }, {})).toBe(false);
  });

  test('an explicitly undefined or empty multivalued key counts as absent', () => {
    expect(conditionHolds({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': undefined })).toBe(true);
    expect(conditionHolds({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] })).toBe(true);
    expect(conditionHolds({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': ['a'] })).toBe(false);
  });
});

// The page's "Important" note: a missing key makes the condition false, except that a
// negated operator (StringNotLike, ArnNotLike...) is true, and ...IfExists and Null test presence.
describe('a key missing from the request context', () => {
  test.each([
    ['StringEquals', false],
    ['StringLike', false],
    ['NumericEquals', false],
    ['DateEquals', false],
    ['Bool', false],
    ['ArnLike', false],
    ['StringNotEquals', true],
    ['StringNotEqualsIgnoreCase', true],
    ['StringNotLike', true],
    ['NumericNotEquals', true],
    ['DateNotEquals', true],
    ['ArnNotEquals', true],
    ['ArnNotLike', true],
  ])('%s: %s', (operator, expected) => {
    const value = operator.startsWith('Date') ? '2020-01-01T00:00:00Z' : operator === 'Bool' ? 'true' : '1';
    expect(conditionHolds({ [operator]: { 'aws:PrincipalTag/team': value } }, { 'aws:PrincipalTag/other': value })).toBe(expected);
  });
});

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
describe('multiple operators, keys and values', () => {
  test('operators are AND-ed', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/team': 'rotation' }, Bool: { 'aws:SecureTransport': 'true' } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'rotation', 'aws:SecureTransport': true })).toBe(true);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'rotation', 'aws:SecureTransport': false })).toBe(false);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'other', 'aws:SecureTransport': true })).toBe(false);
  });

  test('keys within an operator are AND-ed', () => {
    const condition = { StringEquals: { 'aws:PrincipalTag/team': 'rotation', 'aws:PrincipalTag/stage': 'prod' } };
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'rotation', 'aws:PrincipalTag/stage': 'prod' })).toBe(true);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'rotation', 'aws:PrincipalTag/stage': 'dev' })).toBe(false);
    expect(conditionHolds(condition, { 'aws:PrincipalTag/team': 'rotation' })).toBe(false);
  });

  test('values of a key are OR-ed, and NOR-ed for a negated operator', () => {
    expect(conditionHolds({ StringEquals: { 'aws:PrincipalTag/team': ['dev', 'qa'] } }, { 'aws:PrincipalTag/team': 'qa' })).toBe(true);
    expect(conditionHolds({ StringEquals: { 'aws:PrincipalTag/team': ['dev', 'qa'] } }, { 'aws:PrincipalTag/team': 'ops' })).toBe(false);
    expect(conditionHolds({ StringNotEquals: { 'aws:PrincipalTag/team': ['dev', 'qa'] } }, { 'aws:PrincipalTag/team': 'qa' })).toBe(false);
    expect(conditionHolds({ StringNotEquals: { 'aws:PrincipalTag/team': ['dev', 'qa'] } }, { 'aws:PrincipalTag/team': 'ops' })).toBe(true);
  });

  test('an empty Condition block holds', () => {
    expect(conditionHolds({}, {})).toBe(true);
  });
});

describe('operators and values the evaluator cannot understand fail loudly', () => {
  test.each([
    ['StringEqualz'],
    ['stringequals'],
    ['IpAddress'],
    ['NotIpAddress'],
    ['ForSomeValues:StringEquals'],
    ['ForAnyValue:Null'],
    ['NullIfExists'],
  ])('%s', (operator) => {
    expect(() => conditionHolds({ [operator]: { 'aws:PrincipalTag/team': 'x' } }, {})).toThrow(operator);
  });

  test('an unknown operator throws even with an empty block', () => {
    expect(() => conditionHolds({ StringEqualz: {} }, {})).toThrow('Unsupported condition operator: StringEqualz');
  });

  test('an unknown operator throws even in a statement whose action does not match the request', () => {
    const policies = [
      policy({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }),
      policy({ Sid: 'Other', Effect: 'Deny', Action: 'iam:PassRole', Resource: '*', Condition: { StringEqualz: { 'aws:PrincipalTag/team': 'x' } } }),
    ];
    expect(() => evaluateIdentityPolicies(policies, request())).toThrow("Statement 'Other': Unsupported condition operator: StringEqualz");
  });

  test('values that are not strings, numbers or booleans', () => {
    expect(() => conditionHolds({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }, {})).toThrow(/values must be strings/);
    expect(() => conditionHolds({ StringEquals: { 'aws:SourceAccount': [] } }, {})).toThrow(/values must be strings/);
    expect(() => conditionHolds({ StringEquals: 'aws:SourceAccount' } as never, {})).toThrow(/must map condition keys/);
  });
});
