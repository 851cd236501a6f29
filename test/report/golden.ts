/**
 * Golden files of the report. Key ids, material ids and CloudTrail event ids
 * are random in the simulator: each is replaced by a stable stand-in of the
 * same length, so the tables keep their alignment and every other character
 * is compared exactly. `UPDATE_GOLDEN=1` rewrites the files, never in CI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { GroupRecord } from '../../lambda/rotation/ledger-model';

const DIR = path.join(__dirname, 'golden');

export function normalizer(record: GroupRecord): (text: string) => string {
  const pairs: Array<[string, string]> = [];
  for (const g of record.generations) {
    const key = `g${g.n}`.padEnd(8, '0') + '-0000-4000-8000-000000000000';
    pairs.push([g.keyId, key], [g.keyId.slice(0, 8), key.slice(0, 8)]);
    if (g.keyMaterialId) {
      const material = `m${g.n}`.padEnd(64, '0');
      pairs.push([g.keyMaterialId, material], [g.keyMaterialId.slice(0, 12), material.slice(0, 12)]);
    }
  }
  return (text) => {
    let out = text;
    for (const [from, to] of pairs) out = out.split(from).join(to);
    // Anything else shaped like a UUID is a CloudTrail event id.
    return out.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (m) => (m.endsWith('-8000-000000000000') ? m : 'cloudtrail-event-id-000000000000000000'));
  };
}

export function expectGolden(name: string, actual: string): void {
  const file = path.join(DIR, name);
  if (process.env.UPDATE_GOLDEN === '1' && !process.env.CI) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
