import { createPublicKey, KeyObject } from 'node:crypto';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * How generated material is wrapped to the escrow public key.
 */
export enum EscrowWrapping {
  /**
   * RSA-OAEP with SHA-256 (and MGF1 with SHA-256) of the 32 bytes of
   * material: one RSA block, unwrapped with one `openssl pkeyutl` command.
   */
  RSAES_OAEP_SHA_256 = 'RSAES_OAEP_SHA_256',

  /**
   * RSA-OAEP-SHA-256 of an ephemeral AES-256 key, followed by the material
   * wrapped with that key (AES key wrap with padding, RFC 5649): the layout
   * KMS's own RSA_AES_KEY_WRAP_SHA_256 uses, for escrow procedures that
   * expect it.
   */
  RSA_AES_KEY_WRAP_SHA_256 = 'RSA_AES_KEY_WRAP_SHA_256',
}

/**
 * Options of escrow into a bucket.
 */
export interface MaterialEscrowOptions {
  /**
   * The customer's escrow RSA public key, 2048 to 4096 bits, as a PEM
   * `PUBLIC KEY` (SubjectPublicKeyInfo), e.g. the output of
   * `openssl pkey -in escrow-private.pem -pubout`. Its private key stays
   * offline: docs/escrow-recovery.md uses it to unwrap an escrow object.
   */
  readonly publicKeyPem: string;

  /**
   * How the material is wrapped to `publicKeyPem`.
   *
   * @default EscrowWrapping.RSAES_OAEP_SHA_256
   */
  readonly wrapping?: EscrowWrapping;

  /**
   * Prefix of the escrow objects; each key group writes under
   * `<prefix><groupId>/`. Empty, or ending in `/`.
   *
   * @default 'escrow/'
   */
  readonly prefix?: string;
}

/**
 * Options of escrow into a bucket the key group creates.
 */
export interface NewEscrowBucketOptions extends MaterialEscrowOptions {
  /**
   * Object Lock retention of every escrow object (COMPLIANCE mode: nobody,
   * including the account root, can delete an object version or shorten its
   * retention until it ends), 1 day to 100 years in whole days. Choose at
   * least the time data encrypted under a generation must stay decryptable.
   */
  readonly lockRetention: Duration;
}

const MIN_BITS = 2048;
const MAX_BITS = 4096;
const MIN_LOCK_DAYS = 1;
const MAX_LOCK_DAYS = 36_500;
const PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)*$/;
const MAX_PREFIX = 200;

/** What a key group needs of its escrow at synth. @internal */
export interface BoundEscrow {
  readonly bucket: s3.IBucket;
  /** The custom resource property `Escrow`. */
  readonly property: string;
  /** `arn:...:s3:::<bucket>/<prefix><groupId>/*`: the only objects the roles may write and read. */
  readonly objectsArn: string;
}

/**
 * Escrow of generated key material: before each import, the rotation (and,
 * for generation 1, the lifecycle) function wraps the same 32 bytes to the
 * customer's offline RSA public key and writes them, with the generation's
 * group, number, key ARN and key id, to an S3 object; after the import the
 * object is tagged with the KMS key material id and read back, and only then
 * may the generation be promoted. The plaintext is never stored. See
 * "Escrow of key material" in the README and docs/escrow-recovery.md.
 *
 * Only for `KeyMaterialSource.generated()`: a provider function's material
 * never enters this library's functions (escrow it where it is made).
 */
export class MaterialEscrow {
  /**
   * Escrow into an existing bucket. It works with or without Object Lock;
   * for escrow that nobody can delete, give it versioning and Object Lock in
   * COMPLIANCE mode (or use `toNewBucket`). A bucket encrypted with a KMS key
   * (`bucket.encryptionKey`) gets the roles `kms:GenerateDataKey` and
   * `kms:Decrypt` on that key; a bucket imported by name has no known key,
   * so its key (if any) must allow the roles itself.
   */
  public static toBucket(bucket: s3.IBucket, options: MaterialEscrowOptions): MaterialEscrow {
    return new MaterialEscrow(bucket, options, undefined);
  }

  /**
   * Escrow into a bucket the key group creates: versioned, Object Lock with a
   * default retention of `lockRetention` in COMPLIANCE mode, public access
   * blocked, TLS required, SSE-S3 encrypted, and retained when the stack is
   * deleted. One bucket per key group.
   */
  public static toNewBucket(options: NewEscrowBucketOptions): MaterialEscrow {
    return new MaterialEscrow(undefined, options, options.lockRetention ?? Duration.days(0));
  }

  private constructor(
    private readonly bucket: s3.IBucket | undefined,
    private readonly options: MaterialEscrowOptions,
    private readonly lockRetention: Duration | undefined,
  ) {}

  /**
   * Synth-time problems, each naming the prop.
   * @internal
   */
  public _problems(): string[] {
    const problems: string[] = [];
    const pem = this.options.publicKeyPem;
    if (Token.isUnresolved(pem)) {
      problems.push('escrow.publicKeyPem must be a literal PEM string (it is checked and converted at synth); received a token');
    } else {
      const key = parsePublicKey(pem);
      if (typeof key === 'string') {problems.push(`escrow.publicKeyPem ${key}`);} else if (key.asymmetricKeyType !== 'rsa') {
        problems.push(`escrow.publicKeyPem must be an RSA public key of ${MIN_BITS} to ${MAX_BITS} bits; received a ${key.asymmetricKeyType} key`);
      } else {
        const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
        if (bits < MIN_BITS || bits > MAX_BITS) problems.push(`escrow.publicKeyPem must be an RSA public key of ${MIN_BITS} to ${MAX_BITS} bits; received ${bits} bits`);
      }
    }
    const prefix = this.prefix;
    if (Token.isUnresolved(prefix) || prefix.length > MAX_PREFIX || !PREFIX.test(prefix)) {
      problems.push(`escrow.prefix must be empty or end in "/", at most ${MAX_PREFIX} characters of letters, digits and !_.*'()-; received ${JSON.stringify(prefix)}`);
    }
    const wrapping = this.options.wrapping ?? EscrowWrapping.RSAES_OAEP_SHA_256;
    if (!Object.values(EscrowWrapping).includes(wrapping)) {
      problems.push(`escrow.wrapping must be EscrowWrapping.RSAES_OAEP_SHA_256 or EscrowWrapping.RSA_AES_KEY_WRAP_SHA_256; received ${JSON.stringify(wrapping)}`);
    }
    if (this.lockRetention !== undefined) {
      const retention = this.lockRetention;
      if (retention.isUnresolved()) {
        problems.push('escrow.lockRetention must be a literal duration');
      } else {
        const days = retention.toSeconds({ integral: false }) / 86_400;
        if (!Number.isInteger(days) || days < MIN_LOCK_DAYS || days > MAX_LOCK_DAYS) {
          problems.push(`escrow.lockRetention must be whole days from ${MIN_LOCK_DAYS} day to ${MAX_LOCK_DAYS} days (100 years); received ${retention.toHumanString()}`);
        }
      }
    }
    return problems;
  }

  /**
   * The bucket (created in `scope` for toNewBucket), the custom resource
   * property and the object ARN pattern of key group `groupId`.
   * @internal
   */
  public _bind(scope: Construct, groupId: string): BoundEscrow {
    const bucket = this.bucket ?? new s3.Bucket(scope, 'EscrowBucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(this.lockRetention!.toDays())),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const der = createPublicKey(this.options.publicKeyPem).export({ format: 'der', type: 'spki' });
    const property = Stack.of(scope).toJsonString({
      bucket: bucket.bucketName,
      prefix: this.prefix,
      publicKey: der.toString('base64'),
      wrapping: this.options.wrapping ?? EscrowWrapping.RSAES_OAEP_SHA_256,
    });
    return { bucket, property, objectsArn: bucket.arnForObjects(`${this.prefix}${groupId}/*`) };
  }

  /**
   * Whether the key group creates the bucket (toNewBucket).
   * @internal
   */
  public get _createsBucket(): boolean {
    return this.bucket === undefined;
  }

  private get prefix(): string {
    return this.options.prefix ?? 'escrow/';
  }
}

function parsePublicKey(pem: string): KeyObject | string {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    return 'must be a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), e.g. from `openssl pkey -in escrow-private.pem -pubout`; received no -----BEGIN PUBLIC KEY----- block';
  }
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    return `is not a readable PEM public key (${(e as Error).message})`;
  }
}
