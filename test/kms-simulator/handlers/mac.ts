/**
 * GenerateMac and VerifyMac (HMAC keys, RFC 2104 HMAC under the key material); facts and sources
 * in ../hmac.ts.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { invalidState, SimError, validation } from '../errors';
import { hmacFacts, isHmacKeySpec, MAC_ALGORITHMS } from '../hmac';
import type { Input } from '../input';
import type { KeyRecord } from '../model';
import { assertKeyUsage, dryRun, resolveCryptoKey, tracked } from './crypto-ops';
import type { Handler, HandlerContext, Output } from './types';

export const MAX_MAC_MESSAGE = 4096;
const MAX_MAC = 6144;
const MAX_GRANT_TOKENS = 10;

function checkGrantTokens(input: Input): void {
  const tokens = input.list('GrantTokens');
  if (tokens.length > MAX_GRANT_TOKENS) {
    throw validation(`1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to ${MAX_GRANT_TOKENS}`);
  }
  if (!tokens.every((t) => typeof t === 'string' && t.length >= 1 && t.length <= 8192)) {
    throw validation("1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]");
  }
}

/** The key, its material and the algorithm of a MAC request, after every check but the MAC itself. */
function macRequest(ctx: HandlerContext, input: Input, op: string): { key: KeyRecord; material: Buffer; algorithm: string; message: Buffer } {
  const message = input.requiredBlob('Message', { max: MAX_MAC_MESSAGE });
  const keyId = input.requiredString('KeyId', { max: 2048 });
  const algorithm = input.requiredEnum('MacAlgorithm', MAC_ALGORITHMS);
  checkGrantTokens(input);
  const key = resolveCryptoKey(ctx, keyId);
  assertKeyUsage(key, 'GENERATE_VERIFY_MAC', op);
  if (!isHmacKeySpec(key.keySpec) || hmacFacts(key.keySpec).macAlgorithm !== algorithm) {
    throw new SimError('InvalidKeyUsageException', `${key.arn} does not support ${algorithm}; its key spec ${key.keySpec} supports only ${isHmacKeySpec(key.keySpec) ? hmacFacts(key.keySpec).macAlgorithm : 'none'}.`);
  }
  ctx.store.assertUsable(key);
  const material = ctx.store.currentMaterial(key)?.bytes;
  if (!material) {
    throw invalidState(`${key.arn} is pending import.`);
  }
  return { key, material, algorithm, message };
}

function hmac(key: KeyRecord, material: Buffer, message: Buffer): Buffer {
  if (!isHmacKeySpec(key.keySpec)) {
    throw new Error(`not an HMAC key: ${key.arn}`);
  }
  return createHmac(hmacFacts(key.keySpec).digest, material).update(message).digest();
}

const generateMac: Handler = (ctx: HandlerContext, input: Input): Output => {
  const { key, material, algorithm, message } = macRequest(ctx, input, 'GenerateMac');
  const mac = hmac(key, material, message);
  dryRun(input);
  return { KeyId: key.arn, Mac: mac, MacAlgorithm: algorithm };
};

const verifyMac: Handler = (ctx: HandlerContext, input: Input): Output => {
  const mac = input.requiredBlob('Mac', { max: MAX_MAC });
  const { key, material, algorithm, message } = macRequest(ctx, input, 'VerifyMac');
  const expected = hmac(key, material, message);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new SimError('KMSInvalidMacException', 'The MAC verification failed: the MAC does not match the message, key and MAC algorithm.');
  }
  dryRun(input);
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
};

export const macHandlers: Record<string, Handler> = {
  GenerateMac: tracked('GenerateMac', generateMac),
  VerifyMac: tracked('VerifyMac', verifyMac),
};
