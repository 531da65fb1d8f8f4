// `npm run bench -- inference [--runs=N]`: face analysis of face-api's sample1.jpg (1920×1280,
// 3 faces) with this pipeline (onnxruntime, 1 thread and default threads) and with face-api on
// tfjs-wasm, interleaved in one run. Reports ms median/min per image and per face, stage
// timings for the ONNX pipeline, and the speed-up.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FaceAnalyzer } from '../src/inference/analyzer.js';
import { decodeImage } from '../src/inference/decode-image.js';
import { LANDMARK_SIZE, landmarkBatch, landmarkCrop } from '../src/inference/landmarks.js';
import { type LoadedModel, loadModels, runModel } from '../src/inference/sessions.js';
import type { RgbImage } from '../src/inference/types.js';
import { loadFaceApi, referenceAnalyze, tf } from '../support/face-api-reference.js';
import { SAMPLES } from '../support/sample-photos.js';
import { printTable, writeResults } from './results-file.js';

type Series = { name: string; threads: string; stage: string; perFace: boolean; samples: number[] };

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function run(flags: string[]): Promise<void> {
  const runs = Number(flags.find((f) => f.startsWith('--runs='))?.slice(7) ?? 25);
  const file = SAMPLES[0]!;
  const bytes = await readFile(file);
  const img: RgbImage = await decodeImage(bytes);
  const api = await loadFaceApi();
  const configs = [
    { threads: '1', analyzer: await FaceAnalyzer.create({ threads: 1 }), models: await loadModels({ threads: 1 }) },
    { threads: 'default', analyzer: await FaceAnalyzer.create(), models: await loadModels() },
  ];
  const faces = (await configs[0]!.analyzer.analyze(bytes)).faces.length;
  const crops = (await configs[0]!.analyzer.detect(img, { detector: 'ssd', minScore: 0.5, maxFaces: 100 })).map((d) => landmarkCrop(d, img));
  const lmInput = landmarkBatch(img, crops);
  const faceApiAnalyze = async () => referenceAnalyze(api, await decodeImage(bytes), 'ssd');
  // face-api's landmark net on the same crops, one call per face as face-api does.
  const faceTensors = crops.map((c) => tf.tidy(() => tf.slice3d(tf.tensor3d(img.data, [img.height, img.width, 3], 'int32'), [c.y, c.x, 0], [c.height, c.width, 3])));
  const faceApiLandmarks = async () => {
    for (const t of faceTensors) await api.nets.faceLandmark68Net.detectLandmarks(t);
  };

  const series: Series[] = [];
  const add = (name: string, threads: string, stage: string, perFace = false) => {
    const s: Series = { name, threads, stage, perFace, samples: [] };
    series.push(s);
    return s;
  };
  const ours = configs.map((c) => ({
    c,
    whole: add('onnxruntime', c.threads, 'whole analysis (decode+ssd+landmarks+descriptors)'),
    wholePerFace: add('onnxruntime', c.threads, 'whole analysis per face', true),
    decode: add('onnxruntime', c.threads, 'decode (sharp)'),
    detect: add('onnxruntime', c.threads, 'ssd detection (incl. resize, NMS)'),
    landmarks: add('onnxruntime', c.threads, 'landmarks per face (batched)', true),
  }));
  const ref = add('face-api tfjs-wasm', 'tfjs', 'whole analysis (decode+ssd+landmarks+descriptors)');
  const refPerFace = add('face-api tfjs-wasm', 'tfjs', 'whole analysis per face', true);
  const refLandmarks = add('face-api tfjs-wasm', 'tfjs', 'landmarks per face', true);

  const lm = (m: LoadedModel) => runModel(m, lmInput, [crops.length, 3, LANDMARK_SIZE, LANDMARK_SIZE]);
  // Warm-up (first runs allocate and JIT).
  for (const o of ours) {
    await o.c.analyzer.analyze(bytes);
    await lm(o.c.models.face_landmark_68);
  }
  await faceApiAnalyze();
  await faceApiLandmarks();

  for (let i = 0; i < runs; i++) {
    for (const o of ours) {
      const t = await time(() => o.c.analyzer.analyze(bytes));
      o.whole.samples.push(t);
      o.wholePerFace.samples.push(t / faces);
      o.decode.samples.push(await time(() => decodeImage(bytes)));
      o.detect.samples.push(await time(() => o.c.analyzer.detect(img, { detector: 'ssd', minScore: 0.5, maxFaces: 100 })));
      o.landmarks.samples.push((await time(() => lm(o.c.models.face_landmark_68))) / crops.length);
    }
    const t = await time(faceApiAnalyze);
    ref.samples.push(t);
    refPerFace.samples.push(t / faces);
    refLandmarks.samples.push((await time(faceApiLandmarks)) / crops.length);
  }

  const rows: Record<string, string | number>[] = series.map((s) => ({
    impl: s.name,
    threads: s.threads,
    measure: s.stage,
    'ms median': median(s.samples),
    'ms min': Math.min(...s.samples),
    runs: s.samples.length,
  }));
  for (const o of ours) {
    rows.push({
      impl: 'ratio face-api / onnxruntime',
      threads: o.c.threads,
      measure: 'whole analysis, median',
      'ms median': median(ref.samples) / median(o.whole.samples),
      'ms min': Math.min(...ref.samples) / Math.min(...o.whole.samples),
      runs,
    });
  }
  console.log(`image: ${path.basename(file)} ${img.width}x${img.height}, ${faces} faces, ${runs} interleaved runs (ratio rows: × speed-up, not ms)`);
  printTable(rows);
  console.log(`results: ${await writeResults('inference', { image: path.basename(file), width: img.width, height: img.height, faces, runs, rows })}`);

  tf.dispose(faceTensors);
  for (const c of configs) {
    await c.analyzer.close();
    await Promise.all(Object.values(c.models).map((m) => m.session.release()));
  }
}
