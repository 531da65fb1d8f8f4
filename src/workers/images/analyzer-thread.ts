// Worker-thread side of AnalyzerPool: one FaceAnalyzer per thread. onnxruntime-node runs a model
// synchronously on the calling thread (SSD ≈ 70–100 ms), so analyses must not run on the main
// event loop, where they would stall HTTP, projections and BullMQ lock renewals.

import { parentPort, workerData } from 'node:worker_threads';
import { FaceAnalyzer } from '../../inference/analyzer.js';
import { InferenceInputError } from '../../inference/errors.js';
import type { AnalyzeOptions } from '../../inference/types.js';

interface Request {
  id: number;
  bytes: Uint8Array;
  options: AnalyzeOptions;
}

const { threads } = workerData as { threads: number | undefined };
const port = parentPort!;

const analyzer = await FaceAnalyzer.create({ threads });
port.postMessage({ ready: true });

port.on('message', (msg: Request | { close: true }) => {
  if ('close' in msg) {
    void analyzer.close().then(() => port.close());
    return;
  }
  analyzer.analyze(msg.bytes, msg.options).then(
    (result) => port.postMessage({ id: msg.id, result }),
    (err: unknown) =>
      port.postMessage({
        id: msg.id,
        error: {
          message: err instanceof Error ? err.message : String(err),
          inputCode: err instanceof InferenceInputError ? err.code : undefined,
        },
      }),
  );
});
