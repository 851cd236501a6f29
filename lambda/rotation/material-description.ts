/**
 * The `KeyMaterialDescription` each import stamps on its material, so that
 * KMS itself (ListKeyRotations, CloudTrail) says which group, generation and
 * source the material belongs to. Pure.
 */

/** KMS accepts at most 256 characters of `^[a-zA-Z0-9:/_\s.-]+$`. */
const ALLOWED = /^[a-zA-Z0-9:/_\s.-]{1,256}$/;

/** Where a generation's material came from. Only `generated` (made in the function) exists today. */
export type MaterialSource = 'generated';

export function materialDescription(groupId: string, n: number, source: MaterialSource): string {
  const text = `rotation group:${groupId} generation:${n} source:${source}`;
  if (!ALLOWED.test(text)) throw new Error(`key material description ${JSON.stringify(text)} is not one KMS accepts`);
  return text;
}
