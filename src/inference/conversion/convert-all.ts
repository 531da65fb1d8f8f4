// Converts every face-api model to ONNX in a folder and writes manifest.json.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { convertLandmarks } from './convert-landmarks.js';
import { convertRecognition } from './convert-recognition.js';
import { convertSsd } from './convert-ssd.js';
import { convertTiny } from './convert-tiny.js';
import { CONVERTER_VERSION, faceApiDir, faceApiVersion, MODEL_NAMES, type ManifestModel, type ModelManifest, type ModelName, SOURCE_STEM, sha256, sourceDigest } from './model-files.js';
import { type GraphBuilder, OPSET } from './onnx-builder.js';
import { loadWeights, type WeightMap } from './tfjs-weights.js';

const CONVERTERS: Record<ModelName, (wm: WeightMap) => GraphBuilder> = {
  ssd_mobilenetv1: convertSsd,
  tiny_face_detector: convertTiny,
  face_landmark_68: convertLandmarks,
  face_recognition: convertRecognition,
};

/** Converts one model from the installed tfjs weights; returns the ONNX bytes. */
export async function convertModel(name: ModelName): Promise<Uint8Array> {
  const weights = await loadWeights(path.join(faceApiDir(), 'model'), SOURCE_STEM[name]);
  return CONVERTERS[name](weights).toBytes({ converter_version: CONVERTER_VERSION, source: `@vladmandic/face-api@${faceApiVersion()}/model/${SOURCE_STEM[name]}` });
}

export async function convertAll(dir: string, log: (line: string) => void = () => {}): Promise<ModelManifest> {
  await mkdir(dir, { recursive: true });
  const models = {} as Record<ModelName, ManifestModel>;
  for (const name of MODEL_NAMES) {
    const started = performance.now();
    const bytes = await convertModel(name);
    const file = `${name}.onnx`;
    const tmp = path.join(dir, `${file}.tmp-${process.pid}`);
    await writeFile(tmp, bytes);
    await rename(tmp, path.join(dir, file));
    models[name] = { file, sha256: sha256(bytes), bytes: bytes.length, source: await sourceDigest(name) };
    log(`${file}: ${(bytes.length / 1e6).toFixed(1)} MB in ${(performance.now() - started).toFixed(0)} ms`);
  }
  const manifest: ModelManifest = { converterVersion: CONVERTER_VERSION, faceApiVersion: faceApiVersion(), opset: OPSET, models };
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
