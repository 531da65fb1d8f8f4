// The NDJSON form an offline verification reads (audit:verify --export, tools/facetrail-verify.mjs):
// one event per line, in global order,
//   { "treeIndex": 12, "leafHash": "<b64u>"?, "position": "<cursor>", "id", "stream", "revision": "3",
//     "type", "recordedAt": "<ISO>", "data": <as stored>, "metadata": <as stored>, "stored"?: { data, metadata } }
// (when `stored` is present it is the stored form and data/metadata are the opened view: the
// canonical form always covers the stored one). An event not notarised yet has no treeIndex.
// Lines of the form { "checkpoint": <Checkpoint JSON> } are signed checkpoints carried along.

import { createReadStream } from 'node:fs';
import type { CheckpointJson, LogEntry } from './verify-log.js';

export const MAX_EXPORT_LINE_CHARS = 16 * 1024 * 1024;

export class ExportLineError extends Error {
  override readonly name = 'ExportLineError';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export type ExportLine = { kind: 'event'; entry: LogEntry } | { kind: 'checkpoint'; checkpoint: CheckpointJson };

const str = (o: Record<string, unknown>, k: string, line: number): string => {
  const v = o[k];
  if (typeof v !== 'string') throw new ExportLineError(line, `${k} must be a string`);
  return v;
};

export function parseExportLine(text: string, line: number): ExportLine {
  if (text.length > MAX_EXPORT_LINE_CHARS) throw new ExportLineError(line, `longer than ${MAX_EXPORT_LINE_CHARS} characters`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new ExportLineError(line, 'not JSON');
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new ExportLineError(line, 'not a JSON object');
  const obj = o as Record<string, unknown>;
  if ('checkpoint' in obj) {
    const cp = obj['checkpoint'];
    if (!cp || typeof cp !== 'object') throw new ExportLineError(line, 'checkpoint must be an object');
    return { kind: 'checkpoint', checkpoint: cp as CheckpointJson };
  }
  const ti = obj['treeIndex'];
  if (ti !== undefined && ti !== null && (typeof ti !== 'number' || !Number.isSafeInteger(ti) || ti < 0)) throw new ExportLineError(line, 'treeIndex must be a non-negative integer');
  const lh = obj['leafHash'];
  if (lh !== undefined && (typeof lh !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(lh))) throw new ExportLineError(line, 'leafHash must be a base64url SHA-256');
  const stored = obj['stored'];
  if (stored !== undefined && (!stored || typeof stored !== 'object')) throw new ExportLineError(line, 'stored must be an object');
  const form = (stored ?? obj) as Record<string, unknown>;
  if (!('data' in form) || !('metadata' in form)) throw new ExportLineError(line, 'data and metadata are required');
  return {
    kind: 'event',
    entry: {
      position: str(obj, 'position', line),
      treeIndex: typeof ti === 'number' ? ti : undefined,
      recordedLeaf: typeof lh === 'string' ? Buffer.from(lh, 'base64url') : undefined,
      event: {
        id: str(obj, 'id', line),
        stream: str(obj, 'stream', line),
        revision: str(obj, 'revision', line),
        type: str(obj, 'type', line),
        recordedAt: str(obj, 'recordedAt', line),
        data: form['data'],
        metadata: form['metadata'],
      },
    },
  };
}

/** The events of an export file, in order; checkpoint trailer lines go to `onCheckpoint`. */
export async function* readExportFile(path: string, onCheckpoint: (cp: CheckpointJson) => void): AsyncGenerator<LogEntry> {
  // Split the chunks by hand (readline costs more than the JSON.parse of a line).
  let rest = '';
  let n = 0;
  const take = (text: string): ExportLine | undefined => {
    n++;
    if (text.length === 0 || text.trim() === '') return undefined;
    return parseExportLine(text, n);
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = take(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
      if (line?.kind === 'checkpoint') onCheckpoint(line.checkpoint);
      else if (line) yield line.entry;
    }
    rest = text.slice(start);
    if (rest.length > MAX_EXPORT_LINE_CHARS) throw new ExportLineError(n + 1, `longer than ${MAX_EXPORT_LINE_CHARS} characters`);
  }
  const last = take(rest);
  if (last?.kind === 'checkpoint') onCheckpoint(last.checkpoint);
  else if (last) yield last.entry;
}
