/**
 * A small JSON Schema (draft-07) checker for the keywords the event schema
 * uses: type (object, string, integer, number, boolean, array), required,
 * properties, additionalProperties: false, enum, pattern, minimum and
 * format date-time. An unknown keyword is an error, so the schema cannot use
 * one that this would silently skip.
 */

type Schema = Record<string, any>;

const KNOWN = new Set([
  '$schema', '$id', 'title', 'description', 'type', 'required', 'properties', 'additionalProperties', 'enum', 'pattern', 'minimum', 'format',
]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
    default: throw new Error(`schema type ${type} is not supported`);
  }
}

/** Every violation of `value` against `schema`, as `<path>: <what>`; empty when it conforms. */
export function schemaViolations(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} is not supported (at ${path})`);
  if (schema.type !== undefined && !typeOk(schema.type, value)) return [`${path}: not of type ${schema.type}`];
  const problems: string[] = [];
  if (schema.enum !== undefined && !schema.enum.some((e: unknown) => e === value)) problems.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) problems.push(`${path}: does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) problems.push(`${path}: not a date-time`);
    else if (schema.format !== undefined && schema.format !== 'date-time') throw new Error(`format ${schema.format} is not supported`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: less than ${schema.minimum}`);
  if (typeOk('object', value)) {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) problems.push(`${path}: ${r} is required`);
    for (const [k, v] of Object.entries(o)) {
      const sub = schema.properties?.[k];
      if (sub) problems.push(...schemaViolations(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) problems.push(`${path}: ${k} is not allowed`);
    }
  }
  return problems;
}
