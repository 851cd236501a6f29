/**
 * GetKeyPolicy / PutKeyPolicy, and key policy validation shared with CreateKey.
 *
 * Policies are stored and returned verbatim; they are evaluated only in the authorization
 * mode (see authorizer.ts).
 */
import { limitExceeded, notFound, SimError, validation } from '../errors';
import type { Input } from '../input';
import type { Handler, HandlerContext, Output } from './types';

/** Maximum key policy size (32 KB). */
export const MAX_POLICY_BYTES = 32768;

const malformed = (message: string): SimError => new SimError('MalformedPolicyDocumentException', message);

/** The default key policy KMS attaches when CreateKey has no Policy. */
export function defaultPolicy(accountId: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}

/**
 * Checks the structure of a key policy: size, JSON syntax, a non-empty Statement whose
 * entries have an Effect of Allow/Deny and a Principal.
 */
export function validatePolicy(policy: string): void {
  if (Buffer.byteLength(policy, 'utf8') > MAX_POLICY_BYTES) {
    throw limitExceeded(`Policy exceeds the maximum size of ${MAX_POLICY_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    throw malformed('Policy is not a valid JSON document');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw malformed('Policy must be a JSON object');
  }
  const statement = (doc as Record<string, unknown>).Statement;
  const statements = Array.isArray(statement) ? statement : statement !== undefined ? [statement] : [];
  if (statements.length === 0) {
    throw malformed('Policy must contain a Statement');
  }
  for (const s of statements) {
    if (typeof s !== 'object' || s === null) {
      throw malformed('Each policy statement must be an object');
    }
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') {
      throw malformed('Each policy statement must have an Effect of Allow or Deny');
    }
    if (st.Principal === undefined && st.NotPrincipal === undefined) {
      throw malformed('Policy contains a statement with no principal');
    }
  }
}

function readPolicyName(input: Input): string {
  return input.optionalString('PolicyName', { max: 128 }) ?? 'default';
}

const getKeyPolicy: Handler = ({ store, view }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const policyName = readPolicyName(input);
  const key = store.resolveKey(keyId, { allowAlias: false, view });
  if (policyName !== 'default') {
    throw notFound(`No such policy: ${policyName}`);
  }
  return { Policy: key.policy, PolicyName: 'default' };
};

const putKeyPolicy: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const policy = input.requiredString('Policy', { max: 131072 });
  const policyName = readPolicyName(input);
  if (policyName !== 'default') {
    throw validation(`PolicyName must be 'default', got '${policyName}'`);
  }
  // The key-state table allows PutKeyPolicy in every state, PendingDeletion included.
  const key = store.resolveKey(keyId, { allowAlias: false });
  validatePolicy(policy);
  key.policy = policy;
  return {};
};

export const policyHandlers: Record<string, Handler> = {
  GetKeyPolicy: getKeyPolicy,
  PutKeyPolicy: putKeyPolicy,
};
