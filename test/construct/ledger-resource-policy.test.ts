/**
 * The ledger table's resource-based policy as synthesized: one Deny of every
 * item write to every principal but the two function roles, no Allow, nothing
 * that would refuse CloudFormation's own updates of the table, and no
 * dependency cycle between the table and the roles it names.
 */
import { stackWithKey } from './helpers';
import { functionRoles, ledgerResourcePolicy, ledgerTableArn, roleArnOf, TEST_ACCOUNT } from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';
import { evaluateResourcePolicy, type PolicyDocument } from '../iam';

/** The item writes of the Service Authorization Reference (TransactWriteItems and the PartiQL operations are authorized as these). */
const ITEM_WRITES = [
  'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete', 'dynamodb:WriteDataForReplication',
];

function synthesized() {
  const setup = stackWithKey({ groupId: 'telemetry-group' });
  const template = setup.template().toJSON();
  const policy = ledgerResourcePolicy(template) as unknown as PolicyDocument;
  return { ...setup, template, policy };
}

const ask = (principalArn: string, action: string, resource: string) => ({
  principalArn, principalAccount: TEST_ACCOUNT, action, resource, context: { 'aws:PrincipalArn': principalArn },
});

describe('the ledger table\'s resource policy', () => {
  test('is one statement: Deny every item write, to every principal, unless it is one of the two function roles', () => {
    const { template, policy } = synthesized();
    const roles = functionRoles(template);
    expect(policy.Statement).toEqual([{
      Sid: 'DenyLedgerWritesButTheFunctions',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ITEM_WRITES,
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': [roleArnOf(roles.lifecycle), roleArnOf(roles.rotation)] } },
    }]);
  });

  test('denies each item write to any other principal (on the table and its indexes), to neither function role', () => {
    const { template, policy } = synthesized();
    const roles = functionRoles(template);
    const table = ledgerTableArn(template);
    const others = [roleArnOf(roles.scheduler), `arn:aws:iam::${TEST_ACCOUNT}:role/Administrator`, `arn:aws:iam::${TEST_ACCOUNT}:user/ops`];
    for (const action of ITEM_WRITES) {
      for (const resource of [table, `${table}/index/any`]) {
        for (const other of others) expect([other, action, evaluateResourcePolicy(policy, ask(other, action, resource)).decision]).toEqual([other, action, 'ExplicitDeny']);
        for (const role of [roles.lifecycle, roles.rotation]) {
          expect([role, action, evaluateResourcePolicy(policy, ask(roleArnOf(role), action, resource)).decision]).toEqual([role, action, 'ImplicitDeny']);
        }
      }
    }
  });

  test('grants nothing and refuses no read or admin action: CloudFormation\'s updates and everyone\'s reads are left to IAM', () => {
    const { template, policy } = synthesized();
    expect((policy.Statement as any[]).filter((s) => s.Effect !== 'Deny')).toEqual([]);
    const deployer = `arn:aws:iam::${TEST_ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${TEST_ACCOUNT}-us-east-1`;
    const notDenied = [
      'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable',
      'dynamodb:UpdateContinuousBackups', 'dynamodb:TagResource', 'dynamodb:PutResourcePolicy', 'dynamodb:DeleteResourcePolicy',
      'dynamodb:GetResourcePolicy', 'dynamodb:RestoreTableToPointInTime',
    ];
    const decisions = notDenied.map((action) => [action, evaluateResourcePolicy(policy, ask(deployer, action, ledgerTableArn(template))).decision]);
    expect(decisions).toEqual(notDenied.map((action) => [action, 'ImplicitDeny']));
  });

  test('one statement per stack, whatever the number of key groups (they share the functions)', () => {
    const { stack, template } = stackWithKey({ groupId: 'telemetry-group' });
    new RotatingImportedKey(stack, 'SecondKey', { aliasName: 'alias/second', rotationInterval: RotationInterval.months(3) });
    const json = template().toJSON();
    const roles = functionRoles(json);
    const statements = (ledgerResourcePolicy(json) as unknown as PolicyDocument).Statement as any[];
    expect(statements.map((s) => [s.Sid, s.Condition.ArnNotEquals['aws:PrincipalArn']]))
      .toEqual([['DenyLedgerWritesButTheFunctions', [roleArnOf(roles.lifecycle), roleArnOf(roles.rotation)]]]);
  });

  test('the table and the roles it names form no dependency cycle', () => {
    const { template } = synthesized();
    expect(cycleIn(template)).toEqual([]);
    // The search finds the cycle the table would make with a role whose own properties named the table.
    const role = functionRoles(template).rotation;
    const table = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::DynamoDB::GlobalTable')!;
    const cyclic = { Resources: { ...template.Resources, [role]: { ...template.Resources[role], DependsOn: [table] } } };
    expect(cycleIn(cyclic)).toEqual(expect.arrayContaining([role, table]));
  });
});

/** References of a resource: Ref, Fn::GetAtt, ${Sub} variables and DependsOn. */
function referencesOf(value: unknown, ids: Set<string>, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => referencesOf(v, ids, found));
    return found;
  }
  if (typeof value !== 'object' || value === null) return found;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'Ref' && typeof v === 'string' && ids.has(v)) {
      found.add(v);
    } else if (k === 'Fn::GetAtt') {
      found.add(Array.isArray(v) ? v[0] : String(v).split('.')[0]);
    } else if (k === 'Fn::Sub') {
      const text = Array.isArray(v) ? v[0] : v;
      for (const m of String(text).matchAll(/\$\{([^}!.]+)[^}]*\}/g)) {
        if (ids.has(m[1])) found.add(m[1]);
      }
      if (Array.isArray(v)) referencesOf(v[1], ids, found);
    } else {
      referencesOf(v, ids, found);
    }
  }
  return found;
}

/** A cycle of the template's dependency graph (logical ids), or [] when it has none. */
function cycleIn(template: Record<string, any>): string[] {
  const resources: Record<string, any> = template.Resources;
  const ids = new Set(Object.keys(resources));
  const edges = new Map([...ids].map((id) => {
    const r = resources[id];
    const deps = referencesOf({ p: r.Properties, c: r.Condition }, ids);
    for (const d of [r.DependsOn ?? []].flat()) deps.add(d);
    return [id, [...deps].filter((d) => ids.has(d))];
  }));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] => {
    if (state.get(id) === 'done') return [];
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const d of edges.get(id)!) {
      const cycle = visit(d);
      if (cycle.length) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return [];
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle.length) return cycle;
  }
  return [];
}
