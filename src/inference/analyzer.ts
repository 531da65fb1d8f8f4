// FaceAnalyzer: decode → detect (SSD or tiny) → 68 landmarks → 128-D descriptors, with one
// long-lived onnxruntime session per model. analyze() may be called concurrently.
import { createHash } from 'node:crypto';
import { CONVERTER_VERSION, faceApiVersion, type ModelName } from './conversion/model-files.js';
import { decodeImage, DEFAULT_MAX_PIXELS } from './decode-image.js';
import { DESCRIPTOR_SIZE, descriptorBatch, descriptorCrop } from './descriptor.js';
import { decodeSsd, SSD_SIZE, ssdInput } from './detect-ssd.js';
import { decodeTiny, TINY_SIZE, tinyInput } from './detect-tiny.js';
import { InferenceInputError } from './errors.js';
import { LANDMARK_SIZE, landmarkBatch, landmarkCrop, landmarksToImage } from './landmarks.js';
import { type LoadedModel, loadModels, runModel } from './sessions.js';
import type { AnalysisResult, AnalyzeOptions, Box, Detection, DetectorName, Face, ModelIdentity, RgbImage } from './types.js';

export const PIPELINE_NAME = 'facetrail-faces';

export type FaceAnalyzerOptions = {
  /** onnxruntime intra-op threads per session (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** Pixel limit for decoded images (default 40 MP). */
  maxPixels?: number;
  /** Folder of converted models (default: the repository's models/). */
  modelsDir?: string;
};

const DETECTOR_MODEL: Record<DetectorName, ModelName> = { ssd: 'ssd_mobilenetv1', tiny: 'tiny_face_detector' };

function validate(options: AnalyzeOptions): Required<AnalyzeOptions> {
  const detector = options.detector ?? 'ssd';
  const minScore = options.minScore ?? 0.5;
  const maxFaces = options.maxFaces ?? 100;
  if (detector !== 'ssd' && detector !== 'tiny') throw new InferenceInputError('invalid_options', `unknown detector '${String(detector)}'`);
  if (!(minScore > 0 && minScore < 1)) throw new InferenceInputError('invalid_options', 'minScore must be between 0 and 1 (exclusive)');
  if (!Number.isInteger(maxFaces) || maxFaces < 1) throw new InferenceInputError('invalid_options', 'maxFaces must be a positive integer');
  return { detector, minScore, maxFaces };
}

export class FaceAnalyzer {
  private closed = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly identities: Record<DetectorName, ModelIdentity>;

  private constructor(
    private readonly models: Record<ModelName, LoadedModel>,
    private readonly maxPixels: number,
  ) {
    const identity = (detector: DetectorName): ModelIdentity => {
      const used = [models[DETECTOR_MODEL[detector]], models.face_landmark_68, models.face_recognition];
      const sha256 = createHash('sha256').update(used.map((m) => `${m.name}.onnx ${m.sha256}\n`).join('')).digest('hex');
      return { name: PIPELINE_NAME, version: `${CONVERTER_VERSION}+face-api.${faceApiVersion()}+${detector}`, sha256 };
    };
    this.identities = { ssd: identity('ssd'), tiny: identity('tiny') };
  }

  static async create(options: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
    const models = await loadModels({ threads: options.threads, modelsDir: options.modelsDir });
    return new FaceAnalyzer(models, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  }

  /** The identity recorded with results of `detector` (changes whenever a model file used changes). */
  model(detector: DetectorName = 'ssd'): ModelIdentity {
    return { ...this.identities[detector] };
  }

  async analyze(imageBytes: Uint8Array, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    const opts = validate(options);
    const img = await decodeImage(imageBytes, this.maxPixels);
    return this.analyzeDecoded(img, opts);
  }

  /** The pipeline on an already decoded image (used by the tests and the benchmark). */
  async analyzeDecoded(img: RgbImage, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    if (this.closed) throw new Error('FaceAnalyzer is closed');
    const opts = validate(options);
    const work = (async () => {
      const detections = await this.detect(img, opts);
      return this.describe(img, detections);
    })();
    this.inflight.add(work);
    try {
      const faces = await work;
      return { width: img.width, height: img.height, model: this.model(opts.detector), faces };
    } finally {
      this.inflight.delete(work);
    }
  }

  async detect(img: RgbImage, opts: Required<AnalyzeOptions>): Promise<Detection[]> {
    if (opts.detector === 'tiny') {
      const out = await runModel(this.models.tiny_face_detector, tinyInput(img), [1, 3, TINY_SIZE, TINY_SIZE]);
      const grid = out.grid!;
      return decodeTiny(grid, Math.round(Math.sqrt(grid.length / 25)), img.width, img.height, opts.minScore, opts.maxFaces);
    }
    const out = await runModel(this.models.ssd_mobilenetv1, ssdInput(img), [1, 3, SSD_SIZE, SSD_SIZE]);
    return decodeSsd(out.boxes!, out.scores!, img.width, img.height, opts.minScore, opts.maxFaces);
  }

  private async describe(img: RgbImage, detections: Detection[]): Promise<Face[]> {
    const withCrops = detections.map((det) => ({ det, crop: landmarkCrop(det, img) })).filter(({ crop }) => crop.width > 0 && crop.height > 0);
    if (withCrops.length === 0) return [];
    const n = withCrops.length;
    const lm = await runModel(this.models.face_landmark_68, landmarkBatch(img, withCrops.map((c) => c.crop)), [n, 3, LANDMARK_SIZE, LANDMARK_SIZE]);
    const points = withCrops.map(({ det, crop }, i) => landmarksToImage(lm.landmarks!, i * 136, crop, det.box));
    const descCrops = withCrops.map(({ crop }, i) => descriptorCrop(points[i]!, crop, img));
    const valid = descCrops.filter((c): c is Box => c !== undefined);
    const desc = valid.length > 0
      ? (await runModel(this.models.face_recognition, descriptorBatch(img, valid), [valid.length, 3, DESCRIPTOR_SIZE, DESCRIPTOR_SIZE])).descriptor!
      : new Float32Array(0);
    let k = 0;
    return withCrops.map(({ det }, i) => {
      const descriptor = descCrops[i] ? Array.from(desc.subarray(128 * k, 128 * ++k)) : new Array<number>(128).fill(0);
      return { box: { ...det.box }, score: det.score, landmarks: points[i]!, descriptor };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let running analyses finish before their sessions are released.
    await Promise.allSettled([...this.inflight]);
    await Promise.all(Object.values(this.models).map((m) => m.session.release()));
  }
}
