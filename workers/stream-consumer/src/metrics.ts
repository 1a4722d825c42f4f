/** Counters the consumer keeps; names match the operational questions they answer. */
export const STREAM_COUNTERS = ['received', 'applied', 'dlq', 'deleteFailures', 'handlerErrors', 'futureEvents', 'conflicts'] as const;
export type StreamCounter = (typeof STREAM_COUNTERS)[number];

/**
 * Where the consumer reports what it did. `received` counts messages taken off the queue,
 * `applied` messages whose batch committed, `dlq` messages moved to the dead-letter queue,
 * `deleteFailures` messages that could not be deleted after the commit (they come back and are
 * ingested idempotently), `handlerErrors` failed batches, `futureEvents` events rejected (to the
 * dead-letter queue, also counted in `dlq`) for a `published` later than Okta's clock plus the
 * allowed skew, `conflicts` events that came with the uuid of a stored event but other content
 * (the stored event is kept). `lag` is now minus SQS SentTimestamp
 * of the oldest message of the latest batch, in milliseconds.
 */
export interface StreamMetrics {
  increment(counter: StreamCounter, by: number): void;
  setLag(ms: number): void;
}

/** The default sink: plain numbers, readable with `snapshot()` (tests, /metrics endpoints, benches). */
export class InMemoryStreamMetrics implements StreamMetrics {
  private readonly counters: Record<StreamCounter, number> = {
    received: 0,
    applied: 0,
    dlq: 0,
    deleteFailures: 0,
    handlerErrors: 0,
    futureEvents: 0,
    conflicts: 0,
  };
  private lagMs: number | null = null;

  increment(counter: StreamCounter, by: number): void {
    this.counters[counter] += by;
  }

  setLag(ms: number): void {
    this.lagMs = ms;
  }

  snapshot(): Record<StreamCounter, number> & { lagMs: number | null } {
    return { ...this.counters, lagMs: this.lagMs };
  }
}
