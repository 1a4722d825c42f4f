import type { RateLeaseOutcome, RateObservation } from './types.js';

const WINDOW_MS = 60_000;

function intHeader(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  // A duplicated header arrives comma-joined; its value cannot be trusted.
  if (raw === null || raw.includes(',')) return null;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : null;
}

/**
 * Reads X-Rate-Limit-* from a response. Returns null without usable headers, and
 * `{concurrency: true}` for a concurrency 429 (limit 0), which says nothing about the minute window.
 */
export function observeResponse(outcome: RateLeaseOutcome, nowMs: number = Date.now()): RateObservation | { concurrency: true } | null {
  const limit = intHeader(outcome.headers, 'x-rate-limit-limit');
  const remaining = intHeader(outcome.headers, 'x-rate-limit-remaining');
  const reset = intHeader(outcome.headers, 'x-rate-limit-reset');
  if (limit === 0 && outcome.status === 429) return { concurrency: true };
  if (limit === null || remaining === null || reset === null || limit <= 0) return null;
  const dateHeader = outcome.headers.get('date');
  const serverNow = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  // Date has one-second resolution; the waiter adds up to 1 s of jitter on top.
  const resetInMs = reset * 1000 - (Number.isFinite(serverNow) ? serverNow : nowMs);
  return {
    limit,
    remaining: Math.max(0, remaining),
    resetInMs: Math.min(Math.max(0, resetInMs), 2 * WINDOW_MS),
    throttled: outcome.status === 429,
  };
}

export function isOutcome(x: unknown): x is RateLeaseOutcome {
  return typeof x === 'object' && x !== null && 'status' in x && 'headers' in x;
}

export { WINDOW_MS };
