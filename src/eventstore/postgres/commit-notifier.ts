// The wake-up for subscribers (NOTIFY es_events) after appends have committed, outside their
// transactions: a transaction that queued a NOTIFY holds one cluster-wide lock from its commit
// through its WAL flush, so notifying appends could never share a flush (0011_append_without_notify).
// One NOTIFY at a time; commits while it is in flight are covered by one more after it. The NOTIFY
// is only a hint: subscribers read by position and poll (pollIntervalMs) when none comes, e.g. when
// the process stops between a commit and its NOTIFY, so a lost one only delays them.
// It goes out on the next turn of the event loop (setImmediate), after the appenders the commit
// resolved have run: a writer's next append reaches the server before this NOTIFY instead of
// waiting behind its socket write, and commits resolved in the same turn share one NOTIFY. While
// commits keep coming, NOTIFYs are at least NOTIFY_MIN_GAP_MS apart (a lone writer commits every
// 0.3–0.5 ms; a NOTIFY per commit cost it about 30 µs of server and 20–40 µs of Node CPU per
// append). The first commit after a pause is notified at once, so a waiting subscriber wakes at
// most that much later, and every commit is still followed by a NOTIFY sent after it.
// It is a plain `NOTIFY channel` (simple query protocol: one message, no bind), not
// `select pg_notify($1, $2)`.

import type pg from 'pg';

/** The least time between two NOTIFYs while commits keep coming (the first after a pause: at once). */
export const NOTIFY_MIN_GAP_MS = 1;

export class CommitNotifier {
  private running: Promise<void> | undefined;
  private owed = false;
  private lastSent = Number.NEGATIVE_INFINITY;
  private readonly statement: string;

  constructor(
    private readonly pool: pg.Pool,
    channel: string,
    private readonly onError: (err: Error) => void,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid NOTIFY channel name '${channel}'`);
    this.statement = `notify ${channel}`;
  }

  /** Call after a commit that wrote events. */
  committed(): void {
    this.owed = true;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the notifications owed so far have been sent (or have failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    while (this.owed) {
      const wait = this.lastSent + NOTIFY_MIN_GAP_MS - performance.now();
      await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
      // Commits reported from here on need a NOTIFY sent after them: the next round.
      this.owed = false;
      this.lastSent = performance.now();
      try {
        await this.pool.query(this.statement);
      } catch (err) {
        this.onError(err as Error);
      }
    }
  }
}
