/**
 * The seal keys the construct exposes for the report (`settingsSealKey`,
 * `ledgerSealKey`) are the HMAC keys whose ARNs the functions seal with, and
 * the construct adds no output for them.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { newStack } from './helpers';
import { functionIds } from './synthesized-policies';
import { RotatingImportedKey, RotationInterval } from '../../lib';

test('settingsSealKey and ledgerSealKey are the keys the functions seal with, shared by the stack\'s key groups', () => {
  const stack = newStack();
  const a = new RotatingImportedKey(stack, 'A', { aliasName: 'alias/a', rotationInterval: RotationInterval.months(6) });
  const b = new RotatingImportedKey(stack, 'B', { aliasName: 'alias/b', rotationInterval: RotationInterval.months(6) });
  const template = Template.fromStack(stack);
  const arn = (token: string) => stack.resolve(token);
  const ids = functionIds(template.toJSON());
  const envOf = (id: string) => template.toJSON().Resources[id].Properties.Environment.Variables;
  const env = { lifecycle: envOf(ids.lifecycle), rotation: envOf(ids.rotation) };
  expect(arn(a.settingsSealKey.keyArn)).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  expect(arn(a.settingsSealKey.keyArn)).toEqual(env.lifecycle.SETTINGS_SEAL_KEY_ARN);
  expect(arn(a.ledgerSealKey.keyArn)).toEqual(env.lifecycle.STATE_SEAL_KEY_ARN);
  expect(env.rotation.STATE_SEAL_KEY_ARN).toEqual(env.lifecycle.STATE_SEAL_KEY_ARN);
  expect(arn(a.settingsSealKey.keyArn)).not.toEqual(arn(a.ledgerSealKey.keyArn));
  expect([b.settingsSealKey, b.ledgerSealKey]).toEqual([a.settingsSealKey, a.ledgerSealKey]);
  const hmacKeys = Object.values(template.findResources('AWS::KMS::Key')).filter((k) => k.Properties.KeySpec === 'HMAC_256');
  expect(hmacKeys).toHaveLength(2);
  expect(template.toJSON().Outputs ?? {}).toEqual({});
});
