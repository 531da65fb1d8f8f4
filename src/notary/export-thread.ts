// Worker-thread side of readExportFile (src/notary/export-lines.ts): the fast path over whole lines
// of a chunk (a copy the main thread hands over), so two cores hash an export.
// Per line it answers the line's bounds and, when the fast path took it, the FastLine fields and
// the leaf; lines it does not take the main thread reads itself (the slow path, its errors).

import { parentPort } from 'node:worker_threads';
import { fastExportLine } from './canonical-bytes.js';
import { LINE_INTS, type ThreadJob, type ThreadReply } from './export-thread-protocol.js';

const port = parentPort!;

port.on('message', (job: ThreadJob) => {
  const t0 = performance.now();
  const buf = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const lines: number[] = [];
  const leaves: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    const f = fastExportLine(buf, start, end);
    if (f) {
      lines.push(start, end, 1, f.treeIndex, f.leafHash0, f.position0, f.position1, f.id0, f.id1, f.stream0, f.stream1, f.revision0, f.revision1, f.type0, f.type1, f.recordedAt0, f.recordedAt1, f.data0, f.data1, f.metadata0, f.metadata1);
      leaves.push(f.leaf);
    } else {
      lines.push(start, end, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      leaves.push(EMPTY);
    }
    start = nl + 1;
  }
  const ints = Float64Array.from(lines); // tree indexes may pass 2^31
  const leafBytes = Buffer.concat(leaves);
  const reply: ThreadReply = { id: job.id, count: lines.length / LINE_INTS, ints: ints.buffer, leaves: leafBytes.buffer, leavesOffset: leafBytes.byteOffset, ms: performance.now() - t0 };
  port.postMessage(reply, [ints.buffer]);
});

const EMPTY = Buffer.alloc(32);
port.postMessage({ ready: true });
