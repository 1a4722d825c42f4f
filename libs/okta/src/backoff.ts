/** Capped exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelayMs(attempt: number, opts: { baseMs?: number; capMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 250;
  const cap = opts.capMs ?? 20_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Sleeps without blocking the loop; rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
