/**
 * EventBridge event patterns, the subset the library's rules use: a pattern
 * is an object whose leaves are lists of exact values; an event matches when,
 * for every field of the pattern, the event has the field and its value (or,
 * for a list such as `resources`, one of its values) equals one of the listed
 * values; nested objects match nested fields (`detail`).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * Content filters (`prefix`, `anything-but`, `numeric`, `exists`, ...) are
 * refused when the pattern is declared, so a rule never matches by accident.
 */

export type EventPattern = { readonly [field: string]: EventPattern | ReadonlyArray<string | number | boolean | null> };

/** Throws, naming the field, when the pattern uses more than exact values. */
export function checkPattern(pattern: unknown, path = '$'): asserts pattern is EventPattern {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern) || Object.keys(pattern).length === 0) {
    throw new Error(`event pattern ${path}: must be a non-empty object`);
  }
  for (const [field, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`event pattern ${path}.${field}: an empty list matches nothing`);
      const filter = value.find((v) => typeof v === 'object' && v !== null);
      if (filter !== undefined) throw new Error(`event pattern ${path}.${field}: content filter ${JSON.stringify(filter)} is not modelled`);
    } else {
      checkPattern(value, `${path}.${field}`);
    }
  }
}

export function matchesPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    if (!Object.prototype.hasOwnProperty.call(event, field)) return false;
    const actual = event[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((v) => expected.includes(v as string));
    }
    return typeof actual === 'object' && actual !== null && !Array.isArray(actual)
      && matchesPattern(expected as EventPattern, actual as Record<string, unknown>);
  });
}
