/**
 * EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, RotateKeyOnDemand and
 * ListKeyRotations.
 */
import { randomBytes } from 'crypto';
import { MS_PER_DAY } from '../clock';
import { invalidState, limitExceeded, unsupported } from '../errors';
import type { Input } from '../input';
import type { MaterialRecord } from '../model';
import { paginate } from '../paging';
import { computeMaterialId } from '../store';
import { Handler, HandlerContext, Output, readLimit } from './types';

/** On-demand rotations allowed per key. */
export const MAX_ON_DEMAND_ROTATIONS = 25;
const INCLUDE_KEY_MATERIAL = ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY'] as const;

const enableKey: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const key = store.resolveKey(input.requiredString('KeyId', { max: 2048 }), { allowAlias: false });
  const state = store.keyState(key);
  if (state === 'PendingDeletion' || state === 'PendingImport') {
    throw invalidState(`${key.arn} is ${state === 'PendingDeletion' ? 'pending deletion' : 'pending import'}.`);
  }
  key.disabled = false;
  return {};
};

const disableKey: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const key = store.resolveKey(input.requiredString('KeyId', { max: 2048 }), { allowAlias: false });
  const state = store.keyState(key);
  if (state === 'PendingDeletion' || state === 'PendingImport') {
    throw invalidState(`${key.arn} is ${state === 'PendingDeletion' ? 'pending deletion' : 'pending import'}.`);
  }
  key.disabled = true;
  return {};
};

const scheduleKeyDeletion: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const days = input.optionalInt('PendingWindowInDays', 7, 30) ?? 30;
  const key = store.resolveKey(keyId, { allowAlias: false });
  store.assertNotPendingDeletion(key);
  key.deletionDate = new Date(store.now().getTime() + days * MS_PER_DAY);
  key.pendingWindowInDays = days;
  return { KeyId: key.arn, DeletionDate: key.deletionDate, KeyState: 'PendingDeletion', PendingWindowInDays: days };
};

/** The key returns to Disabled, or to PendingImport when key material is missing. */
const cancelKeyDeletion: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const key = store.resolveKey(input.requiredString('KeyId', { max: 2048 }), { allowAlias: false });
  if (store.keyState(key) !== 'PendingDeletion') {
    throw invalidState(`${key.arn} is not pending deletion.`);
  }
  key.deletionDate = undefined;
  key.pendingWindowInDays = undefined;
  key.disabled = true;
  return { KeyId: key.arn };
};

const rotateKeyOnDemand: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const key = store.resolveKey(input.requiredString('KeyId', { max: 2048 }), { allowAlias: false });
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    // "You cannot perform on-demand rotation of asymmetric KMS keys, HMAC KMS keys, ..." (API_RotateKeyOnDemand).
    throw unsupported(`${key.arn} has key spec ${key.keySpec}; only symmetric encryption keys can be rotated on demand.`);
  }
  store.assertUsable(key);
  if (key.onDemandRotations >= MAX_ON_DEMAND_ROTATIONS) {
    throw limitExceeded(`${key.arn} has reached the maximum of ${MAX_ON_DEMAND_ROTATIONS} on-demand rotations.`);
  }
  let next: MaterialRecord | undefined;
  if (key.origin === 'EXTERNAL') {
    next = key.materials.find((m) => m.state === 'PENDING_ROTATION');
    if (!next) {
      throw invalidState(`${key.arn} has no imported key material in PENDING_ROTATION state; import new key material first.`);
    }
  } else {
    const bytes = randomBytes(32);
    next = { id: computeMaterialId(key.id, bytes), seq: store.nextMaterialSeq(), bytes, state: 'PENDING_ROTATION' };
    key.materials.push(next);
  }
  const current = store.currentMaterial(key);
  if (current) {
    current.state = 'NON_CURRENT';
  }
  next.state = 'CURRENT';
  next.rotationDate = store.now();
  key.onDemandRotations += 1;
  return { KeyId: key.arn };
};

const listKeyRotations: Handler = ({ store }: HandlerContext, input: Input): Output => {
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const include = input.optionalEnum('IncludeKeyMaterial', INCLUDE_KEY_MATERIAL) ?? 'ROTATIONS_ONLY';
  const limit = readLimit(input, { max: 1000, default: 100 });
  const marker = input.optionalString('Marker', { max: 1024 });
  const key = store.resolveKey(keyId, { allowAlias: false });
  const external = key.origin === 'EXTERNAL';
  const materials = key.materials
    .filter((m) => include === 'ALL_KEY_MATERIAL' || m.rotationDate !== undefined)
    .sort((a, b) => a.seq - b.seq);
  const page = paginate(materials, (m) => String(m.seq).padStart(12, '0'), limit, marker);
  return {
    Rotations: page.items.map((m) => ({
      KeyId: key.id,
      KeyMaterialId: m.id,
      KeyMaterialDescription: external ? m.description : undefined,
      ImportState: external ? (m.bytes !== undefined ? 'IMPORTED' : 'PENDING_IMPORT') : undefined,
      KeyMaterialState: m.state,
      ExpirationModel: external ? m.expirationModel : undefined,
      ValidTo: external && m.expirationModel === 'KEY_MATERIAL_EXPIRES' ? m.validTo : undefined,
      RotationDate: m.rotationDate,
      RotationType: m.rotationDate !== undefined ? 'ON_DEMAND' : undefined,
    })),
    Truncated: page.truncated,
    NextMarker: page.nextMarker,
  };
};

export const lifecycleHandlers: Record<string, Handler> = {
  EnableKey: enableKey,
  DisableKey: disableKey,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CancelKeyDeletion: cancelKeyDeletion,
  RotateKeyOnDemand: rotateKeyOnDemand,
  ListKeyRotations: listKeyRotations,
};
