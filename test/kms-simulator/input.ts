/**
 * Typed, validating access to the members of a JSON request body.
 *
 * Constraint violations are reported as `ValidationException` with messages shaped like the
 * ones AWS returns ("1 validation error detected: Value null at 'keyId' failed to satisfy
 * constraint: Member must not be null").
 */
import { SimError, validation } from './errors';

export type JsonObject = Record<string, unknown>;

interface LengthOpts {
  readonly min?: number;
  readonly max?: number;
}

function memberPath(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function constraint(name: string, value: unknown, text: string): SimError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value).slice(0, 64)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${memberPath(name)}' failed to satisfy constraint: ${text}`);
}

export class Input {
  constructor(public readonly raw: JsonObject) {}

  public has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  public requiredString(name: string, opts: LengthOpts = {}): string {
    const v = this.optionalString(name, opts);
    if (v === undefined) {
      throw constraint(name, undefined, 'Member must not be null');
    }
    return v;
  }

  public optionalString(name: string, opts: LengthOpts = {}): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'string') {
      throw new SimError('SerializationException', `Member ${name} must be a string`);
    }
    const min = opts.min ?? 1;
    if (v.length < min) {
      throw constraint(name, v, `Member must have length greater than or equal to ${min}`);
    }
    if (opts.max !== undefined && v.length > opts.max) {
      throw constraint(name, v, `Member must have length less than or equal to ${opts.max}`);
    }
    return v;
  }

  public optionalEnum<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.optionalString(name);
    if (v === undefined) {
      return undefined;
    }
    if (!(allowed as readonly string[]).includes(v)) {
      throw constraint(name, v, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
    return v as T;
  }

  public requiredEnum<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.optionalEnum(name, allowed);
    if (v === undefined) {
      throw constraint(name, undefined, 'Member must not be null');
    }
    return v;
  }

  public optionalInt(name: string, min: number, max: number): number | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new SimError('SerializationException', `Member ${name} must be an integer`);
    }
    if (v < min) {
      throw constraint(name, v, `Member must have value greater than or equal to ${min}`);
    }
    if (v > max) {
      throw constraint(name, v, `Member must have value less than or equal to ${max}`);
    }
    return v;
  }

  public optionalBool(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'boolean') {
      throw new SimError('SerializationException', `Member ${name} must be a boolean`);
    }
    return v;
  }

  /** A blob member (base64 in JSON). */
  public optionalBlob(name: string, opts: LengthOpts = {}): Buffer | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
      throw new SimError('SerializationException', `Member ${name} must be a base64 encoded blob`);
    }
    const buf = Buffer.from(v, 'base64');
    const min = opts.min ?? 1;
    if (buf.length < min) {
      throw constraint(name, `<${buf.length} bytes>`, `Member must have length greater than or equal to ${min}`);
    }
    if (opts.max !== undefined && buf.length > opts.max) {
      throw constraint(name, `<${buf.length} bytes>`, `Member must have length less than or equal to ${opts.max}`);
    }
    return buf;
  }

  public requiredBlob(name: string, opts: LengthOpts = {}): Buffer {
    const v = this.optionalBlob(name, opts);
    if (v === undefined) {
      throw constraint(name, undefined, 'Member must not be null');
    }
    return v;
  }

  /** A timestamp member (epoch seconds, possibly fractional). */
  public optionalDate(name: string): Date | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return undefined;
    }
    const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) {
      throw new SimError('SerializationException', `Member ${name} must be a timestamp`);
    }
    return new Date(ms);
  }

  /** A map of string to string (e.g. EncryptionContext). */
  public stringMap(name: string): Record<string, string> {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return {};
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new SimError('SerializationException', `Member ${name} must be a map`);
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as JsonObject)) {
      if (typeof val !== 'string') {
        throw new SimError('SerializationException', `Member ${name}.${k} must be a string`);
      }
      out[k] = val;
    }
    return out;
  }

  /** A list member; returns [] when absent. */
  public list(name: string): unknown[] {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      return [];
    }
    if (!Array.isArray(v)) {
      throw new SimError('SerializationException', `Member ${name} must be a list`);
    }
    return v;
  }
}
