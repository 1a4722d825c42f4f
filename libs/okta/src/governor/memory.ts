import { randomUUID } from 'node:crypto';
import { sleep } from '@idgraph/core';
import { isOutcome, observeResponse, WINDOW_MS } from './observe.js';
import type { RateGovernor, RateGovernorOptions, RateLease, RateLeaseOutcome, RateObservation } from './types.js';

/** Why a request has to wait; also the poll interval for the short waits. */
export const WAIT_CONCURRENCY_MS = 50;
export const WAIT_PROBE_MS = 100;

export type WaitReason = 'concurrency' | 'probe' | 'budget';

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

/** Jitter added to waits so that waiters do not all fire at the reset instant. */
export function waitWithJitter(waitMs: number, reason: WaitReason): number {
  if (reason === 'budget') return waitMs + Math.floor(Math.random() * 1000);
  return waitMs + Math.floor(Math.random() * waitMs);
}

export async function acquireLoop(tryAcquire: () => Promise<Decision>, signal: AbortSignal | undefined): Promise<{ probe: boolean }> {
  for (;;) {
    const d = await tryAcquire();
    if (d.granted) return { probe: d.probe };
    await sleep(waitWithJitter(d.waitMs, d.reason), signal);
  }
}

/*
 * The state and the three operations below are the in-process twins of the Redis scripts in
 * ./lua (acquire-lease.lua, release-lease.lua, record-response.lua), statement for statement;
 * ./conformance.test.ts runs one set of scenarios against both governors.
 */

/** Lease id → expiry (ms): the Redis twin is a sorted set scored by expiry. */
type Leases = Map<string, number>;

interface BucketState {
  limit: number | null;
  remaining: number;
  resetAt: number;
  used: number;
  probes: Leases;
}

function dropExpired(leases: Leases, now: number): void {
  for (const [id, expiry] of leases) if (expiry <= now) leases.delete(id);
}

function acquireLease(bucket: BucketState, inFlight: Leases, now: number, o: Required<RateGovernorOptions>, leaseId: string): Decision {
  // A lease its holder never released stops counting once it expires.
  dropExpired(inFlight, now);
  if (inFlight.size >= o.maxConcurrent) return { granted: false, waitMs: WAIT_CONCURRENCY_MS, reason: 'concurrency' };
  let probe = false;
  if (bucket.limit === null) {
    // Before any response says what the limit is, only a few probes go out.
    dropExpired(bucket.probes, now);
    if (bucket.probes.size >= o.probeCount) return { granted: false, waitMs: WAIT_PROBE_MS, reason: 'probe' };
    bucket.probes.set(leaseId, now + o.leaseTtlMs);
    bucket.used += 1;
    probe = true;
  } else {
    if (now >= bucket.resetAt) {
      // The window we knew has passed: a new one started at the reset (windows last WINDOW_MS).
      const windows = Math.floor((now - bucket.resetAt) / WINDOW_MS) + 1;
      bucket.resetAt += windows * WINDOW_MS;
      bucket.used = 0;
      bucket.remaining = bucket.limit;
    }
    const cap = Math.max(1, Math.floor(bucket.limit * o.share));
    if (bucket.used >= cap || bucket.remaining <= 0) {
      return { granted: false, waitMs: Math.max(1, bucket.resetAt - now), reason: 'budget' };
    }
    bucket.used += 1;
    bucket.remaining -= 1;
  }
  inFlight.set(leaseId, now + o.leaseTtlMs);
  return { granted: true, probe };
}

function releaseLease(inFlight: Leases, probes: Leases, leaseId: string): void {
  inFlight.delete(leaseId);
  probes.delete(leaseId);
}

/** Newest window wins; a response of the same window only ever lowers `remaining`; a 429's reset is Okta's word. */
function recordResponse(bucket: BucketState, obs: RateObservation, now: number): void {
  const resetAt = now + obs.resetInMs;
  // Responses of one window disagree on the reset by up to the Date header's 1 s resolution.
  if (bucket.limit === null || resetAt > bucket.resetAt + 1500) {
    bucket.resetAt = resetAt;
    bucket.remaining = obs.remaining;
  } else {
    bucket.remaining = Math.min(bucket.remaining, obs.remaining);
  }
  if (obs.throttled) {
    bucket.remaining = 0;
    bucket.resetAt = resetAt;
  }
  bucket.limit = obs.limit;
}

/** The window part of a response, or null (no usable headers, a concurrency 429, an error, nothing). */
export function windowObservation(outcome: RateLeaseOutcome | Headers | Error | undefined): RateObservation | null {
  const normalized = outcome instanceof Headers ? { status: 200, headers: outcome } : outcome;
  if (!isOutcome(normalized)) return null;
  const obs = observeResponse(normalized);
  return obs && !('concurrency' in obs) ? obs : null;
}

/** In-process governor for one-shot runs: the same rules as the Redis governor, state in Maps. */
export function createMemoryRateGovernor(opts?: RateGovernorOptions): RateGovernor {
  const o = resolveOptions(opts);
  const buckets = new Map<string, BucketState>();
  const inFlightByOrg = new Map<string, Leases>();

  const bucketState = (org: string, bucket: string): BucketState => {
    const key = `${org} ${bucket}`;
    let s = buckets.get(key);
    if (!s) {
      s = { limit: null, remaining: 0, resetAt: 0, used: 0, probes: new Map() };
      buckets.set(key, s);
    }
    return s;
  };
  const inFlight = (org: string): Leases => {
    let m = inFlightByOrg.get(org);
    if (!m) {
      m = new Map();
      inFlightByOrg.set(org, m);
    }
    return m;
  };

  return {
    async acquire(org, bucket, signal) {
      const leaseId = randomUUID();
      await acquireLoop(async () => acquireLease(bucketState(org, bucket), inFlight(org), Date.now(), o, leaseId), signal);
      let released = false;
      const lease: RateLease = {
        async release(outcome?: RateLeaseOutcome | Headers | Error) {
          if (released) return;
          released = true;
          const state = bucketState(org, bucket);
          releaseLease(inFlight(org), state.probes, leaseId);
          const obs = windowObservation(outcome);
          if (obs) recordResponse(state, obs, Date.now());
        },
      };
      return lease;
    },
  };
}
