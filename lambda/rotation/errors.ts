/**
 * Errors the function raises on purpose. Their messages are safe to show to
 * CloudFormation and in logs: they never carry key material or import tokens.
 */

/** The event or configuration was refused before any KMS call. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** The group's keys are not in a state this function can safely change. */
export class InconsistentGroupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentGroupError';
  }
}

/** KMS answered something this function did not expect (a missing field, an unknown state). */
export class UnexpectedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnexpectedResponseError';
  }
}

export function errorName(e: unknown): string {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : 'Error';
}

export function isKmsError(e: unknown, ...names: string[]): boolean {
  return names.includes(errorName(e));
}
