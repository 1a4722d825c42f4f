/**
 * Per-token rate limit of the SCIM endpoint: a token bucket per key (the integration's token),
 * in this process's memory. Each `serve` process limits on its own, so N processes behind a load
 * balancer allow N times the rate; the buckets start full again when the process restarts.
 */
export interface RateLimitOptions {
  /** Requests a token may make at once. */
  burst: number;
  /** Requests per second a token gets back. */
  perSecond: number;
}

export const DEFAULT_SCIM_RATE_LIMIT: RateLimitOptions = { burst: 200, perSecond: 20 };

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = () => Date.now(),
  ) {
    if (!(opts.burst >= 1) || !(opts.perSecond > 0)) throw new Error(`SCIM rate limit needs burst ≥ 1 and perSecond > 0, got ${JSON.stringify(opts)}`);
  }

  /** Takes one request from the key's bucket: 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: t };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
  }

  /** Forgets a key (its token was rotated or revoked). */
  forget(key: string): void {
    this.buckets.delete(key);
  }
}
