/**
 * Helpers of the authorization tests: principals with identity policies and their clients.
 */
import { CreateKeyCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import type { PolicyDocument, PolicyStatement } from '../iam';
import { KmsSimulator } from './index';

export const ACCOUNT = '111122223333';
export const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;
export const aliasArn = (name: string): string => `arn:aws:kms:us-east-1:${ACCOUNT}:${name}`;

/** An identity policy with one Allow statement. */
export function allow(action: string | string[], resource: string | string[] = '*', condition?: PolicyStatement['Condition']): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) }] };
}

/** A key policy: the default account delegation plus `extra` statements. */
export function keyPolicy(...extra: PolicyStatement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }, ...extra],
  });
}

let nextPrincipal = 0;

export interface TestPrincipal {
  readonly accessKeyId: string;
  readonly arn: string;
  /** A client signing as this principal, without SDK retries. */
  readonly kms: KMSClient;
}

/** Registers a new role with `policies`. */
export function principal(sim: KmsSimulator, name: string, ...policies: PolicyDocument[]): TestPrincipal {
  nextPrincipal += 1;
  const accessKeyId = `AKIATEST${String(nextPrincipal).padStart(12, '0')}`;
  const arn = roleArn(`${name}${nextPrincipal}`);
  sim.authorization.setPrincipal({ accessKeyId, arn, policies });
  return { accessKeyId, arn, kms: sim.clientFor(accessKeyId, { maxAttempts: 1 }) };
}

/** Creates a key (admin) and returns its id and ARN. */
export type CreateKeyInput = ConstructorParameters<typeof CreateKeyCommand>[0];

export async function adminKey(admin: KMSClient, input: CreateKeyInput = {}): Promise<{ id: string; arn: string }> {
  const md = (await admin.send(new CreateKeyCommand(input))).KeyMetadata!;
  return { id: md.KeyId!, arn: md.Arn! };
}

/** The error a call failed with. */
export async function failure(p: Promise<unknown>): Promise<KMSServiceException> {
  try {
    await p;
  } catch (e) {
    return e as KMSServiceException;
  }
  throw new Error('expected the call to fail');
}
