import { randomUUID } from 'node:crypto';
import { sleep } from '../backoff.js';
import { isOutcome, observeResponse, WINDOW_MS } from './observe.js';
import type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome, RateObservation } from './types.js';

/** Why a request has to wait; also the poll interval for the short waits. */
export const WAIT_CONCURRENCY_MS = 50;
export const WAIT_PROBE_MS = 100;

export interface BucketState {
  limit: number | null;
  remaining: number;
  resetAt: number;
  used: number;
  probes: number;
}

export type Decision = { granted: true; probe: boolean } | { granted: false; waitMs: number; reason: WaitReason };

export function resolveOptions(opts: RateGovernorOptions = {}): Required<RateGovernorOptions> {
  const share = opts.share ?? 0.5;
  if (!(share > 0 && share <= 1)) throw new RangeError(`rate governor share must be in (0, 1], got ${share}`);
  const maxConcurrent = opts.maxConcurrent ?? 10;
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new RangeError(`rate governor maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  }
  return { share, maxConcurrent, probeCount: opts.probeCount ?? 2, leaseTtlMs: opts.leaseTtlMs ?? 60_000 };
}

/**
 * The bucket decision, shared in spirit with the Redis Lua script: roll the window when its reset
 * has passed, then reserve one request if our spend is under floor(limit·share) and Okta still
 * reports remaining capacity; before any response, allow only a few probes.
 */
export function decide(state: BucketState, now: number, share: number, probeCount: number): Decision {
  if (state.limit === null) {
    if (state.probes >= probeCount) return { granted: false, waitMs: WAIT_PROBE_MS, reason: 'probe' };
    state.probes += 1;
    state.used += 1;
    return { granted: true, probe: true };
  }
  if (now >= state.resetAt) {
    const windows = Math.floor((now - state.resetAt) / WINDOW_MS) + 1;
    state.resetAt += windows * WINDOW_MS;
    state.used = 0;
    state.remaining = state.limit;
  }
  const cap = Math.max(1, Math.floor(state.limit * share));
  if (state.used >= cap || state.remaining <= 0) {
    return { granted: false, waitMs: Math.max(1, state.resetAt - now), reason: 'budget' };
  }
  state.used += 1;
  state.remaining -= 1;
  return { granted: true, probe: false };
}

/** Folds one response's headers into the bucket state (newest window wins; same window keeps the lowest remaining). */
export function record(state: BucketState, obs: RateObservation, now: number): void {
  const resetAt = now + obs.resetInMs;
  // Responses of one window disagree on the reset by up to the Date header's 1 s resolution.
  const newWindow = state.limit === null || resetAt > state.resetAt + 1500;
  state.limit = obs.limit;
  if (newWindow) {
    state.resetAt = resetAt;
    state.remaining = obs.remaining;
  } else {
    state.remaining = Math.min(state.remaining, obs.remaining);
  }
  if (obs.throttled) {
    // The 429's own reset is Okta's word on when this bucket opens again, even if earlier than we thought.
    state.remaining = 0;
    state.resetAt = resetAt;
  }
}

/** Jitter added to window waits so that waiters do not all fire at the reset instant. */
export type WaitReason = 'concurrency' | 'probe' | 'budget';

export function waitWithJitter(waitMs: number, reason: WaitReason): number {
  if (reason === 'budget') return waitMs + Math.floor(Math.random() * 1000);
  return waitMs + Math.floor(Math.random() * waitMs);
}

export async function acquireLoop(
  tryAcquire: () => Promise<Decision>,
  signal: AbortSignal | undefined,
): Promise<{ probe: boolean }> {
  for (;;) {
    const d = await tryAcquire();
    if (d.granted) return { probe: d.probe };
    await sleep(waitWithJitter(d.waitMs, d.reason), signal);
  }
}

/** In-process governor for one-shot runs: the same rules as the Redis governor, state in a Map. */
export function createMemoryRateGovernor(opts?: RateGovernorOptions): RateGovernor {
  const o = resolveOptions(opts);
  const buckets = new Map<string, BucketState>();
  const inFlight = new Map<string, Map<string, number>>(); // org → leaseId → expiry

  const bucketState = (org: string, bucket: string): BucketState => {
    const key = `${org} ${bucket}`;
    let s = buckets.get(key);
    if (!s) {
      s = { limit: null, remaining: 0, resetAt: 0, used: 0, probes: 0 };
      buckets.set(key, s);
    }
    return s;
  };
  const leases = (org: string): Map<string, number> => {
    let m = inFlight.get(org);
    if (!m) {
      m = new Map();
      inFlight.set(org, m);
    }
    return m;
  };

  return {
    async acquire(org, bucket, signal) {
      const leaseId = randomUUID();
      const { probe } = await acquireLoop(async () => {
        const now = Date.now();
        const held = leases(org);
        for (const [id, exp] of held) if (exp <= now) held.delete(id);
        if (held.size >= o.maxConcurrent) return { granted: false, waitMs: WAIT_CONCURRENCY_MS, reason: 'concurrency' };
        const d = decide(bucketState(org, bucket), now, o.share, o.probeCount);
        if (d.granted) held.set(leaseId, now + o.leaseTtlMs);
        return d;
      }, signal);
      let released = false;
      const lease: RateLease = {
        async release(outcome?: RateLeaseOutcome | Headers | Error) {
          if (released) return;
          released = true;
          leases(org).delete(leaseId);
          const state = bucketState(org, bucket);
          if (probe) state.probes = Math.max(0, state.probes - 1);
          const normalized = outcome instanceof Headers ? { status: 200, headers: outcome } : outcome;
          if (!isOutcome(normalized)) return;
          const obs = observeResponse(normalized);
          if (obs && !('concurrency' in obs)) record(state, obs, Date.now());
        },
      };
      return lease;
    },
  };
}
