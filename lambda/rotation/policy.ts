/**
 * Key policies of a group's generations. Pure: builds and edits JSON documents.
 */

export const SID = {
  root: 'EnableIamUserPermissions',
  retiredFence: 'RotationRetiredDecryptOnly',
} as const;

const RESERVED_SID_PREFIX = 'Rotation';
const MAX_POLICY_BYTES = 32_768;

/** What a retired generation must refuse: every way of producing new ciphertext. */
export const RETIRED_DENIED_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncryptTo'];

export type Statement = Record<string, unknown>;
export interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: Statement[];
}

export interface PolicyContext {
  readonly partition: string;
  readonly accountId: string;
  /** The functions' roles: user statements must not lock them out. */
  readonly lifecycleRoleArn: string;
  readonly rotationRoleArn: string;
}

export function rootArn(ctx: Pick<PolicyContext, 'partition' | 'accountId'>): string {
  return `arn:${ctx.partition}:iam::${ctx.accountId}:root`;
}

/**
 * The policy every generation of a group starts with: the account delegation
 * (IAM policies decide, so the functions can do on a key exactly what their
 * synthesized IAM policies allow, and nothing a key-policy statement would add)
 * plus the user's statements.
 */
export function buildKeyPolicy(ctx: PolicyContext, userStatements: readonly Statement[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Id: 'rotating-imported-key',
    Statement: [
      { Sid: SID.root, Effect: 'Allow', Principal: { AWS: rootArn(ctx) }, Action: 'kms:*', Resource: '*' },
      ...userStatements,
    ],
  };
}

/** Adds (or replaces, by Sid) the decrypt-only fence; every other statement is kept as it was. */
export function withRetiredFence(doc: PolicyDocument): PolicyDocument {
  const fence: Statement = {
    Sid: SID.retiredFence,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: RETIRED_DENIED_ACTIONS,
    Resource: '*',
  };
  return { ...doc, Statement: [...doc.Statement.filter((s) => s.Sid !== SID.retiredFence), fence] };
}

/** Whether a key policy carries the retired generations' decrypt-only fence. */
export function isFenced(doc: PolicyDocument): boolean {
  return doc.Statement.some((s) => s.Sid === SID.retiredFence);
}

export function parsePolicy(json: string | undefined, what: string): PolicyDocument {
  if (json === undefined) throw new Error(`${what}: KMS returned no policy`);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new Error(`${what}: the key policy is not valid JSON`);
  }
  const stmts = (doc as { Statement?: unknown })?.Statement;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(stmts)) {
    throw new Error(`${what}: the key policy has no Statement array`);
  }
  return doc as PolicyDocument;
}

export function serializePolicy(doc: PolicyDocument): string {
  const json = JSON.stringify(doc);
  if (Buffer.byteLength(json) > MAX_POLICY_BYTES) {
    throw new Error(`the key policy would be ${Buffer.byteLength(json)} bytes; KMS allows ${MAX_POLICY_BYTES}`);
  }
  return json;
}

function asList(v: unknown): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function principalsOf(p: unknown): string[] {
  if (p === '*') return ['*'];
  if (typeof p !== 'object' || p === null) return [];
  return Object.values(p as Record<string, unknown>).flatMap(asList);
}

function actionCoversPolicyControl(action: string): boolean {
  const a = action.toLowerCase();
  return a === '*' || a === 'kms:*' || a === 'kms:putkeypolicy' || a === 'kms:put*' || a === 'kms:putkey*';
}

/**
 * Problems with user statements, as readable sentences. Refuses statements that
 * would lock the account or the rotation role out of the key (a Deny of policy
 * control to the root, the role or everyone), reserved Sids, and shapes KMS
 * would reject.
 */
export function userStatementProblems(statements: unknown, ctx: PolicyContext): string[] {
  if (!Array.isArray(statements)) return ['KeyPolicyStatements must be a JSON array of IAM policy statements'];
  const problems: string[] = [];
  const guarded = new Set(['*', rootArn(ctx), ctx.accountId, ctx.lifecycleRoleArn, ctx.rotationRoleArn]);
  statements.forEach((s: unknown, i) => {
    const where = `KeyPolicyStatements[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const st = s as Statement;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') problems.push(`${where}.Effect must be "Allow" or "Deny"`);
    if (st.Action === undefined && st.NotAction === undefined) problems.push(`${where} needs Action or NotAction`);
    if (st.Principal === undefined && st.NotPrincipal === undefined) problems.push(`${where} needs a Principal (key policy statements name who they apply to)`);
    if (typeof st.Sid === 'string' && st.Sid.startsWith(RESERVED_SID_PREFIX)) {
      problems.push(`${where}.Sid must not start with "${RESERVED_SID_PREFIX}" (reserved for this library's statements)`);
    }
    if (st.Effect === 'Deny') {
      const lockingActions = st.NotAction !== undefined || asList(st.Action).some(actionCoversPolicyControl);
      const hitsGuarded = st.NotPrincipal !== undefined || principalsOf(st.Principal).some((p) => guarded.has(p));
      if (lockingActions && hitsGuarded) {
        problems.push(`${where} denies key-policy control to the account root, a function role of this library or everyone; that would lock the key out`);
      }
    }
  });
  return problems;
}
