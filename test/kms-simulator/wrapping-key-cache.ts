/**
 * Persists generated RSA wrapping key pairs between test processes, one file per key spec
 * (`wrapping-keys-<spec>.json`, PKCS#8 PEM private keys), so that later processes do not
 * spend seconds generating RSA-4096 keys. These are throw-away test keys, never used for
 * real key material.
 *
 * Concurrent test processes may write the same file: each writes a temporary file and
 * renames it over the old one, so readers see one complete file or the other.
 */
import { randomBytes, createPrivateKey } from 'crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import type { WrappingKeySpec } from './model';
import { WrappingKeyPair, wrappingKeyPairOf } from './wrapping';

const FORMAT = 1;

/** `node_modules/.cache/kms-simulator` of this project. */
export const DEFAULT_WRAPPING_KEY_CACHE_DIR = resolve(__dirname, '..', '..', 'node_modules', '.cache', 'kms-simulator');

interface CacheFile {
  readonly format: number;
  readonly spec: string;
  readonly privateKeys: string[];
}

export function cacheFilePath(dir: string, spec: WrappingKeySpec): string {
  return join(dir, `wrapping-keys-${spec}.json`);
}

/** The key pairs stored for `spec`; none when the file is missing or unusable. */
export function loadCachedPairs(dir: string, spec: WrappingKeySpec): WrappingKeyPair[] {
  try {
    const file = JSON.parse(readFileSync(cacheFilePath(dir, spec), 'utf8')) as CacheFile;
    if (file.format !== FORMAT || file.spec !== spec || !Array.isArray(file.privateKeys)) {
      return [];
    }
    return file.privateKeys.map((pem) => wrappingKeyPairOf(spec, createPrivateKey({ key: pem, format: 'pem' })));
  } catch {
    return [];
  }
}

/** Stores the key pairs of `spec`. Failures are ignored: the cache only saves time. */
export function saveCachedPairs(dir: string, spec: WrappingKeySpec, pairs: readonly WrappingKeyPair[]): void {
  const file: CacheFile = {
    format: FORMAT,
    spec,
    privateKeys: pairs.map((p) => p.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()),
  };
  const target = cacheFilePath(dir, spec);
  const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, JSON.stringify(file), { mode: 0o600 });
    renameSync(temp, target);
  } catch {
    rmSync(temp, { force: true });
  }
}
