import { generateKeyPairSync } from 'node:crypto';
import { Duration, Lazy, RemovalPolicy, Stack, TimeZone, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BASE_PROPS, expiringProvidedMaterial, newStack } from './helpers';
import { MaterialEscrow, MaterialExpiration, RotatingImportedKey, RotatingImportedKeyProps, RotationInterval } from '../../lib';

const ESCROW_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();

function build(overrides: Partial<RotatingImportedKeyProps> | ((stack: Stack) => Partial<RotatingImportedKeyProps>)): () => RotatingImportedKey {
  return () => {
    const stack = newStack();
    return new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, ...(typeof overrides === 'function' ? overrides(stack) : overrides) });
  };
}

function denyStatement(principal: iam.IPrincipal, actions: string[], extra: Partial<iam.PolicyStatementProps> = {}): iam.PolicyStatement {
  return new iam.PolicyStatement({ effect: iam.Effect.DENY, principals: [principal], actions, resources: ['*'], ...extra });
}

const manyTags = Object.fromEntries(Array.from({ length: 36 }, (_, i) => [`tag${i}`, 'v']));

// [case, props, expected message (names the prop)]
const INVALID: Array<[string, Partial<RotatingImportedKeyProps>, RegExp]> = [
  ['alias without the alias/ prefix', { aliasName: 'telemetry' }, /aliasName must match .*received "telemetry"/],
  ['alias with a space', { aliasName: 'alias/tele metry' }, /aliasName must match .*received "alias\/tele metry"/],
  ['alias with a colon', { aliasName: 'alias/a:b' }, /aliasName must match/],
  ['alias with nothing after alias/', { aliasName: 'alias/' }, /aliasName must match/],
  ['alias reserved for AWS', { aliasName: 'alias/aws/s3' }, /aliasName must not start with 'alias\/aws\/'/],
  ['alias reserved for AWS, other case', { aliasName: 'alias/AWS/s3' }, /aliasName must not start with 'alias\/aws\/'/],
  ['alias longer than 256 characters', { aliasName: `alias/${'a'.repeat(251)}` }, /aliasName must be at most 256 characters; received 257/],
  ['alias in the generation alias space', { aliasName: 'alias/rotation/mine' }, /aliasName must not start with 'alias\/rotation\/'/],
  ['hour 24', { scheduleHour: 24 }, /scheduleHour must be a whole number from 0 to 23; received 24/],
  ['hour -1', { scheduleHour: -1 }, /scheduleHour must be a whole number from 0 to 23; received -1/],
  ['fractional hour', { scheduleHour: 2.5 }, /scheduleHour must be a whole number from 0 to 23; received 2.5/],
  ['minute 60', { scheduleMinute: 60 }, /scheduleMinute must be a whole number from 0 to 59; received 60/],
  ['fractional minute', { scheduleMinute: 0.5 }, /scheduleMinute must be a whole number from 0 to 59; received 0.5/],
  ['unknown time zone', { scheduleTimeZone: TimeZone.of('Mars/Olympus_Mons') }, /scheduleTimeZone must be an IANA time zone name .*received "Mars\/Olympus_Mons"/],
  ['time zone in the wrong case', { scheduleTimeZone: TimeZone.of('utc') }, /scheduleTimeZone must be an IANA time zone name .*received "utc"/],
  ['propagation window of 4 minutes', { propagationWindow: Duration.minutes(4) }, /propagationWindow must be whole minutes from 5 to 60; received 4 minutes/],
  ['propagation window of 61 minutes', { propagationWindow: Duration.minutes(61) }, /propagationWindow must be whole minutes from 5 to 60; received 1 hour 1 minute/],
  ['propagation window of 5.5 minutes', { propagationWindow: Duration.seconds(330) }, /propagationWindow must be whole minutes from 5 to 60; received 5 minutes 30 seconds/],
  ['propagation window of a day', { propagationWindow: Duration.days(1) }, /propagationWindow must be whole minutes from 5 to 60; received 1 day/],
  ['pending window of 6 days', { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(6) }, /pendingWindow must be whole days from 7 to 30; received 6 days/],
  ['pending window of 31 days', { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(31) }, /pendingWindow must be whole days from 7 to 30; received 31 days/],
  ['pending window of 7.5 days', { pendingWindow: Duration.hours(180) }, /pendingWindow must be whole days from 7 to 30; received 7 days 12 hours/],
  ['no emergency rotations', { maxEmergencyRotationsPerDay: 0 }, /maxEmergencyRotationsPerDay must be a whole number from 1 to 24; received 0/],
  ['25 emergency rotations a day', { maxEmergencyRotationsPerDay: 25 }, /maxEmergencyRotationsPerDay must be a whole number from 1 to 24; received 25/],
  ['fractional emergency rotations', { maxEmergencyRotationsPerDay: 1.5 }, /maxEmergencyRotationsPerDay must be a whole number from 1 to 24; received 1.5/],
  ['removal policy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy must be RemovalPolicy.RETAIN or RemovalPolicy.DESTROY; received "snapshot"/],
  ['removal policy RETAIN_ON_UPDATE_OR_DELETE', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }, /removalPolicy must be RemovalPolicy.RETAIN or RemovalPolicy.DESTROY/],
  ['group id with an underscore', { groupId: 'my_group' }, /groupId must be 1 to 64 characters of A-Z, a-z, 0-9 and '-'; received "my_group"/],
  ['empty group id', { groupId: '' }, /groupId must be 1 to 64 characters .*received ""/],
  ['group id of 65 characters', { groupId: 'g'.repeat(65) }, /groupId must be 1 to 64 characters/],
  ['group id from a token', { groupId: Lazy.string({ produce: () => 'later' }) }, /groupId must be a literal string/],
  ['tag key in the rotation namespace', { tags: { 'rotation:stage': 'x' } }, /tags: keys must not start with 'rotation:'.*received "rotation:stage"/],
  ['tag key in the aws namespace', { tags: { 'aws:cloudformation:stack-name': 'x' } }, /tags: keys must not start with .*'aws:'/],
  ['more than 35 tags', { tags: manyTags }, /tags must have at most 35 entries .*received 36/],
  ['tag key longer than 128 characters', { tags: { ['k'.repeat(129)]: 'v' } }, /tags: keys must be 1 to 128 characters/],
  ['empty tag key', { tags: { '': 'v' } }, /tags: keys must be 1 to 128 characters; received "" \(0 characters\)/],
  ['tag value longer than 256 characters', { tags: { team: 'v'.repeat(257) } }, /tags: values must be at most 256 characters; received 257 characters for key "team"/],
  ['tag key with a forbidden character', { tags: { 'team#1': 'v' } }, /tags: keys may contain only .*received "team#1"/],
  ['tag value with a forbidden character', { tags: { team: 'a*b' } }, /tags: values may contain only .*received "a\*b"/],
  ['description longer than 8192 characters', { description: 'd'.repeat(8193) }, /description must be at most 8192 characters; received 8193/],
  ['statement with a reserved Sid', {
    policyStatements: [new iam.PolicyStatement({ sid: 'RotationMine', principals: [new iam.AccountRootPrincipal()], actions: ['kms:Decrypt'], resources: ['*'] })],
  }, /policyStatements\[0\]: Sid must not start with 'Rotation'.*received "RotationMine"/],
  ['statement with the root statement Sid', {
    policyStatements: [new iam.PolicyStatement({ sid: 'EnableIamUserPermissions', principals: [new iam.AccountRootPrincipal()], actions: ['kms:*'], resources: ['*'] })],
  }, /policyStatements\[0\]: Sid must not .* be 'EnableIamUserPermissions'/],
  ['two statements with the same Sid', {
    policyStatements: [
      new iam.PolicyStatement({ sid: 'Audit', principals: [new iam.AccountRootPrincipal()], actions: ['kms:DescribeKey'], resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'Audit', principals: [new iam.AccountRootPrincipal()], actions: ['kms:GetKeyPolicy'], resources: ['*'] }),
    ],
  }, /policyStatements\[1\]: Sid must be unique among policyStatements; received "Audit" twice/],
  ['statement without a principal', {
    policyStatements: [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'] })],
  }, /policyStatements\[0\]: A PolicyStatement used in a resource-based policy must specify at least one IAM principal/],
  ['statement without a resource', {
    policyStatements: [new iam.PolicyStatement({ principals: [new iam.AccountRootPrincipal()], actions: ['kms:Decrypt'] })],
  }, /policyStatements\[0\]: A PolicyStatement used in a resource-based policy must specify at least one resource/],
  ['deny kms:* to the account root', {
    policyStatements: [denyStatement(new iam.AccountRootPrincipal(), ['kms:*'])],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy \(through "kms:\*"\) to the account root or a function role \(lifecycle or rotation\)/],
  ['deny kms:PutKeyPolicy to everyone', {
    policyStatements: [denyStatement(new iam.AnyPrincipal(), ['kms:PutKeyPolicy'])],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy/],
  ['deny kms:Put* to the account by id', {
    policyStatements: [denyStatement(new iam.AccountPrincipal('111122223333'), ['kms:Put*'])],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy \(through "kms:Put\*"\)/],
  ['deny * to a literal root ARN', {
    policyStatements: [denyStatement(new iam.ArnPrincipal('arn:aws:iam::111122223333:root'), ['*'])],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy/],
  ['deny everything but Decrypt to the root (NotAction)', {
    policyStatements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, principals: [new iam.AccountRootPrincipal()], notActions: ['kms:Decrypt'], resources: ['*'] })],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy/],
  ['deny kms:* to everyone except a user (NotPrincipal)', {
    policyStatements: [new iam.PolicyStatement({
      effect: iam.Effect.DENY, notPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:user/admin')], actions: ['kms:*'], resources: ['*'],
    })],
  }, /policyStatements\[0\]: denies kms:PutKeyPolicy/],
];

describe('synth-time validation', () => {
  test('covers at least 25 invalid prop combinations', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(25);
  });

  test.each(INVALID)('refuses %s', (_name, overrides, message) => {
    expect(build(overrides)).toThrow(message);
  });

  test.each([
    ['0 months', () => RotationInterval.months(0), /rotationInterval: RotationInterval.months\(\) takes a whole number of months from 1 to 120; received 0/],
    ['121 months', () => RotationInterval.months(121), /rotationInterval: .* from 1 to 120; received 121/],
    ['1.5 months', () => RotationInterval.months(1.5), /rotationInterval: .*received 1.5/],
    ['NaN months', () => RotationInterval.months(NaN), /rotationInterval: .*received NaN/],
    ['11 years', () => RotationInterval.years(11), /rotationInterval: RotationInterval.years\(\) takes a literal whole number of years from 1 to 10 .*; received 11/],
    ['0 days of material', () => MaterialExpiration.afterDays(0), /materialExpiration: MaterialExpiration.afterDays\(\) takes a whole number of days from 1 to 365; received 0/],
    ['366 days of material', () => MaterialExpiration.afterDays(366), /materialExpiration: .*from 1 to 365; received 366/],
    ['2.5 days of material', () => MaterialExpiration.afterDays(2.5), /materialExpiration: .*received 2.5/],
  ])('the factory refuses %s', (_name, factory, message) => {
    expect(factory).toThrow(message);
  });

  test('collects every problem of one construct into one message, one line each', () => {
    const fn = build({ aliasName: 'alias/aws/x', scheduleHour: 25, scheduleMinute: -1, removalPolicy: RemovalPolicy.SNAPSHOT, groupId: 'a b' });
    let message = '';
    try {
      fn();
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('RotatingImportedKey TestStack/Key has invalid props:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- aliasName must not start with 'alias\/aws\/'/),
      expect.stringMatching(/^ {2}- groupId must be 1 to 64 characters/),
      expect.stringMatching(/^ {2}- scheduleHour must be/),
      expect.stringMatching(/^ {2}- scheduleMinute must be/),
      expect.stringMatching(/^ {2}- removalPolicy must be/),
    ]);
  });

  test('refuses two key groups with the same alias in one stack', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'A', BASE_PROPS);
    expect(() => new RotatingImportedKey(stack, 'B', BASE_PROPS))
      .toThrow(/aliasName "alias\/telemetry" is already used by TestStack\/A in this stack/);
  });

  test('refuses two key groups with the same group id in one stack', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'A', { ...BASE_PROPS, groupId: 'shared' });
    expect(() => new RotatingImportedKey(stack, 'B', { ...BASE_PROPS, aliasName: 'alias/other', groupId: 'shared' }))
      .toThrow(/groupId "shared" is already used by TestStack\/A in this stack/);
  });

  test.each([
    ['rotation', (key: RotatingImportedKey) => key.rotationFunction.role!],
    ['lifecycle', (key: RotatingImportedKey) => key.lifecycleFunction.role!],
  ])('refuses a statement that denies key-policy changes to the %s role', (_name, roleOf) => {
    const stack = newStack();
    const first = new RotatingImportedKey(stack, 'A', BASE_PROPS);
    expect(() => new RotatingImportedKey(stack, 'B', {
      ...BASE_PROPS,
      aliasName: 'alias/other',
      policyStatements: [denyStatement(new iam.ArnPrincipal(roleOf(first).roleArn), ['kms:PutKeyPolicy'])],
    })).toThrow(/policyStatements\[0\]: denies kms:PutKeyPolicy .* to the account root or a function role/);
  });

  test('refuses a deny of everyone but one function role (NotPrincipal must exempt the root and both roles)', () => {
    const stack = newStack();
    const first = new RotatingImportedKey(stack, 'A', BASE_PROPS);
    expect(() => new RotatingImportedKey(stack, 'B', {
      ...BASE_PROPS,
      aliasName: 'alias/other',
      policyStatements: [new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        notPrincipals: [new iam.AccountRootPrincipal(), new iam.ArnPrincipal(first.rotationFunction.role!.roleArn)],
        actions: ['kms:PutKeyPolicy'],
        resources: ['*'],
      })],
    })).toThrow(/policyStatements\[0\]: denies kms:PutKeyPolicy/);
  });

  test('a scheduleMinute from a token is refused: its remainder by 10 is written into the schedule expression', () => {
    expect(build({ scheduleMinute: Token.asNumber(Lazy.number({ produce: () => 5 })) }))
      .toThrow(/scheduleMinute must be a literal whole number from 0 to 59 \(its remainder by 10 is written into the schedule expression at synth time\); received a token/);
  });

  test('an interval longer than NIST\'s 24-month originator-usage period synthesizes with a warning naming the prop; 24 months does not', () => {
    const warnings = (months: number) => {
      const stack = newStack();
      new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, rotationInterval: RotationInterval.months(months) });
      return Annotations.fromStack(stack).findWarning('/TestStack/Key', Match.stringLikeRegexp('NIST SP 800-57'));
    };
    expect(warnings(25).map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/^rotationInterval: 25 months is longer than the 24-month originator-usage period NIST SP 800-57 Part 1 recommends .*\[ack: cdk-rotating-imported-key:intervalExceedsNistCryptoperiod\]$/),
    ]);
    expect(warnings(24)).toEqual([]);
  });

  test('a conditional deny of key-policy changes is allowed with a warning', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'Key', {
      ...BASE_PROPS,
      policyStatements: [denyStatement(new iam.AnyPrincipal(), ['kms:*'], { conditions: { Bool: { 'aws:SecureTransport': 'false' } } })],
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Key', Match.stringLikeRegexp('when its conditions match'));
  });

  test('accepts statements that deny other actions or other principals', () => {
    expect(build({
      policyStatements: [
        denyStatement(new iam.AccountRootPrincipal(), ['kms:ScheduleKeyDeletion']),
        denyStatement(new iam.ArnPrincipal('arn:aws:iam::111122223333:role/intern'), ['kms:*']),
        new iam.PolicyStatement({ sid: 'AllowAudit', principals: [new iam.AccountRootPrincipal()], actions: ['kms:DescribeKey'], resources: ['*'] }),
      ],
    })).not.toThrow();
  });

  test('refuses expiring material that nothing can import again (generated, no escrow), naming the props and the ways out', () => {
    expect(build({ materialExpiration: MaterialExpiration.afterDays(365) })).toThrow(
      /materialExpiration: MaterialExpiration.afterDays\(365\) needs a material source that can import the same material again.*set material to KeyMaterialSource.fromFunction.*or escrow to a MaterialEscrow.*MaterialExpiration.never\(\)/);
    expect(build({ materialExpiration: MaterialExpiration.never() })).not.toThrow();
  });

  test('with automatic re-import, accepts 14 to 365 days of validity whatever the interval, and refuses less', () => {
    expect(build((stack) => ({ ...expiringProvidedMaterial(stack, 13), rotationInterval: RotationInterval.months(1) }))).toThrow(
      /materialExpiration: MaterialExpiration.afterDays\(13\) is too short for automatic re-import: it takes 14 to 365 days/);
    expect(build((stack) => ({ ...expiringProvidedMaterial(stack, 14), rotationInterval: RotationInterval.years(10) }))).not.toThrow();
  });

  test('with escrow (manual re-import), the validity must outlast the interval by 30 days; accepted ones warn who re-imports', () => {
    const escrow = MaterialEscrow.toNewBucket({ publicKeyPem: ESCROW_PEM, lockRetention: Duration.days(3650) });
    expect(build({ escrow, rotationInterval: RotationInterval.months(6), materialExpiration: MaterialExpiration.afterDays(215) })).toThrow(
      /materialExpiration: MaterialExpiration.afterDays\(215\) is shorter than rotationInterval \(6 month\(s\), up to 186 days\) plus a 30-day margin.*choose at least 216 days \(up to 365\), or set material to KeyMaterialSource.fromFunction/);
    expect(build({ escrow, rotationInterval: RotationInterval.years(1), materialExpiration: MaterialExpiration.afterDays(365) })).toThrow(
      /afterDays\(365\) is shorter than rotationInterval \(12 month\(s\), up to 372 days\).*no validity KMS accepts \(at most 365 days\) is that long: use MaterialExpiration.never\(\) or a shorter rotationInterval/);
    const stack = newStack();
    new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, escrow, materialExpiration: MaterialExpiration.afterDays(216) });
    expect(Annotations.fromStack(stack).findWarning('/TestStack/Key', Match.stringLikeRegexp(
      'materialExpiration: material of every generation expires 216 days after import, and generated material can only be imported again by hand, from escrow.*fires 30 days before'))).toHaveLength(1);
  });

  test('warns of nothing when a provider re-imports expiring material', () => {
    const stack = newStack();
    new RotatingImportedKey(stack, 'Key', { ...BASE_PROPS, ...expiringProvidedMaterial(stack, 90) });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('materialExpiration'))).toEqual([]);
  });

  test('accepts the edges of every range', () => {
    expect(build((stack) => ({
      aliasName: `alias/${'a'.repeat(250)}`,
      scheduleHour: 23,
      scheduleMinute: 59,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
      groupId: 'g'.repeat(64),
      tags: Object.fromEntries(Array.from({ length: 35 }, (_, i) => [`k${i}`, i === 0 ? 'v'.repeat(256) : 'Ünïcødé @ 1.2/3=4+5-6:_'])),
      ...expiringProvidedMaterial(stack, 365),
      rotationInterval: RotationInterval.months(120),
      scheduleTimeZone: TimeZone.of('US/Eastern'),
      propagationWindow: Duration.minutes(5),
      maxEmergencyRotationsPerDay: 1,
    }))).not.toThrow();
    expect(build({
      pendingWindow: Duration.days(30),
      rotationInterval: RotationInterval.months(1),
      scheduleTimeZone: TimeZone.of('UTC'),
      propagationWindow: Duration.hours(1),
      maxEmergencyRotationsPerDay: 24,
    })).not.toThrow();
  });

  test('skips values that are tokens', () => {
    const hour = Token.asNumber(Lazy.number({ produce: () => 4 }));
    expect(build({
      aliasName: Lazy.string({ produce: () => 'alias/from-token' }),
      scheduleHour: hour,
      scheduleTimeZone: TimeZone.of(Lazy.string({ produce: () => 'Europe/Paris' })),
      rotationInterval: RotationInterval.months(Lazy.number({ produce: () => 3 })),
      tags: { team: Lazy.string({ produce: () => 'payments' }) },
    })).not.toThrow();
  });
});
