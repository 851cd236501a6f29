/**
 * The most generations one key group records. Every generation stays in the
 * group's single ledger item (about 1.5 KB each with its escrow, material and
 * retention records), and DynamoDB refuses an item over 400 KB: the cap keeps
 * the item well inside it with the largest settings (a 32 KB key policy;
 * test/rotation/generation-cap.test.ts measures it). At one rotation a month
 * it is 16 years; the emergency limit (at most 24 a day) keeps operators from
 * reaching it in less than about a week. A group at
 * the cap refuses to start a rotation (one ERROR line, RotationFailed) and
 * changes nothing: deploy a new key group to carry on. Pure.
 */
import { GroupRecord } from './ledger-model';

export const MAX_GENERATIONS = 200;

export class GenerationCapError extends Error {
  constructor(groupId: string, count: number) {
    super(`key group ${groupId} records ${count} generations, the most one group may (${MAX_GENERATIONS}: its ledger item must stay under DynamoDB's 400 KB); `
      + 'no rotation starts: deploy a new key group (a new groupId) to carry on; this one keeps decrypting');
    this.name = 'GenerationCapError';
  }
}

export function assertBelowGenerationCap(rec: GroupRecord): void {
  if (rec.generations.length >= MAX_GENERATIONS) throw new GenerationCapError(rec.groupId, rec.generations.length);
}
