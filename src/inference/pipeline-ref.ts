// The analysis pipeline a request asks for: name and version (the sha256 of the model files is
// recorded with each result, by the worker that ran them).

import { PIPELINE_NAME } from './analyzer.js';
import { CONVERTER_VERSION, faceApiVersion } from './conversion/model-files.js';
import type { DetectorName } from './types.js';

export function pipelineRef(detector: DetectorName): { name: string; version: string } {
  return { name: PIPELINE_NAME, version: `${CONVERTER_VERSION}+face-api.${faceApiVersion()}+${detector}` };
}
