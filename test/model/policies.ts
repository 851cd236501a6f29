/**
 * The permissions the model's principals hold: the IAM policies the construct
 * synthesizes for the lifecycle role and the rotation role, and the ones
 * `key.grantEncrypt(writer)` and `key.grantDecrypt(reader)` give two roles of
 * the same stack, read out of a synthesized template with
 * test/construct/synthesized-policies.ts. Also the custom resource properties
 * and the schedule input the template sends, so the model's events are the
 * construct's.
 *
 * A stack is synthesized once per removal policy (it changes the lifecycle
 * role's statements) with a placeholder group id and alias; a history's group
 * gets the same documents with its own group id and alias put in their place.
 * Synthesizing takes seconds: the result is cached under
 * node_modules/.cache, keyed by a digest of everything it depends on (lib/,
 * the template reader, this file and the aws-cdk-lib version).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '../iam';

/** Stands for the group id in the synthesized documents. */
const GROUP_PLACEHOLDER = 'zzmodelgroupzz';
/** Stands for the alias name in the synthesized documents. */
const ALIAS_PLACEHOLDER = 'alias/zzmodelaliaszz';

export type RemovalChoice = 'retain' | 'destroy';

/** What one synthesized stack gives the model. */
export interface SynthesizedStack {
  readonly roles: {
    readonly lifecycle: { readonly arn: string; readonly policies: PolicyDocument[] };
    readonly rotation: { readonly arn: string; readonly policies: PolicyDocument[] };
    readonly writer: { readonly arn: string; readonly policies: PolicyDocument[] };
    readonly reader: { readonly arn: string; readonly policies: PolicyDocument[] };
  };
  /** The key group's custom resource properties (every value a string). */
  readonly properties: Record<string, string>;
  /** The schedule's target input. */
  readonly scheduleInput: Record<string, unknown>;
  readonly scheduleExpression: string;
  /** The resolved key policies of the stack's seal keys. */
  readonly sealKeyPolicies: { readonly settings: string; readonly state: string };
}

export type SynthesizedStacks = Record<RemovalChoice, SynthesizedStack>;

const ROOT = join(__dirname, '..', '..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'cdk-rotating-imported-key-model');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** A digest of every input of the synthesis. */
function inputsDigest(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...filesUnder(join(ROOT, 'lib')),
    join(ROOT, 'test', 'construct', 'synthesized-policies.ts'),
    __filename,
    join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'),
  ];
  for (const file of inputs) hash.update(file.slice(ROOT.length)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/** Synthesizes the model's stack (both removal policies). Loads aws-cdk-lib only when called. */
function synthesize(): SynthesizedStacks {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { Template } = require('aws-cdk-lib/assertions') as typeof import('aws-cdk-lib/assertions');
  const iam = require('aws-cdk-lib/aws-iam') as typeof import('aws-cdk-lib/aws-iam');
  const lib = require('../../lib') as typeof import('../../lib');
  const sp = require('../construct/synthesized-policies') as typeof import('../construct/synthesized-policies');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const one = (removal: RemovalChoice): SynthesizedStack => {
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'ModelStack', { env: { account: sp.TEST_ACCOUNT, region: sp.TEST_REGION } });
    const key = new lib.RotatingImportedKey(stack, 'Key', {
      aliasName: ALIAS_PLACEHOLDER,
      groupId: GROUP_PLACEHOLDER,
      rotationInterval: lib.RotationInterval.months(6),
      removalPolicy: removal === 'destroy' ? cdk.RemovalPolicy.DESTROY : cdk.RemovalPolicy.RETAIN,
      pendingWindow: cdk.Duration.days(7),
      // RSA_2048 keeps the simulator's unwrapping cheap; the policies name whatever the props say.
      wrappingKeySpec: lib.WrappingKeySpec.RSA_2048,
    });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncrypt(writer);
    key.grantDecrypt(reader);
    const template = Template.fromStack(stack).toJSON();
    const roleIdStartingWith = (prefix: string) => {
      const ids = Object.keys(template.Resources).filter((id) => id.startsWith(prefix) && template.Resources[id].Type === 'AWS::IAM::Role');
      if (ids.length !== 1) throw new Error(`expected one role ${prefix}*, found ${ids.join(', ') || 'none'}`);
      return ids[0];
    };
    const functionRoles = sp.functionRoles(template);
    const role = (id: string) => {
      const policies = sp.identityPoliciesOf(template, id);
      if (policies.ignoredManagedPolicyArns.length > 0) {
        throw new Error(`role ${id} has managed policies the template does not contain: ${JSON.stringify(policies.ignoredManagedPolicyArns)}`);
      }
      return { arn: sp.roleArnOf(id), policies: [...policies] as PolicyDocument[] };
    };
    const schedule = sp.scheduleOf(template);
    return {
      roles: {
        lifecycle: role(functionRoles.lifecycle),
        rotation: role(functionRoles.rotation),
        writer: role(roleIdStartingWith('Writer')),
        reader: role(roleIdStartingWith('Reader')),
      },
      properties: sp.customResourceProperties(template),
      scheduleInput: schedule.input,
      scheduleExpression: schedule.expression,
      sealKeyPolicies: sp.sealKeyPolicies(template),
    };
  };
  return { retain: one('retain'), destroy: one('destroy') };
}

let loaded: SynthesizedStacks | undefined;

/** The synthesized stacks (from the cache when nothing they depend on changed). */
export function synthesizedStacks(): SynthesizedStacks {
  if (loaded) return loaded;
  const file = join(CACHE_DIR, `policies-${inputsDigest()}.json`);
  if (existsSync(file)) {
    loaded = JSON.parse(readFileSync(file, 'utf8')) as SynthesizedStacks;
    return loaded;
  }
  loaded = synthesize();
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Only the newest synthesis is worth keeping.
    for (const old of readdirSync(CACHE_DIR).filter((n) => n.startsWith('policies-'))) rmSync(join(CACHE_DIR, old), { force: true });
    writeFileSync(file, JSON.stringify(loaded));
  } catch {
    // A read-only node_modules only costs the next run the synthesis.
  }
  return loaded;
}

/** The synthesized stack of one group: its group id and alias in place of the placeholders. */
export function stackForGroup(stacks: SynthesizedStacks, removal: RemovalChoice, groupId: string, aliasName: string): SynthesizedStack {
  const text = JSON.stringify(stacks[removal]);
  if (!text.includes(GROUP_PLACEHOLDER) || !text.includes(ALIAS_PLACEHOLDER)) {
    throw new Error('the synthesized stack does not name the placeholder group id and alias; stackForGroup cannot specialise it');
  }
  const specialised = text.split(ALIAS_PLACEHOLDER).join(aliasName).split(GROUP_PLACEHOLDER).join(groupId);
  if (specialised.includes('zzmodel')) throw new Error('a placeholder is left in the specialised stack (derived from the group id or alias in a form stackForGroup does not know)');
  return JSON.parse(specialised) as SynthesizedStack;
}
