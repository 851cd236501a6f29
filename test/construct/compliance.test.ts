import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { CDK_JSON_CONTEXT, everyOptionStack } from './every-option-stack';
import { ExampleStack } from '../../example/example-stack';
import { AdoptExisting, RotatingImportedKey, RotationInterval } from '../../lib';

// Every cdk-nag pack on the example app and on a stack that sets every option:
// no unacknowledged finding, and every acknowledgement (each on the construct
// it is about, with its reason) answers a finding that exists without it.

const PACKS: Array<new (app: App) => NagPack> = [AwsSolutionsChecks, NIST80053R5Checks, HIPAASecurityChecks, PCIDSS321Checks, ServerlessChecks];

interface Finding { readonly rule: string; readonly path: string }
interface Acknowledged extends Finding { readonly reason: string }

function findings(app: App, stack: Stack): Finding[] {
  return PACKS.flatMap((Pack) => new Pack(app).validateScope(stack).violations)
    .flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? r.resourceLogicalId ?? '' })));
}

function acknowledgements(stack: Stack): Acknowledged[] {
  return stack.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>)
      .map(([id, reason]) => ({ path: c.node.path, rule: id.replace(/^annotation::/i, ''), reason }))))
    .filter((a) => !a.rule.startsWith('cdk-rotating-imported-key:'));
}

/** Builds the app with Validations.acknowledge switched off. */
function withoutAcknowledgements<T>(build: () => T): T {
  const original = Validations.prototype.acknowledge;
  Validations.prototype.acknowledge = function () {};
  try {
    return build();
  } finally {
    Validations.prototype.acknowledge = original;
  }
}

const covers = (a: Finding, f: Finding) => f.rule === a.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`));

const APPS: Array<[string, () => { app: App; stack: Stack }]> = [
  ['example app', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    return { app, stack: new ExampleStack(app, 'RotatingImportedKeyExample') };
  }],
  ['stack with every option', everyOptionStack],
  ['stack with adopting key groups (with and without the fence) beside a plain one', () => {
    const app = new App({ context: CDK_JSON_CONTEXT });
    const stack = new Stack(app, 'Adopting', { env: { account: '111122223333', region: 'us-east-1' } });
    new RotatingImportedKey(stack, 'Adopted', { aliasName: 'alias/adopted', rotationInterval: RotationInterval.months(6), adopt: AdoptExisting.alias() });
    new RotatingImportedKey(stack, 'Fenced', { aliasName: 'alias/fenced', rotationInterval: RotationInterval.months(6), adopt: AdoptExisting.alias({ fence: true }) });
    new RotatingImportedKey(stack, 'Plain', { aliasName: 'alias/plain', rotationInterval: RotationInterval.months(6) });
    return { app, stack };
  }],
];

describe.each(APPS)('cdk-nag on the %s', (_name, build) => {
  let acknowledged: Acknowledged[];
  let withAcks: Finding[];
  let bare: Finding[];
  beforeAll(() => {
    const { app, stack } = build();
    acknowledged = acknowledgements(stack);
    withAcks = findings(app, stack);
    const unacknowledged = withoutAcknowledgements(build);
    bare = findings(unacknowledged.app, unacknowledged.stack);
  });

  test('AwsSolutions, NIST 800-53 rev 5, HIPAA Security, PCI DSS 3.2.1 and Serverless report no unacknowledged finding', () => {
    expect(withAcks).toEqual([]);
  });

  test('every acknowledgement is one rule with a written reason, on the construct it is about', () => {
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const a of acknowledged) {
      expect(a.rule).toMatch(/^(AwsSolutions-IAM5\[(Resource|Action)::.+\]|AwsSolutions-S1|(NIST\.800\.53\.R5|HIPAA\.Security|PCI\.DSS\.321|Serverless)-[A-Za-z0-9]+)$/);
      expect(a.reason.length).toBeGreaterThan(40);
      expect(a.path.split('/').length).toBeGreaterThan(1);
    }
  });

  test('each acknowledgement answers a finding on its own construct that exists without it', () => {
    expect(acknowledged.filter((a) => !bare.some((f) => covers(a, f)))).toEqual([]);
    expect(bare.filter((f) => !acknowledged.some((a) => covers(a, f)))).toEqual([]);
  });
});

test('the library acknowledges exactly these rules in the stack with every option (log key and alarm actions set)', () => {
  const bare = withoutAcknowledgements(everyOptionStack);
  const library = findings(bare.app, bare.stack).filter((f) => f.path.includes('/RotatingImportedKeyRotation/'));
  expect([...new Set(library.map((f) => f.rule.replace(/\[.*\]$/, '')))].sort()).toEqual([
    'AwsSolutions-IAM5',
    'HIPAA.Security-IAMNoInlinePolicy',
    'HIPAA.Security-LambdaConcurrency',
    'HIPAA.Security-LambdaDLQ',
    'HIPAA.Security-LambdaInsideVPC',
    'NIST.800.53.R5-IAMNoInlinePolicy',
    'NIST.800.53.R5-LambdaConcurrency',
    'NIST.800.53.R5-LambdaDLQ',
    'NIST.800.53.R5-LambdaInsideVPC',
    'PCI.DSS.321-IAMNoInlinePolicy',
    'PCI.DSS.321-LambdaInsideVPC',
    'Serverless-LambdaDLQ',
    'Serverless-LambdaDefaultMemorySize',
    'Serverless-LambdaTracing',
    'Serverless-SQSRedrivePolicy',
  ]);
});
