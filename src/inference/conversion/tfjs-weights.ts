// Reads a tfjs weights manifest and its .bin shards and dequantises every tensor exactly like
// tfjs-core's io.decodeWeights: value = q * scale + min, computed in double, stored as float32.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export type WeightTensor = { shape: number[]; data: Float32Array };
export type WeightMap = Map<string, WeightTensor>;

type Quantization = { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
type ManifestEntry = { name: string; shape: number[]; dtype: 'float32' | 'int32'; quantization?: Quantization };
type ManifestGroup = { paths: string[]; weights: ManifestEntry[] };

const bytesPerElement = (e: ManifestEntry): number => {
  const q = e.quantization?.dtype;
  if (q === 'uint8') return 1;
  if (q === 'uint16' || q === 'float16') return 2;
  return 4;
};

/** Decodes the weights described by a parsed manifest from the concatenated shard bytes. */
export function decodeWeights(manifest: ManifestGroup[], shards: Buffer[]): WeightMap {
  const map: WeightMap = new Map();
  manifest.forEach((group, g) => {
    const buf = shards[g];
    if (!buf) throw new Error(`missing weight shard for group ${g}`);
    let offset = 0;
    for (const entry of group.weights) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const nbytes = size * bytesPerElement(entry);
      if (offset + nbytes > buf.length) throw new Error(`weights file too short for ${entry.name}`);
      const bytes = buf.subarray(offset, offset + nbytes);
      offset += nbytes;
      const data = new Float32Array(size);
      const q = entry.quantization;
      if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
        const scale = q.scale ?? 1;
        const min = q.min ?? 0;
        const view = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + nbytes));
        for (let i = 0; i < size; i++) {
          const v = view[i]! * scale + min;
          data[i] = entry.dtype === 'int32' ? Math.round(v) : v;
        }
      } else if (q?.dtype === 'float16') {
        throw new Error(`float16 weights are not supported (${entry.name})`);
      } else {
        const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + nbytes);
        if (entry.dtype === 'int32') data.set(new Int32Array(copy));
        else data.set(new Float32Array(copy));
      }
      map.set(entry.name, { shape: entry.shape, data });
    }
  });
  return map;
}

/** Loads `<dir>/<model>-weights_manifest.json` and its shards. */
export async function loadWeights(dir: string, model: string): Promise<WeightMap> {
  const manifest = JSON.parse(await readFile(path.join(dir, `${model}-weights_manifest.json`), 'utf8')) as ManifestGroup[];
  const shards = await Promise.all(
    manifest.map(async (group) => Buffer.concat(await Promise.all(group.paths.map((p) => readFile(path.join(dir, p)))))),
  );
  return decodeWeights(manifest, shards);
}

/** The tensor named `name`, checked against the expected rank. */
export function weight(map: WeightMap, name: string, rank?: number): WeightTensor {
  const w = map.get(name);
  if (!w) throw new Error(`weight ${name} not found`);
  if (rank !== undefined && w.shape.length !== rank) throw new Error(`weight ${name}: rank ${w.shape.length}, expected ${rank}`);
  return w;
}
