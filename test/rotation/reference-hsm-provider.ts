/**
 * A material provider as a platform team would run one in front of an
 * on-premises HSM (docs/material-provider.md): it holds its own 32-byte
 * material per (group, generation), in memory, and answers each request with
 * that material wrapped to the request's public key (node:crypto, the same
 * RSAES-OAEP and RFC 5649 key wrap OpenSSL does). It can be switched to
 * misbehave in each way the functions must refuse.
 */
import { constants, createCipheriv, createPublicKey, generateKeyPair, generateKeyPairSync, KeyObject, publicEncrypt, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { RawPayload } from './lambda-endpoint';

export type Misbehaviour =
  | 'none'
  /** An answer that is not JSON at all. */
  | 'not-json'
  /** JSON without encryptedKeyMaterial. */
  | 'missing-field'
  /** encryptedKeyMaterial that is not base64. */
  | 'garbage'
  /** Base64 of the wrong number of bytes for the wrapping key. */
  | 'wrong-length'
  /** Correctly sized, wrapped to another RSA key than the request's. */
  | 'other-key'
  /** 16 bytes of material, correctly wrapped (KMS refuses: not 256-bit material). */
  | 'short-material'
  /** Answers only after `delayMs` (longer than the functions wait). */
  | 'time-out'
  /** The function fails (Lambda's FunctionError "Unhandled"). */
  | 'error'
  /** Asked to re-import, answers fresh material instead of the generation's (KMS refuses it). */
  | 'forgetful';

export interface ProviderEvent {
  readonly purpose: string;
  readonly group: string;
  readonly generation: number;
  readonly keyId: string;
  readonly wrappingAlgorithm: string;
  readonly wrappingKeySpec: string;
  readonly publicKey: string;
  readonly importTokenExpiresAt: string;
  readonly keyMaterialId?: string;
}

/** RFC 5649's alternative initial value (AES key wrap with padding). */
const KWP_IV = Buffer.from('A65959A6', 'hex');

export class ReferenceHsmProvider {
  /** Every request, as received. */
  readonly requests: ProviderEvent[] = [];
  misbehave: Misbehaviour = 'none';
  /** How long 'time-out' waits before it answers (real time). */
  delayMs = 2_000;
  /** The label the provider puts in its answers' description. */
  label = 'hsm-partition-7';
  private readonly held = new Map<string, Buffer>();
  private readonly otherKeys = new Map<number, KeyObject>();

  /** The material the HSM holds for a generation (what KMS must have imported). */
  material(group: string, generation: number): Buffer | undefined {
    return this.held.get(`${group}/${generation}`);
  }

  async invoke(event: unknown): Promise<unknown> {
    const e = event as ProviderEvent;
    this.requests.push(e);
    if (e.purpose !== 'new' && e.purpose !== 'reimport') throw Object.assign(new Error(`purpose ${e.purpose} is not supported by this provider`), { name: 'UnsupportedPurpose' });
    // An HSM finds a generation's material by its own label; a re-import of material it never made is an error, not new material.
    if (e.purpose === 'reimport' && !this.held.has(`${e.group}/${e.generation}`)) {
      throw Object.assign(new Error(`no material is held for ${e.group} generation ${e.generation}`), { name: 'MaterialNotHeld' });
    }
    const material = e.purpose === 'reimport' && this.misbehave === 'forgetful' ? randomBytes(32) : this.materialFor(e.group, e.generation);
    const publicKey = createPublicKey({ key: Buffer.from(e.publicKey, 'base64'), format: 'der', type: 'spki' });
    switch (this.misbehave) {
      case 'not-json':
        return new RawPayload('<html>HSM gateway busy</html>');
      case 'missing-field':
        return { wrapped: 'AAAA' };
      case 'garbage':
        return { encryptedKeyMaterial: 'this is not base64!' };
      case 'wrong-length':
        return { encryptedKeyMaterial: randomBytes(100).toString('base64') };
      case 'other-key':
        return { encryptedKeyMaterial: wrap(this.otherKey(publicKey), e.wrappingAlgorithm, material).toString('base64') };
      case 'short-material':
        return { encryptedKeyMaterial: wrap(publicKey, e.wrappingAlgorithm, material.subarray(0, 16)).toString('base64') };
      case 'time-out':
        await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        break;
      case 'error':
        throw Object.assign(new Error('HSM partition is offline'), { name: 'HsmUnavailable' });
      case 'none':
        break;
    }
    return { encryptedKeyMaterial: wrap(publicKey, e.wrappingAlgorithm, material).toString('base64'), description: this.label };
  }

  private materialFor(group: string, generation: number): Buffer {
    const id = `${group}/${generation}`;
    let m = this.held.get(id);
    if (!m) this.held.set(id, m = randomBytes(32));
    return m;
  }

  /** Makes the RSA key 'other-key' wraps to ahead of time (a 4096-bit key takes longer than the functions wait for an answer). */
  async prepareOtherKey(bits: number): Promise<void> {
    const pair = await promisify(generateKeyPair)('rsa', { modulusLength: bits });
    this.otherKeys.set(bits, pair.publicKey);
  }

  /** An RSA key of the same size as the request's, that KMS did not hand out. */
  private otherKey(like: KeyObject): KeyObject {
    const bits = like.asymmetricKeyDetails!.modulusLength!;
    let k = this.otherKeys.get(bits);
    if (!k) this.otherKeys.set(bits, k = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey);
    return k;
  }
}

function oaep(key: KeyObject, hash: 'sha1' | 'sha256', data: Buffer): Buffer {
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

/** Wraps as KMS documents for each algorithm; RSA_AES_KEY_WRAP_SHA_256: RSA-OAEP(ephemeral AES-256 key) || AES-KWP(material). */
export function wrap(key: KeyObject, algorithm: string, material: Buffer): Buffer {
  switch (algorithm) {
    case 'RSAES_OAEP_SHA_256':
      return oaep(key, 'sha256', material);
    case 'RSAES_OAEP_SHA_1':
      return oaep(key, 'sha1', material);
    case 'RSA_AES_KEY_WRAP_SHA_256': {
      const ephemeral = randomBytes(32);
      const cipher = createCipheriv('id-aes256-wrap-pad', ephemeral, KWP_IV);
      return Buffer.concat([oaep(key, 'sha256', ephemeral), cipher.update(material), cipher.final()]);
    }
    default:
      throw Object.assign(new Error(`wrapping algorithm ${algorithm} is not supported by this provider`), { name: 'UnsupportedAlgorithm' });
  }
}
