import { observeResponse } from './governor/observe.js';
import { abortReason, backoffDelayMs, retry, sleep, type Logger } from '@idgraph/core';
import { bucketFor } from './buckets.js';
import { describeRequest, OktaApiError, OktaRequestError } from './errors.js';
import type { RateGovernor } from './governor/types.js';

/** One finished HTTP attempt, for run progress and metrics. */
export interface RequestEvent {
  bucket: string;
  /** HTTP status, or 0 when the attempt failed without a response (network error, timeout). */
  status: number;
  durationMs: number;
  /** This attempt repeated an earlier one of the same call. */
  retried: boolean;
  /** Time this attempt waited for a rate-limit reset after a 429. */
  waited429Ms: number;
  /** The bucket's per-minute limit and what is left of it, as this response reported (absent without the headers). */
  rateLimit?: { limit: number; remaining: number };
}

export interface TransportStats {
  requests: number;
  waited429: number;
  retries: number;
  waited429Ms: number;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON for 2xx bodies; best-effort parse for error bodies; undefined when empty. */
  body: unknown;
  url: string;
}

export interface ExchangeRequest {
  method: string;
  url: string;
  /** Built per attempt: a DPoP proof must be fresh and never reused. */
  headers: () => Promise<Record<string, string>>;
  body?: string;
}

export interface TransportOptions {
  org: string;
  governor: RateGovernor;
  timeoutMs: number;
  maxRetries: number;
  /** Largest response body accepted, in bytes (after decompression); a larger one fails its request. */
  maxResponseBytes: number;
  signal?: AbortSignal;
  logger?: Logger;
  onRequest?: (e: RequestEvent) => void;
}

/** Consecutive 429s one call tolerates; each waits for a reset, so this spans many minutes. */
const MAX_THROTTLED_ATTEMPTS = 30;

class RetryableFailure extends Error {}

/** An attempt that failed in a way worth another (network, timeout, 5xx, truncated JSON); what to report once they are spent. */
class FailedAttempt extends Error {
  constructor(
    readonly reason: string,
    readonly failure?: unknown,
    readonly lastResponse?: { status: number; body: unknown },
  ) {
    super(reason);
  }
}

/** A body over the cap: retrying would fetch the same body again, so the request fails at once. */
class ResponseTooLarge extends Error {}

/** What one logical request has done so far, across its attempts. */
interface ExchangeState {
  bucket: string;
  attempts: number;
  throttled: number;
  throttledSince: number | null;
}

/**
 * Sends one logical request under the rate governor: waits out 429s (the governor holds the
 * bucket until its reset), retries 5xx, network errors, timeouts and truncated JSON with capped
 * exponential backoff and full jitter (@idgraph/core's retry), and hands every other status back
 * to the caller.
 */
export class Transport {
  readonly stats: TransportStats = { requests: 0, waited429: 0, retries: 0, waited429Ms: 0 };

  constructor(private readonly opts: TransportOptions) {}

  async exchange(req: ExchangeRequest): Promise<RawResponse> {
    const { pathname } = new URL(req.url);
    const state: ExchangeState = { bucket: bucketFor(req.method, pathname), attempts: 0, throttled: 0, throttledSince: null };
    try {
      return await retry(() => this.attemptUntilNotThrottled(req, state), {
        attempts: this.opts.maxRetries + 1,
        retryable: (err) => err instanceof FailedAttempt,
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        onRetry: ({ err, attempt, delayMs }) =>
          this.opts.logger?.warn({ request: describeRequest(req.method, req.url), reason: (err as FailedAttempt).reason, attempt, delayMs }, 'okta request failed; retrying'),
      });
    } catch (err) {
      if (!(err instanceof FailedAttempt)) throw err;
      // Every attempt failed: the last 5xx as Okta's error, anything else as the request's.
      if (err.lastResponse) throw new OktaApiError({ status: err.lastResponse.status, method: req.method, url: req.url, body: err.lastResponse.body });
      throw new OktaRequestError(req.method, req.url, `${err.reason} (gave up after ${this.opts.maxRetries + 1} attempts)`, { cause: err.failure });
    }
  }

  /** One attempt, repeated while Okta answers 429 (those are waited out, not counted as failures). */
  private async attemptUntilNotThrottled(req: ExchangeRequest, state: ExchangeState): Promise<RawResponse> {
    const { bucket } = state;
    for (;;) {
      this.throwIfAborted();
      const headers = await req.headers();
      const lease = await this.opts.governor.acquire(this.opts.org, bucket, this.opts.signal);
      const started = Date.now();
      const waited429Ms = state.throttledSince === null ? 0 : started - state.throttledSince;
      if (waited429Ms > 0) this.stats.waited429Ms += waited429Ms;
      state.throttledSince = null;
      const retried = state.attempts > 0;
      state.attempts += 1;
      this.stats.requests += 1;
      if (retried) this.stats.retries += 1;

      let response: Response | undefined;
      let text: string;
      const attempt = this.startAttempt();
      try {
        response = await fetch(req.url, {
          method: req.method,
          headers: { accept: 'application/json', ...headers },
          ...(req.body !== undefined ? { body: req.body } : {}),
          redirect: 'manual',
          signal: attempt.signal,
        });
        text = await readBody(response, this.opts.maxResponseBytes);
      } catch (err) {
        if (err instanceof ResponseTooLarge && response) {
          await lease.release({ status: response.status, headers: response.headers });
          this.emit({ bucket, status: response.status, durationMs: Date.now() - started, retried, waited429Ms });
          throw new OktaRequestError(req.method, req.url, err.message);
        }
        await lease.release(err instanceof Error ? err : new Error(String(err)));
        this.emit({ bucket, status: 0, durationMs: Date.now() - started, retried, waited429Ms });
        if (this.opts.signal?.aborted) throw abortReason(this.opts.signal);
        throw new FailedAttempt(describeFailure(err, this.opts.timeoutMs), err);
      } finally {
        attempt.end();
      }
      await lease.release({ status: response.status, headers: response.headers });
      const observed = observeResponse({ status: response.status, headers: response.headers });
      const rateLimit = observed && 'limit' in observed ? { limit: observed.limit, remaining: observed.remaining } : undefined;
      this.emit({ bucket, status: response.status, durationMs: Date.now() - started, retried, waited429Ms, ...(rateLimit ? { rateLimit } : {}) });

      if (response.status === 429) {
        this.stats.waited429 += 1;
        state.throttled += 1;
        if (state.throttled > MAX_THROTTLED_ATTEMPTS) {
          throw new OktaApiError({ status: 429, method: req.method, url: req.url, body: safeJson(text) });
        }
        state.throttledSince = Date.now();
        await this.waitAfter429(response.headers, state.throttled);
        continue;
      }
      if (response.status >= 500) throw new FailedAttempt(`HTTP ${response.status}`, undefined, { status: response.status, body: safeJson(text) });
      let body: unknown;
      try {
        body = parseBody(response, text);
      } catch (err) {
        if (!(err instanceof RetryableFailure)) throw err;
        throw new FailedAttempt(err.message);
      }
      return { status: response.status, headers: response.headers, body, url: req.url };
    }
  }

  /**
   * One attempt's deadline, covering the headers and the whole body. A plain timer holds the
   * controller: the timer of AbortSignal.timeout holds its signal only weakly, and fetch follows a
   * signal through weak links too (https://github.com/nodejs/undici/issues/4068), so after a garbage
   * collection nothing aborted an attempt against a server that trickles its body, and it never ended. end() clears the timer and detaches from the caller's signal, so neither
   * outlives the attempt.
   */
  private startAttempt(): { signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    const timeoutMs = this.opts.timeoutMs;
    const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const unfollow = this.opts.signal ? followAbort(this.opts.signal, controller) : undefined;
    return {
      signal: controller.signal,
      end() {
        clearTimeout(timer);
        unfollow?.();
      },
    };
  }

  private throwIfAborted(): void {
    if (this.opts.signal?.aborted) throw abortReason(this.opts.signal);
  }

  /**
   * A per-minute 429 marks the bucket spent in the governor until the reset, so the next acquire
   * does the waiting. A concurrency 429 (limit 0) or one without usable reset headers gets a short
   * jittered backoff here instead.
   */
  private async waitAfter429(headers: Headers, throttled: number): Promise<void> {
    const limit = headers.get('x-rate-limit-limit');
    const reset = headers.get('x-rate-limit-reset');
    const usable = limit !== null && limit !== '0' && reset !== null && !reset.includes(',');
    if (!usable) await sleep(250 + backoffDelayMs(throttled, { baseMs: 500, capMs: 5_000 }), this.opts.signal);
  }

  private emit(e: RequestEvent): void {
    this.opts.onRequest?.(e);
  }
}

/**
 * The attempts in flight under each caller signal. One abort listener per signal fans out to them:
 * a listener per attempt would pass Node's limit of 10 per signal (MaxListenersExceededWarning)
 * as soon as more than 10 requests of one collection are in flight.
 */
const attemptsBySignal = new WeakMap<AbortSignal, Set<AbortController>>();

/** Aborts `controller` with `signal`'s reason when it aborts; the returned function stops that. */
function followAbort(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  let attempts = attemptsBySignal.get(signal);
  if (!attempts) {
    const set = new Set<AbortController>();
    attempts = set;
    attemptsBySignal.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const c of set) c.abort(signal.reason);
      set.clear();
    }, { once: true });
  }
  attempts.add(controller);
  const set = attempts;
  return () => void set.delete(controller);
}

/**
 * The body as text, refusing more than maxBytes: a declared Content-Length over the cap fails
 * before reading, a stream that grows past it is cancelled at the cap, so memory stays bounded.
 */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = (what: string) =>
    new ResponseTooLarge(`the response body ${what} exceeds the limit of ${maxBytes} bytes (raise IDGRAPH_MAX_RESPONSE_BYTES if this org's pages are really that large)`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(`(Content-Length ${declared})`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`(more than ${maxBytes} bytes received)`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, total));
}

function parseBody(response: Response, text: string): unknown {
  if (text.length === 0) return undefined;
  const type = response.headers.get('content-type') ?? '';
  const ok = response.status >= 200 && response.status < 300;
  if (!type.includes('json')) return ok ? text : safeJson(text) ?? text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A cut-off body on a success is a transport fault worth retrying; on an error it is just context.
    if (ok) throw new RetryableFailure(`truncated or invalid JSON body (${text.length} bytes)`);
    return undefined;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${err.message} (${cause.code})` : err.message;
  }
  return String(err);
}
