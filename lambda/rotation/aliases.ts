/**
 * Alias names of a key group. Pure.
 */
export const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9/_-]+$/;
export const MAX_ALIAS_LENGTH = 256;
export const GROUP_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const GENERATION_ALIAS_ROOT = 'alias/rotation/';

/** `alias/rotation/<groupId>/generation-<n>`: registers generation n and is its author's claim. */
export function generationAlias(groupId: string, generation: number): string {
  return `${GENERATION_ALIAS_ROOT}${groupId}/generation-${generation}`;
}

export function generationAliasPrefix(groupId: string): string {
  return `${GENERATION_ALIAS_ROOT}${groupId}/`;
}

/** Problems with a user alias name, as readable sentences; empty when valid. */
export function aliasNameProblems(aliasName: unknown, field = 'aliasName'): string[] {
  if (typeof aliasName !== 'string') return [`${field} must be a string like "alias/my-key"`];
  const problems: string[] = [];
  if (!ALIAS_PATTERN.test(aliasName)) problems.push(`${field} must match ${ALIAS_PATTERN} (got ${JSON.stringify(aliasName.slice(0, 300))})`);
  if (aliasName.length > MAX_ALIAS_LENGTH) problems.push(`${field} must be at most ${MAX_ALIAS_LENGTH} characters (got ${aliasName.length})`);
  if (aliasName.startsWith('alias/aws/')) problems.push(`${field} must not start with "alias/aws/" (reserved for AWS managed keys)`);
  if (aliasName.startsWith(GENERATION_ALIAS_ROOT)) problems.push(`${field} must not start with "${GENERATION_ALIAS_ROOT}" (reserved for generation aliases)`);
  return problems;
}
