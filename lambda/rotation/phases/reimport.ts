/**
 * Re-import of expiring material (see reimport.ts for which generations and
 * when): for each, a fresh GetParametersForImport, the provider's same
 * material again (purpose "reimport", with the generation's KeyMaterialId),
 * and ImportKeyMaterial with EXISTING_KEY_MATERIAL, so KMS refuses any other
 * material. One generation's failure does not stop the others; the run
 * reports every failure and the expiry alarm watches what is left.
 */
import { Deps, isThrottling, step } from '../context';
import { materialValidToAfter } from '../dates';
import { errorName, isKmsError, MaterialProviderError } from '../errors';
import { generation, GenerationRecord, withGeneration } from '../ledger-model';
import { materialDescription } from '../material-description';
import { expectedWrappedLength, providerRequest } from '../provider-contract';
import { manualReimportWatch, reimportWork } from '../reimport';
import { eventually } from '../retry';
import { Session } from '../session';
import { materialSourceOf } from '../settings';
import { patientlyThrottled } from './patience';

/** A re-import is not started with less time left than this. */
const ACTION_BUDGET_MS = 30_000;
const FRESH = ['NotFoundException', 'KMSInvalidStateException'];
/**
 * GetParametersForImport goes through the single-attempt client (its quota is paced by the phase): a 5xx
 * answer is asked again here, as the SDK would; a new wrapping key and token replace nothing imported.
 */
const PARAMETERS_AGAIN = [...FRESH, 'KMSInternalException'];

export interface ReimportDone {
  readonly reimported: number[];
  /** Generations an operator re-imported (from escrow), seen in KMS in this run. */
  readonly observed?: number[];
  /** Generations whose re-import failed in this run, with why (the next run tries again). */
  readonly failed: { readonly n: number; readonly error: string }[];
  /** The account's request quota ran out: the next run continues. */
  readonly throttled?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export async function reimportPhase(d: Deps, s: Session): Promise<ReimportDone> {
  const done: Mutable<ReimportDone> = { reimported: [], failed: [] };
  for (const n of manualReimportWatch(s.record, d.now())) {
    if (d.remainingMs() < ACTION_BUDGET_MS) break;
    if (await observeManualReimport(d, s, generation(s.record, n)!)) (done.observed ??= []).push(n);
  }
  for (const n of reimportWork(s.record, d.now())) {
    if (d.remainingMs() < ACTION_BUDGET_MS) break;
    const g = generation(s.record, n)!;
    try {
      await reimport(d, s, g);
      done.reimported.push(n);
    } catch (e) {
      if (isThrottling(e)) {
        done.throttled = true;
        break;
      }
      done.failed.push({ n, error: `${errorName(e)}: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return done;
}

/** Whether KMS shows the generation's material valid beyond what the ledger recorded (an operator re-imported it); recorded if so. */
async function observeManualReimport(d: Deps, s: Session, g: GenerationRecord): Promise<boolean> {
  const key = await d.kms.describeKey(g.keyId);
  const kmsValidTo = key?.state === 'Enabled' ? key.materialValidTo : undefined;
  const recorded = Date.parse(g.materialValidTo!);
  // DescribeKey may lag a re-import: only a later date counts; without one, the next run looks again.
  if (!key || key.state !== 'Enabled' || (kmsValidTo !== undefined && kmsValidTo.getTime() <= recorded)) return false;
  await s.save((rec) => withGeneration(rec, {
    ...generation(rec, g.n)!,
    materialValidTo: kmsValidTo?.toISOString(),
    reimportedAt: d.now().toISOString(),
    reimportedBy: 'operator',
  }));
  d.log.info('material re-imported by an operator', { group: s.record.groupId, generation: g.n, keyArn: g.keyArn, materialValidTo: kmsValidTo?.toISOString() ?? 'never' });
  return true;
}

async function reimport(d: Deps, s: Session, g: GenerationRecord): Promise<void> {
  const settings = s.record.settings;
  const source = materialSourceOf(settings);
  if (source.type !== 'function') throw new Error('only material from a provider function is re-imported automatically');
  const validityDays = settings.materialValidityDays;
  const { wrappingAlgorithm, wrappingKeySpec } = settings;
  const provider = source.functionArn;
  await step(d, 'reimport', {
    group: s.record.groupId, generation: g.n, keyArn: g.keyArn, provider, keyMaterialId: g.keyMaterialId, materialValidTo: g.materialValidTo,
  }, async () => {
    if (!g.keyMaterialId) throw new MaterialProviderError(provider, `was not asked: generation ${g.n} has no recorded KeyMaterialId to re-import`);
    if (!d.provider) throw new MaterialProviderError(provider, 'cannot be invoked from here (no Lambda client)');
    const ask = () => d.kms.importParameters(g.keyId, wrappingAlgorithm, wrappingKeySpec);
    const params = await patientlyThrottled(d, () => eventually(d, PARAMETERS_AGAIN, ask));
    const validTo = validityDays > 0 ? materialValidToAfter(d.now(), validityDays) : undefined;
    try {
      const request = providerRequest(
        { group: s.record.groupId, generation: g.n, keyId: g.keyId, wrappingAlgorithm, wrappingKeySpec },
        params, d.now(), { keyMaterialId: g.keyMaterialId },
      );
      const answer = await d.provider.wrappedMaterial(provider, request, expectedWrappedLength(params.publicKey, wrappingAlgorithm), d.remainingMs());
      const description = g.keyMaterialDescription ?? materialDescription(s.record.groupId, g.n, 'function', answer.description);
      try {
        await d.kms.importMaterial(g.keyId, params.importToken, answer.encryptedKeyMaterial, validTo, description, g.keyMaterialId);
      } catch (e) {
        if (isKmsError(e, 'IncorrectKeyMaterialException', 'InvalidCiphertextException')) {
          throw new MaterialProviderError(provider, `answered material KMS refused for the re-import of generation ${g.n} `
            + `(${(e as Error).name}: it is not the material with KeyMaterialId ${g.keyMaterialId}, or not wrapped to this request's public key)`);
        }
        throw e;
      }
    } finally {
      Buffer.from(params.importToken.buffer, params.importToken.byteOffset, params.importToken.byteLength).fill(0);
    }
    await s.save((rec) => withGeneration(rec, {
      ...generation(rec, g.n)!,
      materialValidTo: validTo?.toISOString(),
      reimportedAt: d.now().toISOString(),
      reimportedBy: 'function',
    }));
  });
}
