// The reference implementation: @vladmandic/face-api on tfjs with the WASM backend, loaded once
// per test file (or benchmark). Runs on already-decoded RGB so both pipelines see the same pixels.
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import type { DetectorName, Face, RgbImage } from '../src/inference/types.js';
import { FACE_API_DIR } from './sample-photos.js';

const require = createRequire(import.meta.url);

export { tf };

/** Disposes face-api tensors (whose bundled types differ from @tensorflow/tfjs's). */
export const disposeAll = (...tensors: { dispose(): void }[]): void => tensors.forEach((t) => t.dispose());
export type FaceApi = typeof faceapi;
let loading: Promise<FaceApi> | undefined;

/** Initialises tfjs-wasm (threads follow tfjs's default) and loads the four nets. */
export function loadFaceApi(): Promise<FaceApi> {
  loading ??= (async () => {
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    if (tf.getBackend() !== 'wasm') throw new Error('tfjs-wasm backend not active');
    const dir = path.join(FACE_API_DIR, 'model');
    await Promise.all([
      faceapi.nets.ssdMobilenetv1.loadFromDisk(dir),
      faceapi.nets.tinyFaceDetector.loadFromDisk(dir),
      faceapi.nets.faceLandmark68Net.loadFromDisk(dir),
      faceapi.nets.faceRecognitionNet.loadFromDisk(dir),
    ]);
    return faceapi;
  })();
  return loading;
}

/** face-api's detectAllFaces().withFaceLandmarks().withFaceDescriptors() on decoded RGB. */
export async function referenceAnalyze(api: FaceApi, img: RgbImage, detector: DetectorName = 'ssd', minScore = 0.5, maxFaces = 100): Promise<Face[]> {
  const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  try {
    const options = detector === 'ssd'
      ? new api.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: maxFaces })
      : new api.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: minScore });
    const results = await api.detectAllFaces(tensor, options).withFaceLandmarks().withFaceDescriptors();
    return results.map((r) => ({
      box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
      score: r.detection.score,
      landmarks: r.landmarks.positions.map((p): [number, number] => [p.x, p.y]),
      descriptor: Array.from(r.descriptor),
    }));
  } finally {
    tensor.dispose();
  }
}
