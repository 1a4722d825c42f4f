import { backoffDelayMs, sleep as sleepOrReject } from '@idgraph/core';

/**
 * Exponential backoff with equal jitter for a poller whose batch failed (database down, SQS
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
    // Half fixed, half jitter: never zero, and pollers that failed together spread out.
    return backoffDelayMs(this.failures - 1, { baseMs: this.baseMs, capMs: this.maxMs, jitter: 'equal', random: this.random });
  }

  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}

/**
 * Sleeps `ms`, or less if `signal` aborts first; never rejects. Only consumer.ts still uses it (its
 * poll loop checks the signal after waking); everything else uses @idgraph/core's `sleep`, which
 * rejects on abort.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepOrReject(ms, signal).catch(() => {});
}
