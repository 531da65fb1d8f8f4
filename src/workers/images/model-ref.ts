// The analysis pipeline a request asks for: name and version (the sha256 of the model files is
// recorded with each result, by the worker that ran them).

import { PIPELINE_NAME } from '../../inference/analyzer.js';
import { CONVERTER_VERSION, faceApiVersion } from '../../inference/conversion/model-files.js';
import type { DetectorName } from '../../inference/types.js';
import type { ModelRef } from '../../domain/images/image-events.js';

export function pipelineRef(detector: DetectorName): ModelRef {
  return { name: PIPELINE_NAME, version: `${CONVERTER_VERSION}+face-api.${faceApiVersion()}+${detector}` };
}
