// The wake-up for subscribers (NOTIFY es_events) after appends have committed, outside their
// transactions: a transaction that queued a NOTIFY holds one cluster-wide lock from its commit
// through its WAL flush, so notifying appends could never share a flush (0011_append_without_notify).
// One NOTIFY at a time; commits while it is in flight are covered by one more after it. The NOTIFY
// is only a hint: subscribers read by position and poll (pollIntervalMs) when none comes, e.g. when
// the process stops between a commit and its NOTIFY, so a lost one only delays them.

import type pg from 'pg';

export class CommitNotifier {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Call after a commit that wrote events. */
  committed(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the notifications owed so far have been sent (or have failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pool.query({ name: 'es_notify_committed', text: 'select pg_notify($1, $2)', values: [this.channel, ''] });
      } catch (err) {
        this.onError(err as Error);
      }
    } while (this.again);
  }
}
