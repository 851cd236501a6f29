/**
 * The simulator's EventBridge through the real client: custom buses, rules and
 * their patterns, and authorization of PutEvents within one account (an Allow
 * in the identity policy or in the bus policy grants; an explicit Deny in
 * either refuses).
 */
import { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { checkPattern, matchesPattern } from './event-pattern';
import { KmsSimulator, SimPrincipal, startKmsSimulator } from './index';
import type { PolicyDocument } from '../iam';

const ACCOUNT = '111122223333';
const role = (name: string, statements: object[] = []): SimPrincipal => ({
  accessKeyId: `AKID${name.toUpperCase()}`,
  arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  policies: statements.length ? [{ Version: '2012-10-17', Statement: statements } as PolicyDocument] : [],
});
const PUT_ANYWHERE = { Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' };
const SENDER = role('Sender', [PUT_ANYWHERE]);
const NOBODY = role('Nobody');
const DENIED = role('Denied', [PUT_ANYWHERE, { Effect: 'Deny', Action: 'events:PutEvents', Resource: '*' }]);
const OUTSIDER = { ...role('Outsider', [PUT_ANYWHERE]), arn: 'arn:aws:iam::444455556666:role/Outsider' };

const entry = (bus: string, detail: object = { group: 'g' }): PutEventsRequestEntry =>
  ({ EventBusName: bus, Source: 'app', DetailType: 'Thing Happened', Detail: JSON.stringify(detail) });

describe('EventBridge in the simulator', () => {
  let sim: KmsSimulator;
  beforeEach(async () => {
    sim = await startKmsSimulator({ authorization: { principals: [SENDER, NOBODY, DENIED, OUTSIDER] } });
  });
  afterEach(async () => sim.stop());

  const put = (p: SimPrincipal, e: PutEventsRequestEntry) =>
    sim.eventBridge.clientFor(p.accessKeyId, { maxAttempts: 1 }).send(new PutEventsCommand({ Entries: [e] })).then(() => 'put', (err: Error) => err.name);

  test('a bus that was not declared does not exist; a declared one does, by name or ARN', async () => {
    expect(await put(SENDER, entry('orders'))).toBe('ResourceNotFoundException');
    sim.eventBridge.declareBus('orders');
    expect(await put(SENDER, entry('orders'))).toBe('put');
    expect(await put(SENDER, entry(sim.eventBridge.busArn('orders')))).toBe('put');
    expect(await put(SENDER, entry(sim.eventBridge.busArn('orders').replace(ACCOUNT, '444455556666')))).toBe('ResourceNotFoundException');
    expect(sim.eventBridge.events().map((e) => e.eventBusName)).toEqual(['orders', 'orders']);
  });

  test('without a bus policy the identity policy decides', async () => {
    sim.eventBridge.declareBus('orders');
    expect([await put(SENDER, entry('orders')), await put(NOBODY, entry('orders')), await put(DENIED, entry('orders'))])
      .toEqual(['put', 'AccessDeniedException', 'AccessDeniedException']);
  });

  test('a bus policy that allows a principal of the account grants it without an identity policy; one naming only the account does not', async () => {
    const allow = (principal: object): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: principal, Action: 'events:PutEvents', Resource: sim.eventBridge.busArn('orders') }],
    });
    sim.eventBridge.declareBus('orders', allow({ AWS: NOBODY.arn }));
    expect(await put(NOBODY, entry('orders'))).toBe('put');
    sim.eventBridge.declareBus('orders', allow({ AWS: `arn:aws:iam::${ACCOUNT}:root` }));
    expect(await put(NOBODY, entry('orders'))).toBe('AccessDeniedException');
    // An identity Deny wins over the bus policy's Allow.
    sim.eventBridge.declareBus('orders', allow({ AWS: DENIED.arn }));
    expect(await put(DENIED, entry('orders'))).toBe('AccessDeniedException');
  });

  test('an explicit Deny in the bus policy wins over an identity Allow; its condition spares one principal', async () => {
    sim.eventBridge.declareBus('orders', {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Resource: sim.eventBridge.busArn('orders'),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': NOBODY.arn } },
      }],
    });
    expect(await put(SENDER, entry('orders'))).toBe('AccessDeniedException');
    // Spared by the Deny, but nothing allows it.
    expect(await put(NOBODY, entry('orders'))).toBe('AccessDeniedException');
    sim.authorization.setPrincipal({ ...NOBODY, policies: [{ Version: '2012-10-17', Statement: [PUT_ANYWHERE] } as PolicyDocument] });
    expect(await put(NOBODY, entry('orders'))).toBe('put');
    // The default bus has no policy: the same sender may put there.
    expect(await put(SENDER, entry('default'))).toBe('put');
    expect(sim.authorization.decisions.denied({ principal: SENDER.arn, operation: 'PutEvents' })).toBe(1);
  });

  test('another account needs both the bus policy and its identity policy', async () => {
    sim.eventBridge.declareBus('orders');
    expect(await put(OUTSIDER, entry('orders'))).toBe('AccessDeniedException');
    sim.eventBridge.declareBus('orders', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'events:PutEvents', Resource: sim.eventBridge.busArn('orders') }],
    });
    expect(await put(OUTSIDER, entry('orders'))).toBe('put');
  });

  test('a rule matches the events of its own bus whose fields equal one of its values, nested in detail too', async () => {
    sim.eventBridge.declareBus('orders');
    sim.eventBridge.declareRule({ name: 'OnG', eventBusName: 'orders', eventPattern: { 'source': ['app'], 'detail-type': ['Thing Happened'], 'detail': { group: ['g', 'h'] } } });
    sim.eventBridge.declareRule({ name: 'OnDefault', eventPattern: { source: ['app'] } });
    await put(SENDER, entry('orders', { group: 'g' }));
    await put(SENDER, entry('orders', { group: 'other' }));
    await put(SENDER, entry('orders', { nested: { group: 'g' } }));
    await put(SENDER, entry('default', { group: 'h' }));
    expect(sim.eventBridge.matched('OnG').map((e) => [e.detail, e.account, e.source, e['detail-type']])).toEqual([[{ group: 'g' }, ACCOUNT, 'app', 'Thing Happened']]);
    expect(sim.eventBridge.matched('OnDefault').map((e) => e.detail)).toEqual([{ group: 'h' }]);
    expect(() => sim.eventBridge.declareRule({ name: 'Nowhere', eventBusName: 'absent', eventPattern: { source: ['app'] } })).toThrow(/does not exist/);
  });
});

describe('event patterns', () => {
  test('a list field matches when one of its values is listed; a missing field never matches', () => {
    const pattern = { resources: ['arn:b'], detail: { n: [2] } };
    checkPattern(pattern);
    expect(matchesPattern(pattern, { resources: ['arn:a', 'arn:b'], detail: { n: 2 } })).toBe(true);
    expect(matchesPattern(pattern, { resources: ['arn:a'], detail: { n: 2 } })).toBe(false);
    expect(matchesPattern(pattern, { resources: ['arn:b'], detail: { n: '2' } })).toBe(false);
    expect(matchesPattern(pattern, { resources: ['arn:b'] })).toBe(false);
  });

  test('content filters and empty patterns are refused rather than matched wrongly', () => {
    expect(() => checkPattern({ source: [{ prefix: 'cdk-' }] })).toThrow(/content filter .*prefix.* is not modelled/);
    expect(() => checkPattern({ detail: {} })).toThrow(/non-empty object/);
    expect(() => checkPattern({ source: [] })).toThrow(/matches nothing/);
  });
});
