/**
 * The `adopt` prop: without it the template is as it was; with it the custom
 * resource gets the Adopt property, and each function role one statement on
 * the key the alias points at (kms:ResourceAliases), and nothing on any
 * key's policy beyond what fencing needs. Bad combinations fail at synth,
 * naming the props.
 */
import { isDeepStrictEqual } from 'node:util';
import { App, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { roleStatements, Statement } from './helpers';
import { customResourceProperties, TEST_ACCOUNT, TEST_REGION } from './synthesized-policies';
import { AdoptExisting, RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

function synth(extra: Partial<RotatingImportedKeyProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
  new RotatingImportedKey(stack, 'Key', { aliasName: 'alias/telemetry', groupId: 'telemetry-group', rotationInterval: RotationInterval.months(6), ...extra });
  return { app, stack, template: Template.fromStack(stack) };
}

const onAliasTarget = (s: Statement) => s.Condition?.['ForAnyValue:StringEquals']?.['kms:ResourceAliases'] !== undefined;
const actionsOf = (s: Statement) => [s.Action].flat();

/** What every group's roles may do on the key its alias points at, adopt or not: a replacement's takeover (read it, move the alias off it). */
const TAKEOVER = {
  lifecycle: { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`, Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/telemetry'] } } },
  rotation: { Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:UpdateAlias'], Resource: `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`, Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/telemetry'] } } },
};
const notTakeover = (role: 'lifecycle' | 'rotation') => (s: Statement) => !isDeepStrictEqual(s, TAKEOVER[role]);

describe('adopt', () => {
  test('AdoptExisting.alias() defaults to no fence', () => {
    expect(AdoptExisting.alias().fence).toBe(false);
    expect(AdoptExisting.alias({ fence: true }).fence).toBe(true);
  });

  test('without adopt: no Adopt property, no statement on the alias target but the takeover\'s, PutKeyPolicy without the adopted-key exception', () => {
    const { template } = synth();
    expect(customResourceProperties(template.toJSON())).not.toHaveProperty('Adopt');
    for (const role of ['lifecycle', 'rotation'] as const) {
      const statements = roleStatements(template, role);
      expect(statements.filter(onAliasTarget)).toEqual([TAKEOVER[role]]);
      expect(JSON.stringify(statements)).not.toContain('rotation:adopted');
    }
  });

  test('with adopt: the Adopt property; the functions may read (and the lifecycle function label) only the key the alias points at before it is tagged', () => {
    const { template } = synth({ adopt: AdoptExisting.alias() });
    expect(customResourceProperties(template.toJSON()).Adopt).toBe('{"fence":false}');
    const keys = `arn:aws:kms:${TEST_REGION}:${TEST_ACCOUNT}:key/*`;
    const alias = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/telemetry' } };
    // The one way a group tag goes on an existing key: the adopting group's own, on the key its alias names, never stage pending.
    const condition = {
      ...alias,
      // Never the stack tag: an adopted key was not made by this stack.
      'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['rotation:stack'] },
      'StringEqualsIfExists': { 'aws:RequestTag/rotation:group': 'telemetry-group' },
      'StringNotEquals': { 'aws:RequestTag/rotation:stage': 'pending' },
    };
    const lifecycle = roleStatements(template, 'lifecycle').filter(onAliasTarget).filter(notTakeover('lifecycle'));
    expect(lifecycle).toEqual([{ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource'], Resource: keys, Condition: condition }]);
    const rotation = roleStatements(template, 'rotation').filter(onAliasTarget).filter(notTakeover('rotation'));
    expect(rotation).toEqual([{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keys, Condition: condition }]);
    // Nothing on the adopted key's policy, state or deletion through the alias.
    for (const s of [...lifecycle, ...rotation]) {
      expect(actionsOf(s).filter((a) => /Policy|Disable|Delete|Schedule|Enable|\*/.test(a))).toEqual([]);
    }
  });

  test('without the fence, neither role may change the policy of the adopted (labelled no-fence) key; with it, PutKeyPolicy is as without adopt', () => {
    const putPolicy = (t: Template, role: 'lifecycle' | 'rotation') => roleStatements(t, role).filter((s) => actionsOf(s).includes('kms:PutKeyPolicy'));
    const unfenced = synth({ adopt: AdoptExisting.alias() }).template;
    const fenced = synth({ adopt: AdoptExisting.alias({ fence: true }) }).template;
    const plain = synth().template;
    for (const role of ['lifecycle', 'rotation'] as const) {
      expect(putPolicy(unfenced, role)).toHaveLength(1);
      expect(putPolicy(unfenced, role)[0].Condition).toMatchObject({ StringNotEquals: { 'aws:ResourceTag/rotation:adopted': 'no-fence' } });
      expect(putPolicy(fenced, role)).toEqual(putPolicy(plain, role));
    }
    expect(customResourceProperties(fenced.toJSON()).Adopt).toBe('{"fence":true}');
  });

  test('refused at synth: adopt with a token aliasName', () => {
    expect(() => synth({ adopt: AdoptExisting.alias(), aliasName: Lazy.string({ produce: () => 'alias/telemetry' }) }))
      .toThrow(/adopt: aliasName must be a literal string when adopting/);
  });

  test('refused at synth: adopt of an alias that a kms.Alias (or kms.Key alias) of the app declares, naming both', () => {
    const app = new App();
    const other = new Stack(app, 'Legacy', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
    new kms.Key(other, 'OldKey', { alias: 'alias/telemetry' });
    const stack = new Stack(app, 'Platform', { env: { account: TEST_ACCOUNT, region: TEST_REGION } });
    new RotatingImportedKey(stack, 'Key', { aliasName: 'alias/telemetry', rotationInterval: RotationInterval.months(6), adopt: AdoptExisting.alias() });
    expect(() => app.synth()).toThrow(/adopt: aliasName "alias\/telemetry" is also declared by Legacy\/OldKey\/Alias\/Resource \(an AWS::KMS::Alias\)/);
    // Another alias name is fine.
    const app2 = new App();
    new kms.Key(new Stack(app2, 'Legacy'), 'OldKey', { alias: 'alias/legacy' });
    new RotatingImportedKey(new Stack(app2, 'Platform'), 'Key', { aliasName: 'alias/telemetry', rotationInterval: RotationInterval.months(6), adopt: AdoptExisting.alias() });
    expect(() => app2.synth()).not.toThrow();
  });

  test('a warning with removalPolicy DESTROY: the adopted key is never deleted', () => {
    const { stack } = synth({ adopt: AdoptExisting.alias(), removalPolicy: RemovalPolicy.DESTROY });
    Annotations.fromStack(stack).hasWarning('/Platform/Key', Match.stringLikeRegexp('adopt: removalPolicy DESTROY schedules the deletion of the generations this library made, never of the adopted key'));
    const { stack: plain } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    expect(Annotations.fromStack(plain).findWarning('/Platform/Key', Match.stringLikeRegexp('adopt:'))).toEqual([]);
  });
});
