import fc from 'fast-check';
import { evaluateIdentityPolicies } from './evaluate';
import { authorizeKms } from './kms-authorize';
import { statementsOf } from './statement';
import { ACCOUNT, conditionHolds, KEY_ARN, policy, request, ROLE_ARN } from './test-helpers';
import type { PolicyDocument, PolicyStatement } from './types';

const ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:CreateAlias', 'kms:ScheduleKeyDeletion', 'tag:GetResources'];
const ACTION_PATTERNS = [...ACTIONS, 'kms:*', '*', 'kms:GenerateDataKey*', 'kms:*Alias', 'kms:?ecrypt', 'tag:*'];
const RESOURCE_PATTERNS = ['*', KEY_ARN, 'arn:aws:kms:*:111122223333:key/*', 'arn:aws:kms:*:444455556666:key/*'];
const CONDITIONS: PolicyStatement['Condition'][] = [
  undefined,
  { StringEquals: { 'aws:ResourceTag/rotation:group': 'g1' } },
  { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/app' } },
  { BoolIfExists: { 'kms:BypassPolicyLockoutSafetyCheck': 'false' } },
  { StringNotEquals: { 'aws:ResourceTag/rotation:group': 'g2' } },
];

const statementArb = (effect: 'Allow' | 'Deny'): fc.Arbitrary<PolicyStatement> =>
  fc.record({
    Effect: fc.constant(effect),
    Action: fc.subarray(ACTION_PATTERNS, { minLength: 1 }),
    Resource: fc.subarray(RESOURCE_PATTERNS, { minLength: 1 }),
    Condition: fc.constantFrom(...CONDITIONS),
  }).map(({ Condition, ...s }) => (Condition === undefined ? s : { ...s, Condition }));

const requestArb = fc.record({
  action: fc.constantFrom(...ACTIONS),
  resource: fc.constantFrom('*', KEY_ARN),
  context: fc.record({
    'aws:ResourceTag/rotation:group': fc.constantFrom('g1', 'g2', undefined),
    'kms:ResourceAliases': fc.subarray(['alias/app', 'alias/app-gen-2', 'alias/other']),
    'kms:BypassPolicyLockoutSafetyCheck': fc.constantFrom(true, false, undefined),
  }),
}).map((r) => request(r));

const policiesArb = (effect: 'Allow' | 'Deny' | 'Any') =>
  fc.array(
    fc.array(effect === 'Any' ? fc.oneof(statementArb('Allow'), statementArb('Deny')) : statementArb(effect), { minLength: 1, maxLength: 4 }).map((s) => policy(...s)),
    { maxLength: 3 },
  );

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
describe('explicit deny', () => {
  test('a Deny matching the request, added anywhere to any policy set, yields ExplicitDeny', () => {
    fc.assert(fc.property(policiesArb('Any'), requestArb, fc.nat(), (policies, req, at) => {
      const deny: PolicyDocument = policy({ Sid: 'TheDeny', Effect: 'Deny', Action: req.action, Resource: '*' });
      const withDeny = [...policies.slice(0, at % (policies.length + 1)), deny, ...policies.slice(at % (policies.length + 1))];
      const result = evaluateIdentityPolicies(withDeny, req);
      expect(result.decision).toBe('ExplicitDeny');
      expect(result.matchedSids).toContain('TheDeny');
    }));
  });

  test('a Deny in the key policy refuses the request whatever the identity policies allow', () => {
    fc.assert(fc.property(policiesArb('Allow'), requestArb, (identityPolicies, req) => {
      const keyPolicy = policy(
        { Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: req.action, Resource: '*' },
      );
      expect(authorizeKms({ ...req, identityPolicies, keyPolicy }).allowed).toBe(false);
    }));
  });
});

describe('evaluation does not depend on statement order', () => {
  test('shuffling the statements leaves the decision unchanged', () => {
    const arb = policiesArb('Any').chain((policies) => {
      const statements = policies.flatMap(statementsOf);
      return fc.tuple(fc.constant(policies), fc.shuffledSubarray(statements, { minLength: statements.length }));
    });
    fc.assert(fc.property(arb, requestArb, ([policies, shuffled], req) => {
      expect(evaluateIdentityPolicies([policy(...shuffled)], req).decision).toBe(evaluateIdentityPolicies(policies, req).decision);
    }));
  });
});

describe('adding an Allow never takes access away', () => {
  test('an allowed KMS request stays allowed with one more identity-based Allow', () => {
    const keyPolicy = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' });
    fc.assert(fc.property(policiesArb('Any'), statementArb('Allow'), requestArb, (identityPolicies, extra, req) => {
      const before = authorizeKms({ ...req, identityPolicies, keyPolicy }).allowed;
      const after = authorizeKms({ ...req, identityPolicies: [...identityPolicies, policy(extra)], keyPolicy }).allowed;
      expect(before && !after).toBe(false);
    }));
  });
});

describe('action and resource matching', () => {
  const name = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,19}$/);
  const service = fc.stringMatching(/^[a-z][a-z0-9-]{1,9}$/);
  const allows = (action: string, requested: string) =>
    evaluateIdentityPolicies([policy({ Effect: 'Allow', Action: action, Resource: '*' })], request({ action: requested })).decision === 'Allow';

  test('actions match case-insensitively', () => {
    const arb = fc.tuple(service, name).chain(([s, n]) => fc.tuple(fc.constant(`${s}:${n}`), fc.mixedCase(fc.constant(`${s}:${n}`))));
    fc.assert(fc.property(arb, ([action, recased]) => {
      expect(allows(action, recased)).toBe(true);
      expect(allows(recased, action)).toBe(true);
    }));
  });

  test('an action differing in one letter (beyond case) does not match', () => {
    fc.assert(fc.property(service, name, fc.nat(), (s, n, i) => {
      const at = i % n.length;
      const replacement = n[at].toLowerCase() === 'x' ? 'y' : 'x';
      expect(allows(`${s}:${n}`, `${s}:${n.slice(0, at)}${replacement}${n.slice(at + 1)}`)).toBe(false);
    }));
  });

  const arnChars = fc.constantFrom(...'abcdefXYZ0123456789-/:._'.split(''));
  const keyPath = fc.tuple(fc.string({ unit: arnChars, maxLength: 30 }), fc.constantFrom('a', 'f', 'X', 'Z')).map(([s, letter]) => `${s}${letter}`);
  const keyArn = (path: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${path}`;
  const resourceValue = keyPath.map(keyArn);
  const resourceAllowed = (pattern: string, resource: string) =>
    evaluateIdentityPolicies([policy({ Effect: 'Allow', Action: '*', Resource: pattern })], request({ resource })).decision === 'Allow';

  test('replacing any substring with * or any character with ? still matches the resource', () => {
    fc.assert(fc.property(resourceValue, fc.nat(), fc.nat(), (resource, a, b) => {
      const [from, to] = [a % (resource.length + 1), b % (resource.length + 1)].sort((x, y) => x - y);
      expect(resourceAllowed(`${resource.slice(0, from)}*${resource.slice(to)}`, resource)).toBe(true);
      const at = a % resource.length;
      expect(resourceAllowed(`${resource.slice(0, at)}?${resource.slice(at + 1)}`, resource)).toBe(true);
    }));
  });

  test('resources match case-sensitively', () => {
    const swapCase = (s: string) => s.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
    fc.assert(fc.property(keyPath, (path) => {
      expect(resourceAllowed(keyArn(path), keyArn(path))).toBe(true);
      expect(resourceAllowed(keyArn(swapCase(path)), keyArn(path))).toBe(false);
    }));
  });
});

describe('condition operators', () => {
  const word = fc.constantFrom('a', 'b', 'c', 'A', 'a*', 'b?');

  test('a negated operator holds exactly when its positive operator does not, for a present single value', () => {
    const pairs = [['StringEquals', 'StringNotEquals'], ['StringLike', 'StringNotLike'], ['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase']];
    fc.assert(fc.property(fc.constantFrom(...pairs), fc.array(word, { minLength: 1, maxLength: 3 }), word, ([pos, neg], values, value) => {
      const context = { 'aws:PrincipalTag/team': value };
      expect(conditionHolds({ [neg]: { 'aws:PrincipalTag/team': values } }, context)).toBe(
        !conditionHolds({ [pos]: { 'aws:PrincipalTag/team': values } }, context));
    }));
  });

  test('ForAnyValue / ForAllValues StringEquals are set intersection / inclusion', () => {
    const tags = fc.subarray(['environment', 'cost-center', 'owner', 'project']);
    fc.assert(fc.property(tags.filter((t) => t.length > 0), tags, (policyValues, requestValues) => {
      const context = { 'aws:TagKeys': requestValues };
      expect(conditionHolds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': policyValues } }, context)).toBe(
        requestValues.some((v) => policyValues.includes(v)));
      expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': policyValues } }, context)).toBe(
        requestValues.every((v) => policyValues.includes(v)));
    }));
  });

  test('numeric operators agree with JavaScript comparison of the numbers, whatever their rendering', () => {
    const ops: Record<string, (r: number, p: number) => boolean> = {
      NumericEquals: (r, p) => r === p,
      NumericLessThan: (r, p) => r < p,
      NumericGreaterThanEquals: (r, p) => r >= p,
    };
    fc.assert(fc.property(fc.constantFrom(...Object.keys(ops)), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.boolean(),
      (op, policyValue, requestValue, asString) => {
        const holds = conditionHolds({ [op]: { 'kms:ScheduleKeyDeletionPendingWindowInDays': asString ? String(policyValue) : policyValue } },
          { 'kms:ScheduleKeyDeletionPendingWindowInDays': requestValue });
        expect(holds).toBe(ops[op](requestValue, policyValue));
      }));
  });
});
