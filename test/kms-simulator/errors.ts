/**
 * Service errors raised by the KMS simulator.
 *
 * An error is rendered as an AWS JSON 1.1 error response: the HTTP status code and a body
 * `{"__type": "<name>", "message": "..."}`. The AWS SDK reads `__type` to pick the exception
 * class (for example `NotFoundException`), and the status code to decide client/server fault.
 */
export class SimError extends Error {
  constructor(
    /** AWS error code, e.g. `NotFoundException`. */
    public readonly code: string,
    message: string,
    /** HTTP status code of the error response. */
    public readonly status: number = 400,
  ) {
    super(message);
    this.name = code;
  }

  /** JSON body of the error response. */
  public toBody(): { __type: string; message: string } {
    return { __type: this.code, message: this.message };
  }
}

export const validation = (message: string): SimError => new SimError('ValidationException', message);
export const notFound = (message: string): SimError => new SimError('NotFoundException', message);
export const invalidState = (message: string): SimError => new SimError('KMSInvalidStateException', message);
export const disabled = (message: string): SimError => new SimError('DisabledException', message);
export const unsupported = (message: string): SimError => new SimError('UnsupportedOperationException', message);
export const invalidCiphertext = (message: string): SimError => new SimError('InvalidCiphertextException', message);
export const incorrectKeyMaterial = (message: string): SimError => new SimError('IncorrectKeyMaterialException', message);
export const limitExceeded = (message: string): SimError => new SimError('LimitExceededException', message);
export const tagError = (message: string): SimError => new SimError('TagException', message);
export const invalidArn = (message: string): SimError => new SimError('InvalidArnException', message);
export const invalidMarker = (message: string): SimError => new SimError('InvalidMarkerException', message);
export const internal = (message: string): SimError => new SimError('KMSInternalException', message, 500);

/** Error of the Resource Groups Tagging API for a bad request parameter. */
export const taggingInvalidParameter = (message: string): SimError => new SimError('InvalidParameterException', message);
