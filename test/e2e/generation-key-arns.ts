/**
 * The key ARNs of every generation of a key group, found the way a user finds
 * them: through the generation aliases `alias/rotation/<groupId>/generation-<n>`
 * (see docs/wire-contract.md), calling DescribeKey on n = 1, 2, … until KMS
 * answers NotFoundException.
 *
 * This is the recipe docs/encryption-sdk.md (linked from the README) recommends
 * for building an explicit ("strict") AWS Encryption SDK keyring that can
 * decrypt everything ever encrypted under the user alias. The list must be
 * refreshed after each rotation: a keyring built from an older list does not
 * know the newest generation.
 */
import { DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';

export async function generationKeyArns(kms: KMSClient, groupId: string): Promise<string[]> {
  const arns: string[] = [];
  for (let n = 1; ; n++) {
    try {
      const r = await kms.send(new DescribeKeyCommand({ KeyId: `alias/rotation/${groupId}/generation-${n}` }));
      arns.push(r.KeyMetadata!.Arn!);
    } catch (e) {
      if (e instanceof NotFoundException) return arns;
      throw e;
    }
  }
}
