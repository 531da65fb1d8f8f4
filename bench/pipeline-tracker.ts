// The pipeline bench's one event-store subscription: resolves per-image waiters with the analysis
// result event, and for every ImageUploaded / ImageAnalyzed starts a wait for the `images`
// projection's checkpoint to reach the event (projection lag).

import { performance } from 'node:perf_hooks';
import { imageStream } from '../src/domain/images/image-events.js';
import type { RecordedEvent, Subscription } from '../src/eventstore/types.js';
import { streamId } from '../src/projections/stream-id.js';
import type { Runtime } from '../src/runtime.js';

const RESULT_TYPES = ['ImageAnalyzed', 'ImageAnalysisFailed'];
const LAG_WAIT_MS = 10_000;

export interface LagSample {
  imageId: string;
  /** The event's id (an ImageUploaded's id is its analysis job's id). */
  eventId: string;
  type: 'ImageUploaded' | 'ImageAnalyzed';
  /** Epoch ms: the event's recordedAt, when the subscription delivered it, when `images` reached it (undefined: timed out). */
  recordedAt: number;
  seenAt: number;
  reachedAt?: number;
  /** ImageAnalyzed only. */
  durationMs?: number;
  faces?: number;
}

interface Waiter {
  resolve(event: RecordedEvent): void;
  reject(err: Error): void;
}

const nowEpoch = () => performance.timeOrigin + performance.now();

export class PipelineTracker {
  private readonly sub: Subscription;
  private readonly results = new Map<string, RecordedEvent>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly lagWaits: Promise<void>[] = [];
  private readonly samples: LagSample[] = [];
  private readonly loop: Promise<void>;
  private failure: Error | undefined;

  constructor(private readonly rt: Pick<Runtime, 'eventStore' | 'checkpoints'>) {
    this.sub = rt.eventStore.subscribe({ from: 'end', filter: { eventTypes: ['ImageUploaded', ...RESULT_TYPES] } });
    this.loop = this.consume().catch((err: unknown) => {
      this.failure = err instanceof Error ? err : new Error(String(err));
      for (const w of this.waiters.values()) w.reject(this.failure);
      this.waiters.clear();
    });
  }

  private async consume(): Promise<void> {
    for await (const event of this.sub) {
      const seenAt = nowEpoch();
      const imageId = streamId(event.stream, 'image');
      if (event.type === 'ImageUploaded' || event.type === 'ImageAnalyzed') {
        const data = event.data as { durationMs?: number; faces?: unknown[] };
        const sample: LagSample = { imageId, eventId: event.id, type: event.type, recordedAt: event.recordedAt.getTime(), seenAt };
        if (event.type === 'ImageAnalyzed') {
          sample.durationMs = data.durationMs;
          sample.faces = data.faces?.length;
        }
        this.samples.push(sample);
        this.lagWaits.push(
          this.rt.checkpoints.waitFor(['images'], event.position, LAG_WAIT_MS).then(
            (ok) => {
              if (ok) sample.reachedAt = nowEpoch();
            },
            () => undefined,
          ),
        );
      }
      if (RESULT_TYPES.includes(event.type) && !this.results.has(imageId)) {
        this.results.set(imageId, event);
        const waiter = this.waiters.get(imageId);
        if (waiter) {
          this.waiters.delete(imageId);
          waiter.resolve(event);
        }
      }
    }
  }

  /** The first ImageAnalyzed / ImageAnalysisFailed of the image (seen from the subscription's start). */
  result(imageId: string, timeoutMs: number): Promise<RecordedEvent> {
    const done = this.results.get(imageId);
    if (done) return Promise.resolve(done);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<RecordedEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(imageId);
        reject(new Error(`no analysis result for image ${imageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(imageId, {
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  /** Waits for every projection-lag wait started so far; the samples. */
  async settle(): Promise<LagSample[]> {
    let n = -1;
    while (n !== this.lagWaits.length) {
      n = this.lagWaits.length;
      await Promise.all(this.lagWaits);
    }
    return this.samples;
  }

  /** Result events in the image's stream. */
  async countResults(imageId: string): Promise<{ analyzed: number; failed: number }> {
    let analyzed = 0;
    let failed = 0;
    for await (const e of this.rt.eventStore.readStream(imageStream(imageId))) {
      if (e.type === 'ImageAnalyzed') analyzed++;
      else if (e.type === 'ImageAnalysisFailed') failed++;
    }
    return { analyzed, failed };
  }

  async close(): Promise<void> {
    await this.sub.close();
    // The loop ends when the subscription's pending read returns; do not hang on it.
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await Promise.all(this.lagWaits);
  }
}
