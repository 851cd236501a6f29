/**
 * aws-cdk-lib's CloudFormation template validation (resource schemas and default rules), which jest's setup
 * (test/jest-setup.ts) turns off for every other synth: here it runs on the stacks that set every prop, and any
 * finding, error or warning, fails the synth.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CDK_JSON_CONTEXT, everyOptionStack } from './every-option-stack';
import { ExampleStack } from '../../example/example-stack';

/** Validation on, as in a user's synth, with every finding an error. */
const STRICT_CONTEXT = {
  [cxapi.VALIDATE_AGAINST_DEFAULT_RULES]: true,
  [cxapi.STRICT_CFN_VALIDATE_ERRORS]: true,
};

describe('CloudFormation template validation', () => {
  const saved = process.env.CDK_VALIDATION;
  beforeAll(() => { delete process.env.CDK_VALIDATION; });
  afterAll(() => { process.env.CDK_VALIDATION = saved; });

  test('the stack that sets every prop validates without a finding', () => {
    const { app } = everyOptionStack(STRICT_CONTEXT);
    expect(app.synth().stacks.map((s) => s.stackName)).toEqual(['EveryOption']);
  });

  test('the example app validates without a finding', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, ...STRICT_CONTEXT } });
    new ExampleStack(app, 'Example');
    expect(app.synth().stacks.map((s) => s.stackName)).toEqual(['Example']);
  });

  test('the validation runs here: a template it refuses fails the synth', () => {
    const app = new App({ context: STRICT_CONTEXT });
    const stack = new Stack(app, 'Broken');
    // A KMS key whose KeyUsage is not one of the schema's values.
    new CfnResource(stack, 'Key', { type: 'AWS::KMS::Key', properties: { KeyUsage: 'NOT_A_USAGE' } });
    expect(() => app.synth()).toThrow(/NOT_A_USAGE|KeyUsage/);
  });
});
