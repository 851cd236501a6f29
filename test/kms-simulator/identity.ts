/**
 * Who is calling (authorization mode): the access key id of the SigV4 `Authorization`
 * header (`Credential=<AKID>/<date>/<region>/<service>/aws4_request`) names a configured
 * principal. Signatures are not verified.
 */
import type { PolicyDocument } from '../iam';
import { SimError } from './errors';

/** A principal the simulator knows, with its identity-based (IAM) policies. */
export interface SimPrincipal {
  readonly accessKeyId: string;
  /** e.g. `arn:aws:iam::111122223333:role/RotationRole` */
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

export interface Caller extends SimPrincipal {
  /** The account of the principal's ARN. */
  readonly account: string;
}

/** The identity policy of the simulator's own (default) credentials. */
export const ALLOW_ALL_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'SimulatorAdmin', Effect: 'Allow', Action: '*', Resource: '*' }],
};

const CREDENTIAL_RE = /Credential=([^/,\s]+)\//;

/** The access key id of a SigV4 Authorization header. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : CREDENTIAL_RE.exec(authorization)?.[1];
}

function accountOf(arn: string): string {
  const account = arn.split(':')[4];
  if (!arn.startsWith('arn:') || account === undefined || !/^\d{12}$/.test(account)) {
    throw new Error(`principal ARN must name a 12-digit account: ${arn}`);
  }
  return account;
}

export class PrincipalRegistry {
  private readonly byAccessKey = new Map<string, Caller>();

  constructor(principals: readonly SimPrincipal[]) {
    principals.forEach((p) => this.set(p));
  }

  /** Adds or replaces the principal of `principal.accessKeyId`. */
  public set(principal: SimPrincipal): void {
    this.byAccessKey.set(principal.accessKeyId, { ...principal, policies: [...principal.policies], account: accountOf(principal.arn) });
  }

  /** The caller of a request, from its Authorization header. */
  public identify(authorization: string | undefined): Caller {
    const accessKeyId = accessKeyIdOf(authorization);
    if (accessKeyId === undefined) {
      throw new SimError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const caller = this.byAccessKey.get(accessKeyId);
    if (!caller) {
      throw new SimError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    return caller;
  }
}
