// Where the converted models live, what each is converted from, and the manifest that pins them.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when a converter changes the graphs it emits: `--if-stale` then reconverts. */
export const CONVERTER_VERSION = '1.0.0';

export const MODEL_NAMES = ['ssd_mobilenetv1', 'tiny_face_detector', 'face_landmark_68', 'face_recognition'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** tfjs weights file stem in @vladmandic/face-api/model for each model. */
export const SOURCE_STEM: Record<ModelName, string> = {
  ssd_mobilenetv1: 'ssd_mobilenetv1_model',
  tiny_face_detector: 'tiny_face_detector_model',
  face_landmark_68: 'face_landmark_68_model',
  face_recognition: 'face_recognition_model',
};

export type ManifestModel = { file: string; sha256: string; bytes: number; source: { files: string[]; sha256: string } };
export type ModelManifest = { converterVersion: string; faceApiVersion: string; opset: number; models: Record<ModelName, ManifestModel> };

/** The repository's git-ignored models/ folder. */
export const DEFAULT_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models');

const require = createRequire(import.meta.url);

/** The installed @vladmandic/face-api package folder. */
export function faceApiDir(): string {
  return path.dirname(require.resolve('@vladmandic/face-api/package.json'));
}

export function faceApiVersion(): string {
  return (require('@vladmandic/face-api/package.json') as { version: string }).version;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** sha256 over a model's manifest and weight shards (in manifest order), plus the file names. */
export async function sourceDigest(model: ModelName): Promise<{ files: string[]; sha256: string }> {
  const dir = path.join(faceApiDir(), 'model');
  const manifestFile = `${SOURCE_STEM[model]}-weights_manifest.json`;
  const manifestBytes = await readFile(path.join(dir, manifestFile));
  const groups = JSON.parse(manifestBytes.toString('utf8')) as { paths: string[] }[];
  const files = [manifestFile, ...groups.flatMap((g) => g.paths)];
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(f);
    hash.update(await readFile(path.join(dir, f)));
  }
  return { files, sha256: hash.digest('hex') };
}

export async function readManifest(dir: string): Promise<ModelManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  } catch {
    return undefined;
  }
}

/** Why the converted models in `dir` are stale, or undefined when they match manifest and sources. */
export async function staleReason(dir: string): Promise<string | undefined> {
  const manifest = await readManifest(dir);
  if (!manifest) return 'no manifest';
  if (manifest.converterVersion !== CONVERTER_VERSION) return `converter ${manifest.converterVersion} != ${CONVERTER_VERSION}`;
  for (const name of MODEL_NAMES) {
    const entry = manifest.models[name];
    if (!entry) return `${name} missing from manifest`;
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(dir, entry.file));
    } catch {
      return `${entry.file} missing`;
    }
    if (sha256(bytes) !== entry.sha256) return `${entry.file} does not match its sha256`;
    if ((await sourceDigest(name)).sha256 !== entry.source.sha256) return `${name} source weights changed`;
  }
  return undefined;
}
