/**
 * The operators' `rotate-now`, from the shipped CLI process through the real
 * Lambda client to the rotation entry point, with the credentials
 * grantRotateNow synthesized for the operator (and a writer's, which must not
 * be enough).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { deployedStack, DeployedStack, StackPrincipal } from './deployed-stack';
import { cfnEvent } from './fixtures';
import { Functions, Harness, REGION } from './harness';
import { LambdaEndpoint } from './lambda-endpoint';
import { functionArnOf, rotationFunctionName } from '../construct/synthesized-policies';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');

describe('rotate-now from the command line', () => {
  let stack: DeployedStack;
  let h: Harness;
  let f: Functions;
  let lambda: LambdaEndpoint;
  let functionArn: string;
  beforeAll(() => { stack = deployedStack(); });
  beforeEach(async () => {
    h = await Harness.start({ authorization: { principals: stack.principals } }, stack.tableName, stack.sealKeyPolicies);
    f = h.functions({ credentials: { lifecycle: stack.lifecycle.credentials, rotation: stack.rotation.credentials } });
    await f.lifecycle(cfnEvent('Create', stack.resourceProperties));
    const name = rotationFunctionName(stack.template);
    functionArn = functionArnOf(name);
    lambda = await LambdaEndpoint.start([{ name, arn: functionArn, invoke: (event) => f.rotation(event) }], stack.principals);
  });
  afterEach(async () => {
    await lambda.stop();
    await h.stop();
  });

  const cli = (as: StackPrincipal, args: string[]) => promisify(execFile)(process.execPath, [CLI, 'rotate-now', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: as.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: as.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      CDK_ROTATING_IMPORTED_KEY_FUNCTION: functionArn,
    },
  });

  test('the operator starts an emergency rotation and is told what happens next', async () => {
    const { stdout } = await cli(stack.operator, ['--alias', 'alias/telemetry']);
    const rec = await h.group();
    expect(rec.rotation).toMatchObject({ n: 2, reason: 'emergency', phase: 'promote' });
    expect(stdout).toBe(
      `Emergency rotation of alias/telemetry started: generation 2 is made, imported and tested; the alias still points at ${rec.generations[0].keyArn}. `
      + `The alias moves at the first scheduled run (every 10 minutes) after ${rec.rotation!.notBefore}; `
      + 'the previous generation is fenced (decrypt-only) one propagation window after that.\n',
    );
    expect(lambda.invocations).toEqual([{ function: rotationFunctionName(stack.template), caller: stack.operator.arn, allowed: true, event: { action: 'rotate-now', aliasName: 'alias/telemetry' } }]);
    // Asked again while it runs: the emergency joins the rotation under way.
    const again = JSON.parse((await cli(stack.operator, ['--alias', 'alias/telemetry', '--json'])).stdout);
    expect(again).toMatchObject({ outcome: 'in-progress', generation: 2, phase: 'promote' });
  });

  test('a request beyond the limit is refused: the reason on stdout, exit status 1, no key made', async () => {
    await cli(stack.operator, ['--alias', 'alias/telemetry']);
    h.sim.clock.advance(420_000 + 1000);
    expect((await f.rotation({ action: 'rotate-if-due', aliasName: 'alias/telemetry', groupId: 'telemetry-group' })).outcome).toBe('promoted');
    const queued = await cli(stack.operator, ['--alias', 'alias/telemetry']);
    expect(queued.stdout).toMatch(/^A rotation of alias\/telemetry to generation 2 has moved the alias and waits for its fence; the emergency rotation is queued and starts once it is complete\./);
    const keys = h.sim.calls.count('CreateKey');
    const refused = await cli(stack.operator, ['--alias', 'alias/telemetry']).then(() => undefined, (e) => e);
    expect(refused).toMatchObject({ code: 1 });
    expect(refused.stdout).toBe('Emergency rotation of alias/telemetry refused: an emergency rotation of key group telemetry-group is already queued: '
      + `it starts once the rotation to generation 2 is complete (its last phase runs at the first scheduled run after ${(await h.group()).rotation!.notBefore}). Nothing was started.\n`);
    const json = await cli(stack.operator, ['--alias', 'alias/telemetry', '--json']).then(() => undefined, (e) => e);
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'refused', refusal: { reason: 'already-queued', limit: 3 } });
    expect(h.sim.calls.count('CreateKey')).toBe(keys);
  });

  test('a principal without grantRotateNow is refused by IAM: exit status 2, the reason on stderr, nothing rotated', async () => {
    const failed = await cli(stack.writer, ['--alias', 'alias/telemetry']).then(() => undefined, (e) => e);
    expect(failed).toMatchObject({ code: 2 });
    expect(failed.stderr).toContain(`is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn}`);
    expect((await h.group()).rotation).toBeUndefined();
    expect(lambda.invocations.map((i) => i.allowed)).toEqual([false]);
  });

  test('the function\'s refusal is reported with exit status 2', async () => {
    const failed = await cli(stack.operator, ['--alias', 'alias/unknown']).then(() => undefined, (e) => e);
    expect(failed).toMatchObject({ code: 2 });
    expect(failed.stderr).toMatch(/^RotationFunctionError: the rotation function .+ refused or failed: \w+: .*alias\/unknown/m);
  });
});
