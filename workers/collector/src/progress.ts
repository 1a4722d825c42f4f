/**
 * Run progress per resource: pages, objects, requests, 429s waited, retries, state and times.
 * Counters accumulate in memory and are flushed to the run tables as increments (so a run resumed
 * by another process adds to what the first one recorded) at most once per `flushIntervalMs`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunResourcePatch } from './ports.js';

/** `skipped`: the credentials may not read the resource (scope or admin role); `reason` says what to grant. */
export type ResourceState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface ResourceSnapshot {
  resource: string;
  state: ResourceState;
  full: boolean;
  pages: number;
  objects: number;
  requests: number;
  waited429: number;
  retries: number;
  startedAt: Date | null;
  endedAt: Date | null;
  error: string | null;
  /** Why a skipped resource was not collected, and what to grant; null otherwise. */
  reason: string | null;
}

export type ProgressWriter = (resource: string, patch: RunResourcePatch) => Promise<void>;

interface Counters {
  pages: number;
  objects: number;
  requests: number;
  waited429: number;
  retries: number;
}

const zero = (): Counters => ({ pages: 0, objects: 0, requests: 0, waited429: 0, retries: 0 });

export class ResourceProgress {
  private readonly totals: Counters = zero();
  private pending: Counters = zero();
  private state: ResourceState = 'pending';
  private full = false;
  private startedAt: Date | null = null;
  private endedAt: Date | null = null;
  private error: string | null = null;
  private reason: string | null = null;
  private lastFlush = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly resource: string,
    private readonly write: ProgressWriter,
    /** When no request meter is wired to the client, each page or single call counts as one request. */
    private readonly countCallsAsRequests: boolean,
    private readonly onChange: (snapshot: ResourceSnapshot) => void = () => undefined,
    private readonly flushIntervalMs = 1000,
  ) {}

  async start(full: boolean): Promise<void> {
    this.state = 'running';
    this.full = full;
    this.startedAt = new Date();
    await this.flush({ state: 'running', full, error: null });
  }

  /** One page (or one single-object call) committed with `objects` rows. */
  page(objects: number, calls = 1): void {
    this.add({ pages: 1, objects, requests: this.countCallsAsRequests ? calls : 0 });
  }

  /** Single-object calls whose rows are committed with a page counted elsewhere. */
  calls(n: number, objects = 0): void {
    this.add({ objects, requests: this.countCallsAsRequests ? n : 0 });
  }

  /** Requests seen by the client's onRequest hook while this resource was running. */
  request(e: { retried?: boolean; status?: number; waited429Ms?: number }): void {
    this.add({
      requests: 1,
      retries: e.retried ? 1 : 0,
      waited429: e.status === 429 || (e.waited429Ms ?? 0) > 0 ? 1 : 0,
    });
  }

  async finish(state: 'done' | 'failed', error?: string): Promise<void> {
    this.state = state;
    this.endedAt = new Date();
    this.error = error ?? null;
    await this.flush({ state, error: this.error });
  }

  /** Not collected because the credentials may not read it; the run table keeps the reason in `error`. */
  async skip(reason: string): Promise<void> {
    this.state = 'skipped';
    this.endedAt = new Date();
    this.error = null;
    this.reason = reason;
    await this.flush({ state: 'skipped', error: reason });
  }

  snapshot(): ResourceSnapshot {
    return {
      resource: this.resource,
      state: this.state,
      full: this.full,
      ...this.totals,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      error: this.error,
      reason: this.reason,
    };
  }

  private add(delta: Partial<Counters>): void {
    for (const key of Object.keys(delta) as (keyof Counters)[]) {
      const n = delta[key] ?? 0;
      this.totals[key] += n;
      this.pending[key] += n;
    }
    this.onChange(this.snapshot());
    if (Date.now() - this.lastFlush >= this.flushIntervalMs) void this.flush({}).catch(() => undefined);
  }

  /** Writes the pending increments plus `patch`; flushes are serialised so increments are never lost or doubled. */
  flush(patch: RunResourcePatch): Promise<void> {
    this.lastFlush = Date.now();
    const run = async (): Promise<void> => {
      const delta = this.pending;
      this.pending = zero();
      const hasDelta = Object.values(delta).some((n) => n !== 0);
      if (!hasDelta && Object.keys(patch).length === 0) return;
      try {
        await this.write(this.resource, { ...delta, ...patch });
      } catch (err) {
        // Keep the increments for the next flush rather than losing them.
        for (const key of Object.keys(delta) as (keyof Counters)[]) this.pending[key] += delta[key];
        throw err;
      }
    };
    this.flushing = this.flushing.then(run, run);
    this.onChange(this.snapshot());
    return this.flushing;
  }
}

/**
 * Attributes the client's per-request events (429 waits, retries) to the resource whose code made
 * the request: each collector runs inside `scope(progress, fn)`, and AsyncLocalStorage carries
 * that through every await down into the client's `onRequest` callback.
 */
export class RequestMeter {
  private readonly current = new AsyncLocalStorage<ResourceProgress>();

  /** Pass as (or call from) the Okta client's `onRequest` option. */
  readonly onRequest = (e: { retried?: boolean; status?: number; waited429Ms?: number }): void => {
    this.current.getStore()?.request(e);
  };

  scope<T>(progress: ResourceProgress, fn: () => Promise<T>): Promise<T> {
    return this.current.run(progress, fn);
  }
}
