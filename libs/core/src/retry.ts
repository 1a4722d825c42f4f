import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * An AbortController for one signal shared by everything a run or a process does at once: every
 * concurrent request and wait adds an abort listener while it is pending (removed when it settles),
 * so the default limit of 10 would warn of a leak under ordinary concurrency.
 */
export function sharedAbortController(maxListeners = 1000): AbortController {
  const controller = new AbortController();
  setMaxListeners(maxListeners, controller.signal);
  return controller;
}

/** The reason an aborted signal carries (AbortController.abort() without an argument sets a DOMException). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Waits `ms` without blocking the event loop. An abort rejects with the signal's own reason (not
 * timers/promises' wrapping AbortError), so a caller that aborted with `new Error('stop')` sees
 * that error; a caller that only wants to wake early catches it.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortReason(signal);
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal);
    throw err;
  }
}

/**
 * `full`: uniform in [0, ceiling] (callers that retry together spread out the most);
 * `equal`: half fixed, half jitter, uniform in [ceiling/2, ceiling] (never zero).
 */
export type Jitter = 'full' | 'equal';

export interface BackoffOptions {
  /** Ceiling of the first retry's delay; doubles with each retry (default 250). */
  baseMs?: number;
  /** Largest ceiling (default 20 000). */
  capMs?: number;
  jitter?: Jitter;
  random?: () => number;
}

/** Capped exponential backoff with jitter; `retry` is 0 for the first retry. */
export function backoffDelayMs(retry: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 250;
  const cap = opts.capMs ?? 20_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, retry));
  const r = (opts.random ?? Math.random)();
  return (opts.jitter ?? 'full') === 'full' ? Math.floor(r * ceiling) : Math.round(ceiling / 2 + (r * ceiling) / 2);
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included (≥ 1). `Infinity` leaves the decision to `retryable`. */
  attempts: number;
  /** Whether a failure is worth another attempt (default: every failure is). */
  retryable?: (err: unknown, attempt: number) => boolean;
  /** Stops the retries: a pending wait rejects with the signal's reason, and no attempt starts after the abort. */
  signal?: AbortSignal;
  /** Called before each wait (logging). */
  onRetry?: (info: { err: unknown; attempt: number; delayMs: number }) => void;
}

/**
 * Runs `fn` until it succeeds, a failure is not retryable, or the attempts are spent; the last
 * failure is rethrown as is. `fn` receives the attempt number (1 for the first).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  if (!(opts.attempts >= 1)) throw new RangeError(`retry attempts must be at least 1, got ${opts.attempts}`);
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !(opts.retryable?.(err, attempt) ?? true)) throw err;
      const delayMs = backoffDelayMs(attempt - 1, opts);
      opts.onRetry?.({ err, attempt, delayMs });
      await sleep(delayMs, opts.signal);
    }
  }
}
