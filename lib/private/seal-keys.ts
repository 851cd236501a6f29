import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

// The stack's two HMAC keys that seal the ledger (docs/security-model.md,
// "Sealed configuration and ledger"). Their key policies, not IAM, decide who
// may make a MAC: an explicit Deny binds every principal of the account,
// whatever its identity policies allow (kms:* on * included).

/** The administration a deploy needs (CloudFormation updates and deletes the key); no cryptographic action. */
export const SEAL_KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

export const SEAL_SID = {
  admin: 'KeyAdministrationByTheAccount',
  verify: 'VerifySealsThroughIam',
  sealers: 'SealByTheFunctions',
  onlySealers: 'DenyGenerateMacToEveryoneElse',
} as const;

/**
 * The policy of a seal key: the account administers it and verifies MACs
 * through IAM (reports); only `sealerRoleArns` make MACs.
 */
export function sealKeyPolicy(accountRootArn: string, sealerRoleArns: string[]): iam.PolicyDocument {
  const root = new iam.ArnPrincipal(accountRootArn);
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ sid: SEAL_SID.admin, principals: [root], actions: SEAL_KEY_ADMIN_ACTIONS, resources: ['*'] }),
      new iam.PolicyStatement({ sid: SEAL_SID.verify, principals: [root], actions: ['kms:VerifyMac'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: SEAL_SID.sealers,
        principals: sealerRoleArns.map((a) => new iam.ArnPrincipal(a)),
        actions: ['kms:GenerateMac', 'kms:VerifyMac', 'kms:DescribeKey'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: SEAL_SID.onlySealers,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateMac'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': sealerRoleArns } },
      }),
    ],
  });
}

export interface SealKeyPair {
  /** Seals settings: only the lifecycle role (deploy authority) makes its MACs. */
  readonly settingsKey: kms.Key;
  /** Seals every ledger entry: only the two function roles make its MACs. */
  readonly stateKey: kms.Key;
}

/** Retained with the ledger whose entries they seal. */
export function createSealKeys(scope: Construct, lifecycleRole: iam.IRole, rotationRole: iam.IRole): SealKeyPair {
  const root = Stack.of(scope).formatArn({ service: 'iam', region: '', resource: 'root' });
  const key = (id: string, description: string, sealers: iam.IRole[]) => new kms.Key(scope, id, {
    description,
    keySpec: kms.KeySpec.HMAC_256,
    keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    policy: sealKeyPolicy(root, sealers.map((r) => r.roleArn)),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const settingsKey = key('SettingsSealKey', 'Seals the deployed settings of key groups in the ledger (cdk-rotating-imported-key)', [lifecycleRole]);
  // The rotation function verifies the settings seal at every run (through IAM: the key policy trusts the account).
  settingsKey.grant(rotationRole, 'kms:VerifyMac');
  return {
    settingsKey,
    stateKey: key('LedgerSealKey', 'Seals the ledger entries of key groups (cdk-rotating-imported-key)', [lifecycleRole, rotationRole]),
  };
}
