// The process's Prometheus metrics: one prom-client Registry per runtime (never the global default
// registry: tests build many apps in one process), the metric objects every part of the code
// observes, and the hooks that let roles plug in the gauges only they can read (projector lag,
// queue counts). Served as text by GET /metrics (src/metrics/http-metrics.ts).

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One sample of a collected gauge: its labels and value. */
export interface Sample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/** Longest a gauge's collect() may take before the scrape goes on without it. */
export const COLLECT_TIMEOUT_MS = 3_000;

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const INFERENCE_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32];

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'facetrail_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'facetrail_event_store_append_duration_seconds',
    help: 'EventStore.append latency by store and outcome (ok, conflict, error)',
    labelNames: ['store', 'outcome'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });

  readonly inferenceDuration = new Histogram({
    name: 'facetrail_inference_duration_seconds',
    help: 'Face analysis (decode, detect, landmarks, descriptors) latency per model and version',
    labelNames: ['model', 'version'] as const,
    buckets: INFERENCE_SECONDS,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'facetrail_cache_requests_total',
    help: 'Read-cache lookups by cache and result (hit, miss, error, bypass); hit ratio = hit / sum',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });

  readonly collectErrors = new Counter({
    name: 'facetrail_metrics_collect_errors_total',
    help: 'Gauges whose collection failed or timed out during a scrape (their series are left out)',
    labelNames: ['collector'] as const,
    registers: [this.registry],
  });

  private readonly closers: (() => Promise<void>)[] = [];

  constructor(opts: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}) {
    if (opts.labels) this.registry.setDefaultLabels(opts.labels);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** For the read cache's `onResult` observer. */
  readonly observeCache = (cache: string, result: string): void => {
    this.cacheRequests.inc({ cache, result });
  };

  /**
   * A gauge whose samples are read at scrape time by `read` (bounded by COLLECT_TIMEOUT_MS). A
   * failing read leaves the gauge empty for that scrape and counts a collect error, so a stale
   * value never looks current.
   */
  gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Sample<L>[]>): Gauge<L> {
    const errors = this.collectErrors;
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const s of await withTimeout(read(), COLLECT_TIMEOUT_MS, name)) this.set(s.labels as Partial<Record<L, string>>, s.value);
        } catch {
          errors.inc({ collector: name });
        }
      },
    });
  }

  /** Called by runtime.close(): releases what the collectors hold (queue handles). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.closers.splice(0).map((fn) => fn()));
  }
}
