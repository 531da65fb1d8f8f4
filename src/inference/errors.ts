// Typed input errors, so callers (the HTTP layer) can map a code to a 4xx response.

export type InferenceInputErrorCode =
  /** Not JPEG, PNG or WebP. */
  | 'unsupported_format'
  /** More pixels than the configured limit (decompression-bomb guard). */
  | 'image_too_large'
  /** Truncated or otherwise undecodable image data. */
  | 'corrupt_image'
  /** Invalid analysis options (detector, minScore, maxFaces). */
  | 'invalid_options';

export class InferenceInputError extends Error {
  override readonly name = 'InferenceInputError';
  constructor(
    readonly code: InferenceInputErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isInferenceInputError = (err: unknown): err is InferenceInputError => err instanceof InferenceInputError;
