// Per-model checks on identical input tensors: each converted ONNX graph against the same
// face-api net on tfjs-wasm, with tight bounds; plus the models manifest.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModel } from '../../../src/inference/conversion/convert-all.js';
import { DEFAULT_MODELS_DIR, readManifest, sha256, staleReason } from '../../../src/inference/conversion/model-files.js';
import { disposeAll, type FaceApi, loadFaceApi, tf } from '../../../support/face-api-reference.js';

let api: FaceApi;
const sessions = new Map<string, ort.InferenceSession>();

beforeAll(async () => {
  api = await loadFaceApi();
});
afterAll(async () => {
  await Promise.all([...sessions.values()].map((s) => s.release()));
});

async function session(file: string): Promise<ort.InferenceSession> {
  let s = sessions.get(file);
  if (!s) {
    s = await ort.InferenceSession.create(path.join(DEFAULT_MODELS_DIR, file), { intraOpNumThreads: 1 });
    sessions.set(file, s);
  }
  return s;
}

/** A deterministic pseudo-random NHWC image with values 0..255, and its NCHW copy. */
function testImage(size: number, seed: number): { nhwc: Float32Array; nchw: Float32Array } {
  const nhwc = new Float32Array(size * size * 3);
  let x = seed;
  for (let i = 0; i < nhwc.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    nhwc[i] = (x >>> 16) % 256;
  }
  const nchw = new Float32Array(nhwc.length);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) nchw[c * size * size + p] = nhwc[p * 3 + c]!;
  return { nhwc, nchw };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function onnxRun(file: string, nchw: Float32Array, size: number, batch = 1): Promise<Record<string, Float32Array>> {
  const out = await (await session(file)).run({ input: new ort.Tensor('float32', nchw, [batch, 3, size, size]) });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe('converted models on identical inputs', () => {
  it('ssd_mobilenetv1: decoded boxes and scores', async () => {
    const { nhwc, nchw } = testImage(512, 1);
    const t = tf.tensor4d(nhwc, [1, 512, 512, 3]);
    const ref = await api.nets.ssdMobilenetv1.forward(t);
    const ours = await onnxRun('ssd_mobilenetv1.onnx', nchw, 512);
    expect(maxAbsDiff(ours.boxes!, ref.boxes[0]!.dataSync())).toBeLessThan(2e-5);
    expect(maxAbsDiff(ours.scores!, ref.scores[0]!.dataSync())).toBeLessThan(2e-6);
    disposeAll(t, ...ref.boxes, ...ref.scores);
  });

  it('face_landmark_68: raw outputs, batch of two', async () => {
    const a = testImage(112, 2);
    const b = testImage(112, 3);
    const batch = new Float32Array([...a.nchw, ...b.nchw]);
    const ours = (await onnxRun('face_landmark_68.onnx', batch, 112, 2)).landmarks!;
    for (const [i, img] of [a, b].entries()) {
      const t = tf.tensor4d(img.nhwc, [1, 112, 112, 3]);
      const features = await api.nets.faceLandmark68Net.faceFeatureExtractor.forward(t);
      const ref = api.nets.faceLandmark68Net.runNet(features);
      // Relative coordinates: 1e-5 of the 112 px input is ~1e-3 px.
      expect(maxAbsDiff(ours.subarray(136 * i, 136 * (i + 1)), ref.dataSync())).toBeLessThan(1e-5);
      disposeAll(t, features, ref);
    }
  });

  it('face_recognition: descriptors', async () => {
    const { nhwc, nchw } = testImage(150, 4);
    const t = tf.tensor4d(nhwc, [1, 150, 150, 3]);
    const ref = await api.nets.faceRecognitionNet.forward(t);
    const ours = (await onnxRun('face_recognition.onnx', nchw, 150)).descriptor!;
    expect(maxAbsDiff(ours, ref.dataSync())).toBeLessThan(1e-5);
    disposeAll(t, ref);
  });

  it('tiny_face_detector: raw grid', async () => {
    const { nhwc, nchw } = testImage(416, 5);
    const t = tf.tensor4d(nhwc, [1, 416, 416, 3]);
    const ref = await api.nets.tinyFaceDetector.forward(t, 416);
    const ours = (await onnxRun('tiny_face_detector.onnx', nchw, 416)).grid!;
    expect(ref.shape).toEqual([1, 13, 13, 25]);
    expect(maxAbsDiff(ours, ref.dataSync())).toBeLessThan(2e-4);
    disposeAll(t, ref);
  });
});

describe('models manifest', () => {
  it('matches the files on disk and the installed weights', async () => {
    expect(await staleReason(DEFAULT_MODELS_DIR)).toBeUndefined();
    const manifest = (await readManifest(DEFAULT_MODELS_DIR))!;
    for (const entry of Object.values(manifest.models)) {
      expect(sha256(await readFile(path.join(DEFAULT_MODELS_DIR, entry.file)))).toBe(entry.sha256);
      expect(entry.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('conversion is deterministic', async () => {
    const manifest = (await readManifest(DEFAULT_MODELS_DIR))!;
    expect(sha256(await convertModel('face_landmark_68'))).toBe(manifest.models.face_landmark_68.sha256);
  });
});
