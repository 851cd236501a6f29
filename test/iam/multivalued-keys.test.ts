import { conditionHolds } from './test-helpers';

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
// aws:TagKeys is the page's multivalued key: the tag keys of a tagging request.

describe('ForAllValues', () => {
  const onlyAllowedKeys = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };

  test('true when every request value matches one of the policy values', () => {
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': ['environment'] })).toBe(true);
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': ['environment', 'cost-center'] })).toBe(true);
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': 'cost-center' })).toBe(true);
  });

  test('false when one request value matches none', () => {
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': ['environment', 'owner'] })).toBe(false);
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': ['Environment'] })).toBe(false);
  });

  // The page's caveat: ForAllValues "also returns true if there are no context keys in the request".
  test('true when the key is absent or has no values', () => {
    expect(conditionHolds(onlyAllowedKeys, {})).toBe(true);
    expect(conditionHolds(onlyAllowedKeys, { 'aws:TagKeys': [] })).toBe(true);
  });

  test('a Null check alongside rejects the empty request, as the page recommends', () => {
    const withNull = { ...onlyAllowedKeys, Null: { 'aws:TagKeys': 'false' } };
    expect(conditionHolds(withNull, {})).toBe(false);
    expect(conditionHolds(withNull, { 'aws:TagKeys': ['environment'] })).toBe(true);
  });

  test('with StringLike, each value needs a matching pattern', () => {
    const like = { 'ForAllValues:StringLike': { 'aws:TagKeys': ['key1*'] } };
    expect(conditionHolds(like, { 'aws:TagKeys': ['key1', 'key1a'] })).toBe(true);
    expect(conditionHolds(like, { 'aws:TagKeys': ['key1', 'key2'] })).toBe(false);
  });

  test('negated: true when no request value matches any policy value', () => {
    const noneOf = { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['owner', 'secret'] } };
    expect(conditionHolds(noneOf, { 'aws:TagKeys': ['environment', 'cost-center'] })).toBe(true);
    expect(conditionHolds(noneOf, { 'aws:TagKeys': ['environment', 'owner'] })).toBe(false);
    expect(conditionHolds(noneOf, {})).toBe(true);
  });
});

describe('ForAnyValue', () => {
  const anyAllowedKey = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };

  test('true when at least one request value matches one of the policy values', () => {
    expect(conditionHolds(anyAllowedKey, { 'aws:TagKeys': ['environment'] })).toBe(true);
    expect(conditionHolds(anyAllowedKey, { 'aws:TagKeys': ['owner', 'cost-center'] })).toBe(true);
  });

  test('false when no request value matches', () => {
    expect(conditionHolds(anyAllowedKey, { 'aws:TagKeys': ['owner', 'project'] })).toBe(false);
  });

  // The page's caveat: with no key in the request, ForAnyValue returns false.
  test('false when the key is absent or has no values, negated operator included', () => {
    expect(conditionHolds(anyAllowedKey, {})).toBe(false);
    expect(conditionHolds(anyAllowedKey, { 'aws:TagKeys': [] })).toBe(false);
    expect(conditionHolds({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': 'owner' } }, {})).toBe(false);
  });

  test('negated: true when at least one request value matches none of the policy values', () => {
    const someOther = { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['environment', 'cost-center'] } };
    expect(conditionHolds(someOther, { 'aws:TagKeys': ['environment', 'owner'] })).toBe(true);
    expect(conditionHolds(someOther, { 'aws:TagKeys': ['environment', 'cost-center'] })).toBe(false);
  });

  test('IfExists on a set operator: a missing key satisfies the condition', () => {
    expect(conditionHolds({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'environment' } }, {})).toBe(true);
    expect(conditionHolds({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'environment' } }, { 'aws:TagKeys': ['owner'] })).toBe(false);
  });
});

// IAM expects a set operator on a multivalued key; without one this evaluator takes
// "any request value matches" for positive operators and "no request value matches" for negated ones.
describe('an operator without a set prefix on a multivalued key', () => {
  test('positive operator: any value matches', () => {
    expect(conditionHolds({ StringEquals: { 'aws:TagKeys': 'environment' } }, { 'aws:TagKeys': ['owner', 'environment'] })).toBe(true);
    expect(conditionHolds({ StringEquals: { 'aws:TagKeys': 'environment' } }, { 'aws:TagKeys': ['owner', 'project'] })).toBe(false);
  });

  test('negated operator: no value matches', () => {
    expect(conditionHolds({ StringNotEquals: { 'aws:TagKeys': 'environment' } }, { 'aws:TagKeys': ['owner', 'environment'] })).toBe(false);
    expect(conditionHolds({ StringNotEquals: { 'aws:TagKeys': 'environment' } }, { 'aws:TagKeys': ['owner', 'project'] })).toBe(true);
  });
});
