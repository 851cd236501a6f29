import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { PolicyDocument, PolicyStatement } from '../iam';
import { Caller, LambdaEndpoint } from './lambda-endpoint';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const FUNCTION = 'lifecycle';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FUNCTION}`;
const PROVIDER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ProviderRole`;

const invokePolicy = (resource: string): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: resource }],
});
const caller = (accessKeyId: string, arn: string, ...policies: PolicyDocument[]): Caller => ({ accessKeyId, arn, policies });

// As a CloudFormation provider's function role is granted, and as level-3 principals may hold.
const provider = caller('AKIDPROVIDER', PROVIDER_ROLE, invokePolicy(FUNCTION_ARN));
const providerWithoutIam = caller('AKIDPROVIDERBARE', `arn:aws:iam::${ACCOUNT}:role/ProviderRole`);
const broad = caller('AKIDBROAD', `arn:aws:iam::${ACCOUNT}:role/BroadInvoker`, invokePolicy('*'));
const nobody = caller('AKIDNOBODY', `arn:aws:iam::${ACCOUNT}:role/Nobody`);
const outsider = caller('AKIDOUTSIDER', `arn:aws:iam::${OTHER_ACCOUNT}:role/Outsider`, invokePolicy('*'));
const outsiderWithoutIam = caller('AKIDOUTSIDERBARE', `arn:aws:iam::${OTHER_ACCOUNT}:role/Outsider`);

/** The lifecycle function's resource policy the trust design asks for: only the provider role may invoke it. */
const denyOthers: PolicyStatement = {
  Sid: 'OnlyTheProvider',
  Effect: 'Deny',
  Principal: '*',
  Action: 'lambda:InvokeFunction',
  Resource: FUNCTION_ARN,
  Condition: { ArnNotEquals: { 'aws:PrincipalArn': [PROVIDER_ROLE] } },
};
const onlyProvider: PolicyDocument = { Version: '2012-10-17', Statement: [denyOthers] };

let endpoint: LambdaEndpoint;
let ran: unknown[];
const clients: LambdaClient[] = [];

beforeEach(async () => {
  ran = [];
  endpoint = await LambdaEndpoint.start(
    [{ name: FUNCTION, arn: FUNCTION_ARN, invoke: async (event) => { ran.push(event); return { ok: true }; } }],
    [provider, providerWithoutIam, broad, nobody, outsider, outsiderWithoutIam],
  );
});
afterEach(async () => {
  clients.splice(0).forEach((c) => c.destroy());
  await endpoint.stop();
});

function invoke(who: Caller, functionName = FUNCTION) {
  const client = new LambdaClient({
    region: 'us-east-1', endpoint: endpoint.url, maxAttempts: 1, credentials: { accessKeyId: who.accessKeyId, secretAccessKey: 'secret' },
  });
  clients.push(client);
  return client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify({ from: who.arn })) }));
}

async function refusal(p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the invocation to be refused');
}

const payloadOf = (out: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(out.Payload!).toString());

test('without a resource-based policy: identity policies decide, as before', async () => {
  expect(payloadOf(await invoke(broad))).toEqual({ ok: true });
  expect(payloadOf(await invoke(provider, FUNCTION_ARN))).toEqual({ ok: true });
  expect(await refusal(invoke(nobody))).toEqual({
    name: 'AccessDeniedException',
    status: 403,
    message: `User: ${nobody.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${FUNCTION_ARN} because no identity-based policy allows the lambda:InvokeFunction action`,
  });
  expect(ran).toHaveLength(2);
  expect(endpoint.invocations.map((i) => [i.caller, i.allowed])).toEqual([[broad.arn, true], [provider.arn, true], [nobody.arn, false]]);
});

test('a Deny for everyone but the provider role refuses a same-account caller with lambda:InvokeFunction on *; the provider passes', async () => {
  endpoint.setResourcePolicy(FUNCTION_ARN, onlyProvider);
  for (const name of [FUNCTION, FUNCTION_ARN]) {
    expect(await refusal(invoke(broad, name))).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: ${broad.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${FUNCTION_ARN} with an explicit deny in a resource-based policy`,
    });
  }
  expect(ran).toEqual([]);
  expect(payloadOf(await invoke(provider))).toEqual({ ok: true });
  expect(ran).toEqual([{ from: provider.arn }]);
  expect(endpoint.invocations.filter((i) => i.allowed).map((i) => i.caller)).toEqual([provider.arn]);
});

test('same account: a resource-based Allow naming the role suffices without an identity policy; the Deny still binds the others', async () => {
  endpoint.setResourcePolicy(FUNCTION, {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Provider', Effect: 'Allow', Principal: { AWS: PROVIDER_ROLE }, Action: 'lambda:InvokeFunction', Resource: FUNCTION_ARN },
      denyOthers,
    ],
  });
  expect(payloadOf(await invoke(providerWithoutIam))).toEqual({ ok: true });
  expect((await refusal(invoke(nobody))).message).toMatch(/with an explicit deny in a resource-based policy$/);
  expect((await refusal(invoke(broad))).message).toMatch(/with an explicit deny in a resource-based policy$/);
});

test('another account needs both: the function\'s resource-based policy and its own identity policy', async () => {
  expect((await refusal(invoke(outsider))).message).toMatch(/because no resource-based policy allows the lambda:InvokeFunction action$/);
  endpoint.setResourcePolicy(FUNCTION, {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'lambda:InvokeFunction', Resource: FUNCTION_ARN }],
  });
  expect(payloadOf(await invoke(outsider))).toEqual({ ok: true });
  expect((await refusal(invoke(outsiderWithoutIam))).message).toMatch(/because no identity-based policy allows the lambda:InvokeFunction action$/);
});

test('the policy can be given at start, replaced and removed; an unreadable policy is refused when registered', async () => {
  const withPolicy = await LambdaEndpoint.start(
    [{ name: FUNCTION, arn: FUNCTION_ARN, invoke: async () => ({ ok: true }), resourcePolicy: onlyProvider }],
    [broad],
  );
  try {
    expect(withPolicy.resourcePolicy(FUNCTION)).toEqual(onlyProvider);
  } finally {
    await withPolicy.stop();
  }
  endpoint.setResourcePolicy(FUNCTION, onlyProvider);
  expect((await refusal(invoke(broad))).status).toBe(403);
  endpoint.setResourcePolicy(FUNCTION, undefined);
  expect(payloadOf(await invoke(broad))).toEqual({ ok: true });
  expect(() => endpoint.setResourcePolicy(FUNCTION, { Statement: [{ Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: '*' }] }))
    .toThrow(/must have exactly one of Principal and NotPrincipal/);
  expect(() => endpoint.setResourcePolicy('no-such-function', onlyProvider)).toThrow(/no function no-such-function/);
  expect(endpoint.resourcePolicy(FUNCTION)).toBeUndefined();
});
