/** What the governor learns from one finished request. */
export interface RateLeaseOutcome {
  status: number;
  headers: Headers;
}

export interface RateLease {
  /** Frees the concurrency slot and records the response's rate-limit headers (or nothing on an error). */
  release(outcome?: RateLeaseOutcome | Headers | Error): Promise<void>;
}

/**
 * Decides when a request to (org, bucket) may be sent: at most `share` of each bucket's per-minute
 * limit and at most `maxConcurrent` requests in flight per org.
 */
export interface RateGovernor {
  acquire(org: string, bucket: string, signal?: AbortSignal): Promise<RateLease>;
}

export interface RateGovernorOptions {
  /** Share of each bucket's per-minute limit this deployment may spend (0 < share ≤ 1, default 0.5). */
  share?: number;
  /** Requests in flight per org across every process (default 10). */
  maxConcurrent?: number;
  /** Requests allowed in flight per bucket before its first response says what the limit is (default 2). */
  probeCount?: number;
  /** A lease not released after this long frees its slot (a crashed process must not leak slots). */
  leaseTtlMs?: number;
}

/** Rate-limit state read from one response, with the reset expressed relative to the server's own clock. */
export interface RateObservation {
  limit: number;
  remaining: number;
  /** Milliseconds from the response until the window resets (reset − Date header, so clock skew cancels). */
  resetInMs: number;
  /** The response was a per-minute 429 (the bucket is spent until the reset). */
  throttled: boolean;
}
