// Loads the converted ONNX models (checked against models/manifest.json) into long-lived
// onnxruntime-node sessions, one per model.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { CONVERTER_VERSION, DEFAULT_MODELS_DIR, MODEL_NAMES, type ModelName, readManifest, sha256 } from './conversion/model-files.js';

export type SessionOptions = {
  /** Intra-op threads per session; 0 or undefined lets onnxruntime choose (one per core). */
  threads?: number;
  modelsDir?: string;
};

export type LoadedModel = { name: ModelName; sha256: string; session: ort.InferenceSession };

export async function loadModels(opts: SessionOptions = {}): Promise<Record<ModelName, LoadedModel>> {
  const dir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const manifest = await readManifest(dir);
  if (!manifest) throw new Error(`no converted models in ${dir}: run \`npm run models\``);
  if (manifest.converterVersion !== CONVERTER_VERSION) {
    throw new Error(`models in ${dir} were converted by ${manifest.converterVersion}, expected ${CONVERTER_VERSION}: run \`npm run models\``);
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const entries = await Promise.all(
    MODEL_NAMES.map(async (name): Promise<[ModelName, LoadedModel]> => {
      const entry = manifest.models[name];
      const bytes = await readFile(path.join(dir, entry.file));
      const digest = sha256(bytes);
      if (digest !== entry.sha256) throw new Error(`${entry.file} does not match models/manifest.json: run \`npm run models\``);
      const session = await ort.InferenceSession.create(bytes, sessionOptions);
      return [name, { name, sha256: digest, session }];
    }),
  );
  return Object.fromEntries(entries) as Record<ModelName, LoadedModel>;
}

/** Runs a single-input session and returns its float32 outputs by name. */
export async function runModel(model: LoadedModel, input: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const tensor = new ort.Tensor('float32', input, dims);
  const results = await model.session.run({ input: tensor });
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(results)) {
    if (!(v.data instanceof Float32Array)) throw new Error(`${model.name}: output ${k} is not float32`);
    out[k] = v.data;
  }
  return out;
}
