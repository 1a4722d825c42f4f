/**
 * Okta's per-minute rate limits (https://developer.okta.com/docs/reference/rate-limits/): buckets matched method-aware, exact patterns
 * first then longest prefix; 60-second windows that start with a bucket's first request (not
 * aligned to wall-clock minutes); each token/app may use only `tokenShare` of a bucket; plus an
 * org-wide concurrency limit.
 */

export interface BucketDef {
  id: string;
  /** Methods the bucket applies to; undefined = all. */
  methods?: readonly string[];
  /** `exact` patterns use `{id}` for one path segment; `prefix` matches the path and below. */
  match: { exact: string } | { prefix: string };
  /** Workforce default requests per minute. */
  limit: number;
}

/**
 * Workforce defaults from the last published table (okta/okta-developer-docs
 * packages/@okta/vuepress-site/docs/reference/rl-global-mgmt/index.md at 69fe2395b5e2f2d2852cb21e61c416a845d52f9e).
 */
export const DEFAULT_BUCKETS: readonly BucketDef[] = [
  { id: 'apps-id', methods: ['GET', 'PUT', 'DELETE'], match: { exact: '/api/v1/apps/{id}' }, limit: 500 },
  { id: 'apps', match: { prefix: '/api/v1/apps' }, limit: 100 },
  { id: 'groups-id', match: { exact: '/api/v1/groups/{id}' }, limit: 1000 },
  { id: 'groups', match: { prefix: '/api/v1/groups' }, limit: 500 },
  { id: 'users-id-get', methods: ['GET'], match: { exact: '/api/v1/users/{id}' }, limit: 2000 },
  { id: 'users-id-write', methods: ['POST', 'PUT', 'DELETE'], match: { exact: '/api/v1/users/{id}' }, limit: 600 },
  { id: 'users', match: { prefix: '/api/v1/users' }, limit: 600 },
  { id: 'logs', match: { prefix: '/api/v1/logs' }, limit: 120 },
  { id: 'events', match: { prefix: '/api/v1/events' }, limit: 100 },
  { id: 'api-v1', match: { prefix: '/api/v1' }, limit: 1200 },
  { id: 'oauth-clients', match: { prefix: '/oauth2/v1/clients' }, limit: 100 },
  { id: 'oauth-token', match: { exact: '/oauth2/v1/token' }, limit: 2000 },
];

function exactMatches(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return false;
  return p.every((seg, i) => seg === '{id}' ? (s[i] ?? '') !== '' : seg === s[i]);
}

/** The bucket for a request: exact matches win, then the longest matching prefix. */
export function findBucket(method: string, path: string, buckets: readonly BucketDef[] = DEFAULT_BUCKETS): BucketDef | null {
  let best: BucketDef | null = null;
  let bestLen = -1;
  for (const b of buckets) {
    if (b.methods && !b.methods.includes(method)) continue;
    if ('exact' in b.match) {
      if (exactMatches(b.match.exact, path)) return b;
    } else if ((path === b.match.prefix || path.startsWith(`${b.match.prefix}/`)) && b.match.prefix.length > bestLen) {
      best = b;
      bestLen = b.match.prefix.length;
    }
  }
  return best;
}

interface Window { start: number; count: number }

export interface RateDecision {
  allowed: boolean;
  bucket: string;
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

export class RateLimiter {
  private readonly orgWindows = new Map<string, Window>();
  private readonly tokenWindows = new Map<string, Window>();
  factor = 1;

  constructor(
    private readonly overrides: Partial<Record<string, number>>,
    factor: number,
    private readonly tokenShare: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.factor = factor;
    if (!(tokenShare > 0 && tokenShare <= 1)) throw new Error(`tokenShare must be in (0, 1], got ${tokenShare}`);
  }

  limitOf(bucket: BucketDef): number {
    const base = this.overrides[bucket.id] ?? bucket.limit;
    return Math.max(1, Math.floor(base * this.factor));
  }

  /**
   * Counts one request against the org bucket and the caller's share of it. The headers report
   * the org bucket's limit; `remaining` is the smaller of the org's and the caller's remainder,
   * so a client that respects `X-Rate-Limit-Remaining` never hits the per-token 429.
   */
  take(bucket: BucketDef, principal: string): RateDecision {
    const now = this.clock();
    const limit = this.limitOf(bucket);
    const tokenLimit = Math.max(1, Math.floor(limit * this.tokenShare));
    const org = this.window(this.orgWindows, bucket.id, now);
    const tok = this.window(this.tokenWindows, `${bucket.id}\u0000${principal}`, now);
    const reset = Math.ceil((org.start + 60_000) / 1000);
    const allowed = org.count < limit && tok.count < tokenLimit;
    if (allowed) { org.count++; tok.count++; }
    const remaining = Math.max(0, Math.min(limit - org.count, tokenLimit - tok.count));
    return { allowed, bucket: bucket.id, limit, remaining: allowed ? remaining : 0, reset: allowed ? reset : Math.ceil((Math.max(org.start, tok.start) + 60_000) / 1000) };
  }

  private window(map: Map<string, Window>, key: string, now: number): Window {
    let w = map.get(key);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0 };
      map.set(key, w);
    }
    return w;
  }
}
