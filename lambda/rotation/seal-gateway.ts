/**
 * The gateway to the stack's two KMS HMAC seal keys. The settings key makes
 * MACs only for the lifecycle role (its key policy denies GenerateMac to
 * every other principal); the state key only for the two function roles.
 * Both verify for anyone the account allows kms:VerifyMac (reports).
 */
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { isKmsError } from './errors';
import { Seal, SealKind } from './seal-messages';

const MAC_ALGORITHM = 'HMAC_SHA_256';

/** The ARNs of the stack's seal keys, from the functions' environment (only a deploy changes it). */
export interface SealKeys {
  readonly settings: string;
  readonly state: string;
}

/** `foreign`: no seal, or one made by a key other than this stack's. */
export type SealCheck = 'valid' | 'invalid' | 'foreign';

function isSeal(v: unknown): v is Seal {
  return typeof v === 'object' && v !== null && typeof (v as Seal).keyArn === 'string' && typeof (v as Seal).mac === 'string';
}

export class SealGateway {
  /** MACs this process made or verified: a sealed message never changes, so it is verified once. */
  private readonly known = new Set<string>();

  constructor(private readonly kms: KMSClient, readonly keys: SealKeys) {}

  async seal(kind: SealKind, message: Buffer): Promise<Seal> {
    const r = await this.kms.send(new GenerateMacCommand({ KeyId: this.keys[kind], Message: message, MacAlgorithm: MAC_ALGORITHM }));
    const seal = { keyArn: this.keys[kind], mac: Buffer.from(r.Mac ?? []).toString('base64') };
    this.known.add(knownKey(kind, message, seal));
    return seal;
  }

  async check(kind: SealKind, message: Buffer, seal: unknown): Promise<SealCheck> {
    if (!isSeal(seal) || seal.keyArn !== this.keys[kind]) return 'foreign';
    const key = knownKey(kind, message, seal);
    if (this.known.has(key)) return 'valid';
    try {
      const r = await this.kms.send(new VerifyMacCommand({
        KeyId: this.keys[kind], Message: message, MacAlgorithm: MAC_ALGORITHM, Mac: Buffer.from(seal.mac, 'base64'),
      }));
      if (r.MacValid !== true) return 'invalid';
    } catch (e) {
      if (isKmsError(e, 'KMSInvalidMacException')) return 'invalid';
      throw e;
    }
    this.known.add(key);
    return 'valid';
  }
}

function knownKey(kind: SealKind, message: Buffer, seal: Seal): string {
  return `${kind}\n${seal.keyArn}\n${seal.mac}\n${message.toString('base64')}`;
}
