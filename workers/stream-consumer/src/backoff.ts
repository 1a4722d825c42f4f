/**
 * Exponential backoff with full jitter for a poller whose batch failed (database down, SQS
 * unreachable). Each consecutive failure doubles the ceiling up to `maxMs`; a success resets it.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 200,
    private readonly maxMs = 10_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay to wait after one more failure. */
  next(): number {
    this.failures += 1;
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
    // Half fixed, half jitter: never zero, and pollers that failed together spread out.
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}

/** Sleeps `ms`, or less if `signal` aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
