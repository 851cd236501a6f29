/**
 * The stack's two seal keys in the simulator, made as CloudFormation makes
 * them (by the deployer), with the key policies the stack synthesizes when
 * given (KMS's default policy otherwise).
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SealKeys } from '../../lambda/rotation/seal-gateway';

export interface SealKeyPolicies {
  readonly settings: string;
  readonly state: string;
}

export async function createSealKeys(kms: KMSClient, policies?: SealKeyPolicies): Promise<SealKeys> {
  const key = async (policy?: string) => (await kms.send(new CreateKeyCommand({
    KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: policy, BypassPolicyLockoutSafetyCheck: policy !== undefined,
  }))).KeyMetadata!.Arn!;
  return { settings: await key(policies?.settings), state: await key(policies?.state) };
}
