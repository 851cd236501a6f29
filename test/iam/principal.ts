/**
 * The Principal and NotPrincipal elements of resource-based policies, for a
 * request made by an IAM principal (a role, its assumed-role sessions, a user).
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 */
import { parseArn } from './arn';

export interface PrincipalMatch {
  /** Named by its own ARN, its role's ARN, or '*'. */
  readonly direct: boolean;
  /** Named through its account: 'arn:aws:iam::ACCT:root' or 'ACCT'. */
  readonly viaAccount: boolean;
}

/** Who made the request, as policies can name it. */
interface Requester {
  readonly arn: string;
  readonly account: string;
  /** The role, for a role ARN or an assumed-role session ARN. */
  readonly role?: { readonly partition: string; readonly name: string };
  readonly isSession: boolean;
}

type Entry =
  | { readonly kind: 'any' }
  | { readonly kind: 'account'; readonly account: string }
  | { readonly kind: 'role'; readonly partition: string; readonly account: string; readonly name: string }
  | { readonly kind: 'arn'; readonly arn: string }
  // Service, Federated and CanonicalUser principals: never an IAM role or user.
  | { readonly kind: 'other' };

const PRINCIPAL_TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

function requester(principalArn: string, principalAccount: string): Requester {
  const arn = parseArn(principalArn);
  const [type, roleName] = arn?.resource.split('/') ?? [];
  const isSession = arn?.service === 'sts' && type === 'assumed-role';
  // A role's path is not part of its session ARN, so a role is identified by account and name.
  const name = isSession ? roleName : arn?.service === 'iam' && type === 'role' ? arn.resource.split('/').pop() : undefined;
  return { arn: principalArn, account: principalAccount, role: arn && name ? { partition: arn.partition, name } : undefined, isSession };
}

function awsEntry(value: string): Entry {
  if (value === '*') return { kind: 'any' };
  if (/^\d{12}$/.test(value)) return { kind: 'account', account: value };
  const arn = parseArn(value);
  if (arn?.service === 'iam' && arn.resource === 'root') return { kind: 'account', account: arn.account };
  if (arn?.service === 'iam' && arn.resource.startsWith('role/')) {
    return { kind: 'role', partition: arn.partition, account: arn.account, name: arn.resource.split('/').pop() ?? '' };
  }
  return { kind: 'arn', arn: value };
}

function entries(element: unknown): Entry[] {
  if (element === '*') return [{ kind: 'any' }];
  if (typeof element !== 'object' || element === null || Array.isArray(element)) {
    throw new Error(`Unsupported Principal element: ${JSON.stringify(element)}`);
  }
  return Object.entries(element).flatMap(([type, value]) => {
    if (!PRINCIPAL_TYPES.includes(type)) throw new Error(`Unsupported principal type: ${type}`);
    const values: unknown[] = Array.isArray(value) ? value : [value];
    return values.map((v): Entry => {
      if (typeof v !== 'string') throw new Error(`Principal ${type} values must be strings, got ${JSON.stringify(v)}`);
      return type === 'AWS' ? awsEntry(v) : { kind: 'other' };
    });
  });
}

const namesAccount = (e: Entry, who: Requester) => e.kind === 'any' || (e.kind === 'account' && e.account === who.account);
const namesRole = (e: Entry, who: Requester) =>
  e.kind === 'any' || (e.kind === 'role' && who.role !== undefined && e.partition === who.role.partition && e.account === who.account && e.name === who.role.name);
const namesArn = (e: Entry, who: Requester) => e.kind === 'any' || (e.kind === 'arn' && e.arn === who.arn);

/** Does a Principal element name the requester, and how? A role ARN also names the role's sessions. */
export function matchPrincipal(element: unknown, principalArn: string, principalAccount: string): PrincipalMatch {
  const who = requester(principalArn, principalAccount);
  const list = entries(element);
  return {
    direct: list.some((e) => e.kind !== 'account' && (namesRole(e, who) || namesArn(e, who))),
    viaAccount: list.some((e) => e.kind === 'account' && namesAccount(e, who)),
  };
}

/**
 * Is the requester excepted by a NotPrincipal element? AWS "might validate the
 * account first, then the role, and then the assumed-role user", so this takes
 * the strict reading: every level of the requester must be listed (its
 * account, its role, and the session or user ARN itself).
 */
export function exceptedByNotPrincipal(element: unknown, principalArn: string, principalAccount: string): boolean {
  const who = requester(principalArn, principalAccount);
  const list = entries(element);
  const listed = (names: (e: Entry, w: Requester) => boolean) => list.some((e) => names(e, who));
  if (!listed(namesAccount)) return false;
  if (who.role === undefined) return listed(namesArn);
  return listed(namesRole) && (!who.isSession || listed(namesArn));
}
