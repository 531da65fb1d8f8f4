// The EventStoreDB catch-up subscription behind the port's Subscription: wraps the client's
// subscribeToAll, keeps our events only, moves checkpoint() past filtered-out events (the server's
// checkpoint messages, queued behind the events buffered before them, and an idle scan of the tail),
// and fails the iterator when the connection fails, also before the first event.

import type { AllStreamSubscription, Filter } from '@eventstore/db-client';
import { comparePositions, type Position } from '../position.js';
import type { EventFilter, RecordedEvent, Subscription } from '../types.js';
import { isAfter, matchesFilter, toPosition, toRecordedEvent, wrapError } from './mapping.js';

/** One entry of $all as the idle scan sees it: its position, and our event when it is one. */
export interface ScannedEntry {
  position: Position;
  event: RecordedEvent | undefined;
}

export interface EsdbSubscriptionOptions {
  /** Where to start: 'start', or the events after a position (from 'end' it is resolved before). */
  start: Promise<Position | 'start'>;
  /** The port's filter (what the consumer gets). */
  filter: EventFilter | undefined;
  /** Opens the client's subscription; `checkpointReached` must go into the server filter. */
  open(from: Position | 'start', checkpointReached: NonNullable<Filter['checkpointReached']>): AllStreamSubscription;
  /** Reads $all forwards after `after` (every entry, system ones too), at most `maxCount`. */
  scan(after: Position | undefined, maxCount: number): AsyncIterable<ScannedEntry>;
  /** How long the consumer waits on an empty buffer before the tail is scanned. */
  idleScanMs: number;
  /** Entries read per idle scan. */
  idleScanMax: number;
  onClose(): void;
}

const CLOSED: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * What a server checkpoint at `p` lets us claim: every record before `p`. Whether the server's
 * checkpoint names the last record it scanned or the next one to read is not documented, so claim
 * no more than the records before it (no record of ours starts one byte before another); the idle
 * scan below moves on to exact positions.
 */
function justBefore(p: Position): Position {
  if (p.commit === 0n) return { commit: 0n, prepare: 0n };
  return { commit: p.commit - 1n, prepare: p.commit - 1n };
}

function isClosed<T>(v: T | typeof CLOSED): v is typeof CLOSED {
  return v === CLOSED;
}

export class EsdbSubscription implements Subscription {
  private iterator: AsyncGenerator<RecordedEvent> | undefined;
  private closed = false;
  private source: AllStreamSubscription | undefined;
  private after: Position | undefined;
  private scanned: Position | undefined;
  /** Entries taken from the client's stream, and those the consumer is done with. */
  private pulled = 0;
  private consumed = 0;
  /** Server checkpoints, each exposed once the entries buffered before it are consumed. */
  private readonly checkpoints: { at: number; position: Position }[] = [];
  private waiting = false;
  private scanning = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly closedSignal: Promise<typeof CLOSED>;
  private signalClosed!: () => void;
  private readonly failed: Promise<never>;
  private fail!: (err: unknown) => void;

  constructor(private readonly opts: EsdbSubscriptionOptions) {
    this.closedSignal = new Promise((resolve) => {
      this.signalClosed = () => resolve(CLOSED);
    });
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failed.catch(() => undefined);
    // A failing start surfaces through the iterator (also when iteration begins later).
    opts.start.catch((err: unknown) => this.fail(err));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signalClosed();
    clearInterval(this.idleTimer);
    this.opts.onClose();
    const source = this.source;
    if (source) {
      await source.unsubscribe().catch(() => undefined);
      source.destroy();
    }
  }

  checkpoint(): Position | undefined {
    return this.scanned;
  }

  /** Every call returns the same iterator: a subscription is one stream of events. */
  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.run();
    return this.iterator;
  }

  private advance(position: Position | undefined): void {
    if (position && (!this.scanned || comparePositions(position, this.scanned) > 0)) this.scanned = position;
  }

  /** Exposes the checkpoints whose preceding entries are all consumed. */
  private release(): void {
    while (this.checkpoints[0] && this.checkpoints[0].at <= this.consumed) this.advance(this.checkpoints.shift()!.position);
  }

  private readonly onCheckpoint = async (source: AllStreamSubscription, position: Position): Promise<void> => {
    // The client calls this from its transform while up to a buffer of earlier events waits to be
    // read, and maybe inside a read that has taken an event not yet counted: let that read settle,
    // then queue the checkpoint behind everything taken or buffered before it.
    await new Promise((resolve) => setImmediate(resolve));
    this.checkpoints.push({ at: this.pulled + source.readableLength, position: justBefore(position) });
    this.release();
  };

  private async *run(): AsyncGenerator<RecordedEvent> {
    try {
      const start = await Promise.race([this.opts.start, this.failed, this.closedSignal]);
      if (isClosed(start) || this.closed) return;
      this.after = start === 'start' ? undefined : start;
      const source = this.opts.open(start, this.onCheckpoint);
      this.source = source;
      // The client emits connection errors on the stream without destroying it, so an iterator
      // made later would never see them: keep the first one and fail the iterator with it.
      source.on('error', (err: unknown) => this.fail(err));
      this.idleTimer = setInterval(() => void this.scanIdleTail(), this.opts.idleScanMs);
      this.idleTimer.unref();
      const it = source[Symbol.asyncIterator]();
      while (!this.closed) {
        const pending = it.next() as Promise<IteratorResult<Parameters<typeof toRecordedEvent>[0]>>;
        pending.catch(() => undefined); // abandoned when close() or a failure wins the race
        this.waiting = true;
        const next = await Promise.race([pending, this.failed, this.closedSignal]).finally(() => {
          this.waiting = false;
        });
        if (next.done || this.closed) return;
        this.pulled++;
        const event = toRecordedEvent(next.value);
        if (event && isAfter(event.position, this.after) && matchesFilter(event, this.opts.filter)) yield event;
        this.consumed++;
        this.advance(toPosition(next.value.event?.position));
        this.release();
      }
    } catch (err) {
      if (this.closed) return;
      throw wrapError(err);
    } finally {
      await this.close();
    }
  }

  /**
   * The server sends checkpoints only every so many scanned events and on going live, so an idle
   * tail of other streams' events would never move checkpoint(): while the consumer waits on an
   * empty buffer, read $all after the checkpoint and advance it up to the entry before the first
   * one that matches (that one is on its way through the subscription).
   */
  private async scanIdleTail(): Promise<void> {
    if (this.scanning || this.closed || !this.waiting || (this.source?.readableLength ?? 1) > 0 || this.checkpoints.length > 0) return;
    this.scanning = true;
    try {
      let last: Position | undefined;
      for await (const entry of this.opts.scan(this.scanned ?? this.after, this.opts.idleScanMax)) {
        const e = entry.event;
        if (e && isAfter(e.position, this.after) && matchesFilter(e, this.opts.filter)) break;
        last = entry.position;
      }
      this.advance(last);
    } catch {
      // The subscription itself reports connection trouble; a failed scan only waits for the next.
    } finally {
      this.scanning = false;
    }
  }
}
