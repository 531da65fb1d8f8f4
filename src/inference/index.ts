// Public API of the face-inference library.
export { FaceAnalyzer, PIPELINE_NAME, type FaceAnalyzerOptions } from './analyzer.js';
export { annotate, type AnnotateOptions } from './annotate.js';
export { decodeImage, DEFAULT_MAX_PIXELS } from './decode-image.js';
export { descriptorDistance } from './descriptor.js';
export { InferenceInputError, isInferenceInputError, type InferenceInputErrorCode } from './errors.js';
export type * from './types.js';
