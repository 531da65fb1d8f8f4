// A budget of pixels the API's upload checks may decode at once (a weighted semaphore, FIFO so a
// large image is not starved by small ones). An upload waits for its share up to a bound; past
// it the caller answers 503 with Retry-After. An image larger than the whole budget runs alone.

export class PixelBudgetTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`no decode budget within ${waitedMs} ms`);
    this.name = 'PixelBudgetTimeout';
  }
}

interface Waiter {
  pixels: number;
  grant(): void;
}

export class PixelBudget {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {}

  /** Pixels taken by checks now running (metrics, tests). */
  get inFlight(): number {
    return this.used;
  }

  /** Runs `work` once `pixels` (at most the capacity) are free, waiting up to `waitMs`. */
  async run<T>(pixels: number, waitMs: number, work: () => Promise<T>): Promise<T> {
    const share = Math.max(1, Math.min(this.capacity, Math.ceil(pixels)));
    await this.acquire(share, waitMs);
    try {
      return await work();
    } finally {
      this.used -= share;
      this.grantWaiting();
    }
  }

  private acquire(pixels: number, waitMs: number): Promise<void> {
    if (this.waiters.length === 0 && this.used + pixels <= this.capacity) {
      this.used += pixels;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        pixels,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        this.grantWaiting(); // the head may have been this waiter, blocking smaller ones behind it
        reject(new PixelBudgetTimeout(waitMs));
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  private grantWaiting(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.pixels <= this.capacity) {
      const next = this.waiters.shift()!;
      this.used += next.pixels;
      next.grant();
    }
  }
}
