/**
 * Finds key material or import tokens the simulator handed out in a text,
 * in the encodings a leak would use.
 */
import { Harness } from './harness';

function encodings(b: Buffer): string[] {
  return [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('base64url'), b.toString('latin1')];
}

export function secretLeaks(h: Harness, text: string): string[] {
  const leaks: string[] = [];
  h.sim.state.importedMaterials().forEach((m, i) => {
    if (encodings(m).some((e) => text.includes(e))) leaks.push(`key material #${i} appears in the text`);
  });
  h.sim.state.issuedImportTokens().forEach((t, i) => {
    if (encodings(t).some((e) => text.includes(e))) leaks.push(`import token #${i} appears in the text`);
  });
  return leaks;
}
