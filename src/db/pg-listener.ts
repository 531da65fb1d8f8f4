// One LISTEN connection per channel and process: wakes waiters on NOTIFY. If the connection drops
// it reconnects with backoff; waiters time out and poll meanwhile, so nothing is missed.

import pg from 'pg';
import { applicationName } from './application-name.js';

export class PgListener {
  private client: pg.Client | undefined;
  private waiters = new Set<() => void>();
  private closed = false;
  private connecting: Promise<void> | undefined;
  private retryMs = 100;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onError: (err: Error) => void,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid LISTEN channel name '${channel}'`);
  }

  /** Resolves at the next notification, or when `timeoutMs` passes, or when `signal` fires. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.ensureConnected();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  private wakeAll(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  private ensureConnected(): void {
    if (this.closed || this.client || this.connecting || this.retryTimer) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: applicationName('facetrail-listen') });
    client.on('notification', () => this.wakeAll());
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = 100;
      // Anything appended while we were not listening: let subscribers look.
      this.wakeAll();
    } catch (err) {
      await client.end().catch(() => undefined);
      this.lost(client, err as Error);
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client === client) this.client = undefined;
    if (this.closed || this.retryTimer) return;
    this.onError(err);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.waiters.size > 0) this.ensureConnected();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.wakeAll();
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }
}
