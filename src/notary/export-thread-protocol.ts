// The messages between readExportFile and its worker thread (src/notary/export-thread.ts).

/** Whole lines of a chunk (a copy, transferred; it ends just after a line feed). */
export interface ThreadJob {
  id: number;
  bytes: Uint8Array;
}

/**
 * Per line LINE_INTS numbers (offsets in the job's bytes): start, end (a CR cut off), taken (1/0), then when taken treeIndex,
 * leafHash0, position0/1, id0/1, stream0/1, revision0/1, type0/1, recordedAt0/1, data0/1,
 * metadata0/1; and 32 bytes of leaf per line (zeros when not taken) from leavesOffset.
 */
export interface ThreadReply {
  id: number;
  count: number;
  ints: ArrayBufferLike;
  leaves: ArrayBufferLike;
  leavesOffset: number;
  /** The thread's time on the job. */
  ms: number;
}

export const LINE_INTS = 21;
