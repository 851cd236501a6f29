/**
 * The `KeyMaterialDescription` each import stamps on its material, so that
 * KMS itself (ListKeyRotations, CloudTrail) says which group, generation and
 * source the material belongs to. Pure.
 */

/** KMS accepts at most 256 characters of `^[a-zA-Z0-9:/_\s.-]+$`. */
const ALLOWED = /^[a-zA-Z0-9:/_\s.-]{1,256}$/;

/**
 * Where a generation's material came from: `generated` (made in the function)
 * or `function` (wrapped by the group's material provider function).
 */
export type MaterialSource = 'generated' | 'function';

/** `label`: the provider's own name for the material (one token), appended as `provider:<label>`. */
export function materialDescription(groupId: string, n: number, source: MaterialSource, label?: string): string {
  const text = `rotation group:${groupId} generation:${n} source:${source}${label !== undefined ? ` provider:${label}` : ''}`;
  if (!ALLOWED.test(text)) throw new Error(`key material description ${JSON.stringify(text)} is not one KMS accepts`);
  return text;
}
