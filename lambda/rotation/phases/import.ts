/**
 * Phase "import": GetParametersForImport, wrap fresh material, ImportKeyMaterial.
 */
import { Deps, step } from '../context';
import { isKmsError } from '../errors';
import { generation, withGeneration } from '../ledger-model';
import { withFreshMaterial, wrapMaterial } from '../material';
import { materialDescription } from '../material-description';
import { eventually } from '../retry';
import { Session } from '../session';
import { patientlyThrottled } from './patience';

const FRESH = ['NotFoundException', 'KMSInvalidStateException'];

/** A few minutes short of the limit, so KMS's "at most 365 days from the request" holds even with clock skew. */
function validToAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000 - 5 * 60_000);
}

export async function importPhase(d: Deps, s: Session): Promise<void> {
  const r = s.record.rotation!;
  const g = generation(s.record, r.n)!;
  const settings = s.record.settings;
  const wrapping = `${settings.wrappingAlgorithm}/${settings.wrappingKeySpec}`;
  await step(d, 'import', { group: s.record.groupId, generation: r.n, keyArn: g.keyArn, wrapping }, async () => {
    let validTo: Date | undefined;
    let keyMaterialId: string | undefined;
    const description = materialDescription(s.record.groupId, r.n, 'generated');
    for (let attempt = 1; ; attempt++) {
      const ask = () => d.kms.importParameters(g.keyId, settings.wrappingAlgorithm, settings.wrappingKeySpec);
      const params = await patientlyThrottled(d, () => eventually(d.sleep, FRESH, ask));
      validTo = settings.materialValidityDays > 0 ? validToAfter(d.now(), settings.materialValidityDays) : undefined;
      try {
        await withFreshMaterial(async (material) => {
          const wrapped = wrapMaterial(params.publicKey, settings.wrappingAlgorithm, material);
          keyMaterialId = await eventually(d.sleep, FRESH, () => d.kms.importMaterial(g.keyId, params.importToken, wrapped, validTo, description));
        });
        break;
      } catch (e) {
        // A run that died after importing: the key holds other material already; the probe tells.
        if (isKmsError(e, 'IncorrectKeyMaterialException')) break;
        if (attempt < 2 && isKmsError(e, 'ExpiredImportTokenException', 'InvalidImportTokenException')) continue;
        throw e;
      } finally {
        Buffer.from(params.importToken.buffer, params.importToken.byteOffset, params.importToken.byteLength).fill(0);
      }
    }
    const now = d.now().toISOString();
    await s.save((rec) => ({
      ...withGeneration(rec, {
        ...generation(rec, r.n)!, importedAt: now, materialValidTo: validTo?.toISOString(), keyMaterialDescription: description, keyMaterialId,
      }),
      rotation: { ...rec.rotation!, phase: 'test' },
    }));
  });
}
