/**
 * KeyMetadata as returned by CreateKey and DescribeKey.
 */
import { hmacFacts, isHmacKeySpec } from './hmac';
import type { KeyRecord } from './model';
import type { SimStore } from './store';

export function keyMetadata(store: SimStore, key: KeyRecord): Record<string, unknown> {
  const state = store.keyState(key);
  const current = store.currentMaterial(key);
  return {
    AWSAccountId: store.accountId,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: key.creationDate,
    Enabled: state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: state,
    DeletionDate: state === 'PendingDeletion' ? key.deletionDate : undefined,
    ValidTo: key.origin === 'EXTERNAL' ? store.keyValidTo(key) : undefined,
    Origin: key.origin,
    ExpirationModel: store.keyExpirationModel(key),
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    ...(isHmacKeySpec(key.keySpec)
      ? { MacAlgorithms: [hmacFacts(key.keySpec).macAlgorithm] }
      : { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }),
    MultiRegion: false,
    CurrentKeyMaterialId: current?.id,
  };
}
