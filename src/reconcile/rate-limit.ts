/**
 * A sliding-window limiter for the targeted reads a reconciliation makes (`config.reconcile.rateLimit`:
 * at most `max` calls per `durationMs`): the source system is shared with everything else the gateway
 * does, and the SNE's own rate limit must not be spent by a report.
 */

export interface RateLimit {
  max: number;
  durationMs: number;
}

export class RateLimiter {
  private readonly starts: number[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => {
        setTimeout(resolve, ms).unref();
      }),
  ) {}

  /** Resolves when one more call may start; callers are served in order. */
  take(): Promise<void> {
    const turn = this.chain.then(() => this.wait());
    this.chain = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length && t - this.starts[0]! >= this.limit.durationMs) this.starts.shift();
      if (this.starts.length < this.limit.max) {
        this.starts.push(t);
        return;
      }
      await this.sleep(this.starts[0]! + this.limit.durationMs - t);
    }
  }
}
