/**
 * Phase "import": GetParametersForImport, wrap material, ImportKeyMaterial.
 * The material is made here (generated) or wrapped by the group's provider
 * function (function), whose answer is checked before ImportKeyMaterial.
 */
import { Deps, step } from '../context';
import { materialValidToAfter } from '../dates';
import { InconsistentGroupError, isKmsError, MaterialProviderError } from '../errors';
import { ImportParameters } from '../kms-gateway';
import { generation, GroupRecord, withGeneration } from '../ledger-model';
import { withFreshMaterial, wrapMaterial } from '../material';
import { materialDescription, MaterialSource } from '../material-description';
import { expectedWrappedLength, providerRequest } from '../provider-contract';
import { eventually } from '../retry';
import { Session } from '../session';
import { materialSourceOf } from '../settings';
import { completeEscrow, escrowBeforeImport } from './escrow';
import { patientlyThrottled } from './patience';

const FRESH = ['NotFoundException', 'KMSInvalidStateException'];
/**
 * GetParametersForImport goes through the single-attempt client (its quota is paced by the phase): a 5xx
 * answer is asked again here, as the SDK would; a new wrapping key and token replace nothing imported.
 */
const PARAMETERS_AGAIN = [...FRESH, 'KMSInternalException'];

/** What one attempt imports: the wrapped material and the description it is stamped with. */
interface Wrapped {
  readonly wrapped: Uint8Array;
  readonly description: string;
}

/** Wraps material for one set of import parameters and passes it to `use`; the plaintext (generated only) is zeroed afterwards. */
async function withWrappedMaterial(
  d: Deps, rec: GroupRecord, n: number, params: ImportParameters, use: (w: Wrapped) => Promise<void>,
  beforeImport?: (material: Buffer) => Promise<void>,
): Promise<void> {
  const settings = rec.settings;
  const source = materialSourceOf(settings);
  if (source.type === 'generated') {
    const description = materialDescription(rec.groupId, n, 'generated');
    await withFreshMaterial(async (material) => {
      // Escrow (MaterialEscrow): the same plaintext, wrapped to the escrow key and written, before KMS gets it.
      await beforeImport?.(material);
      await use({ wrapped: wrapMaterial(params.publicKey, settings.wrappingAlgorithm, material), description });
    });
    return;
  }
  if (!d.provider) throw new MaterialProviderError(source.functionArn, 'cannot be invoked from here (no Lambda client)');
  const g = generation(rec, n)!;
  const request = providerRequest(
    { group: rec.groupId, generation: n, keyId: g.keyId, wrappingAlgorithm: settings.wrappingAlgorithm, wrappingKeySpec: settings.wrappingKeySpec },
    params, d.now(),
  );
  const answer = await d.provider.wrappedMaterial(
    source.functionArn, request, expectedWrappedLength(params.publicKey, settings.wrappingAlgorithm), d.remainingMs(),
  );
  await use({ wrapped: answer.encryptedKeyMaterial, description: materialDescription(rec.groupId, n, 'function', answer.description) });
}

export async function importPhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const g = generation(s.record, r.n)!;
  const settings = s.record.settings;
  const source = materialSourceOf(settings);
  const wrapping = `${settings.wrappingAlgorithm}/${settings.wrappingKeySpec}`;
  const sourceAttributes = source.type === 'function' ? { source: 'function', provider: source.functionArn } : { source: 'generated' };
  await step(d, 'import', { group: s.record.groupId, generation: r.n, keyArn: g.keyArn, wrapping, ...sourceAttributes }, async () => {
    let validTo: Date | undefined;
    let keyMaterialId: string | undefined;
    let description: string | undefined;
    const escrow = settings.escrow;
    // With escrow, the key is probed first: a run that died after importing left it holding the recorded escrow's material
    // (complete it); material with no escrow recorded can never be escrowed (refuse it before writing anything).
    const probed = escrow ? await d.kms.describeKey(g.keyId) : undefined;
    const holds = probed !== undefined && probed.state !== 'PendingImport';
    if (escrow && holds && g.escrow === undefined) throw unescrowedMaterial(s, r.n, g.keyArn);
    const resumed = holds;
    if (resumed) {
      keyMaterialId = probed.currentKeyMaterialId;
      validTo = g.escrow!.materialValidTo ? new Date(g.escrow!.materialValidTo) : undefined;
    }
    for (let attempt = 1; !resumed; attempt++) {
      const ask = () => d.kms.importParameters(g.keyId, settings.wrappingAlgorithm, settings.wrappingKeySpec);
      const params = await patientlyThrottled(d, () => eventually(d, PARAMETERS_AGAIN, ask));
      validTo = settings.materialValidityDays > 0 ? materialValidToAfter(d.now(), settings.materialValidityDays) : undefined;
      try {
        await withWrappedMaterial(d, s.record, r.n, params, async (w) => {
          description = w.description;
          const imported = () => d.kms.importMaterial(g.keyId, params.importToken, w.wrapped, validTo, w.description);
          keyMaterialId = await eventually(d, FRESH, imported);
        }, escrow && ((material) => escrowBeforeImport(d, s, escrow, r.n, material, validTo).then(() => undefined)));
        break;
      } catch (e) {
        if (escrow && isKmsError(e, 'IncorrectKeyMaterialException')) {
          // Material arrived between the probe and this import: the object just recorded holds other material, so it is
          // unrecorded again (a later run must never verify it), and the generation is never promoted.
          await s.save((rec) => withGeneration(rec, { ...generation(rec, r.n)!, escrow: undefined }));
          throw unescrowedMaterial(s, r.n, g.keyArn);
        }
        if (isKmsError(e, 'IncorrectKeyMaterialException')) {
          // A run that died after importing: the key holds other material already; the probe tells.
          if (source.type === 'generated' || await holdsMaterial(d, g.keyId)) break;
          throw refusedByKms(source.functionArn, e, settings.wrappingAlgorithm);
        }
        if (attempt < 2 && isKmsError(e, 'ExpiredImportTokenException', 'InvalidImportTokenException')) continue;
        if (source.type === 'function' && isKmsError(e, 'InvalidCiphertextException')) throw refusedByKms(source.functionArn, e, settings.wrappingAlgorithm);
        throw e;
      } finally {
        Buffer.from(params.importToken.buffer, params.importToken.byteOffset, params.importToken.byteLength).fill(0);
      }
    }
    // Tagged with the material id and read back before the test phase: no generation is promoted without a verified escrow.
    const escrowed = escrow ? await completeEscrow(d, s, escrow, r.n, keyMaterialId) : undefined;
    const now = d.now().toISOString();
    const recorded: MaterialSource = source.type;
    await s.save((rec) => ({
      ...withGeneration(rec, {
        ...generation(rec, r.n)!,
        importedAt: now,
        materialValidTo: validTo?.toISOString(),
        keyMaterialDescription: description ?? materialDescription(rec.groupId, r.n, recorded),
        keyMaterialId,
        materialSource: recorded,
        ...(escrowed ? { escrow: escrowed } : {}),
      }),
      rotation: { ...rec.rotation!, phase: 'test' },
    }));
  });
}

function unescrowedMaterial(s: Session, n: number, keyArn: string): InconsistentGroupError {
  return new InconsistentGroupError(`generation ${n} of key group ${s.record.groupId} (${keyArn}) holds key material that has no escrow object `
    + '(imported before escrow was set); it cannot be escrowed, so it is not promoted');
}

/** Whether the key has material already (an earlier run imported it), as opposed to KMS refusing this material. */
async function holdsMaterial(d: Deps, keyId: string): Promise<boolean> {
  const key = await d.kms.describeKey(keyId);
  return key !== undefined && key.state !== 'PendingImport';
}

function refusedByKms(functionArn: string, e: unknown, algorithm: string): MaterialProviderError {
  const name = (e as Error).name;
  const why = name === 'InvalidCiphertextException'
    ? `it is not wrapped to the public key of this request with ${algorithm}`
    : 'it is not 256-bit symmetric key material';
  return new MaterialProviderError(functionArn, `answered material KMS refused (${name}: ${why})`);
}
