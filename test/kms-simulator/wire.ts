/**
 * Rendering of handler output as AWS JSON 1.1 values.
 */
import type { JsonObject } from './input';

/** Converts handler output to JSON values: Date to epoch seconds, bytes to base64, drops undefined. */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) {
    return value.getTime() / 1000;
  }
  if (value instanceof Uint8Array) {
    return Buffer.from(value).toString('base64');
  }
  if (Array.isArray(value)) {
    return value.map(toWire);
  }
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) {
        out[k] = toWire(v);
      }
    }
    return out;
  }
  return value;
}
