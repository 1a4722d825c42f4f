/**
 * The arguments every collector takes. No globals: the same collector code runs inside a BullMQ
 * job and inline in the one-shot scan, with whatever client, store and signal it is handed.
 */
import type { Logger } from '@idgraph/core';
import type { EventLimits } from '@idgraph/normalize';
import type { AdminFirst } from './admin-first.js';
import type { CollectorClient, CollectorStore, GraphReader, RunInfo } from './ports.js';
import { ResourceProgress } from './progress.js';

export type CollectionMode = 'full' | 'incremental';

export interface IntegrationRef {
  id: string;
  schedule?: { logBackfillDays?: number } | null;
}

export interface CollectorContext {
  client: CollectorClient;
  store: CollectorStore & GraphReader;
  integration: IntegrationRef;
  run: RunInfo;
  logger: Logger;
  signal: AbortSignal;
  /** Counters of this resource in the run; a detached one is made when absent. */
  progress?: ResourceProgress;
  /** Default 'full'. */
  mode?: CollectionMode;
  /** Requests in flight for collectors that fan out (one request per user, group or app). Default 8. */
  concurrency?: number;
  /** Size and depth limits of one System Log event (IdgraphConfig.eventLimits); unset ones are the defaults. */
  eventLimits?: Partial<EventLimits>;
  /** Targeted re-reads (refresh.ts): their reads decide what event times could not. */
  reread?: boolean;
  /** A full run's admin posture step (admin-first.ts): group members and factors of admins first. */
  adminFirst?: AdminFirst;
}

/**
 * Listings fanned out per object whose pages are large (group members: up to 1000 full user
 * objects a page; app users: 500) run at most this many objects at a time, whatever
 * `concurrency` says: each page in flight is a megabyte or two of parsed JSON, and these buckets
 * are nowhere near the run's floor (the per-user factor sweep is), so more would only cost memory.
 */
export const LARGE_PAGE_CONCURRENCY = 4;

export function largePageConcurrency(ctx: CollectorContext): number {
  return Math.min(ctx.concurrency ?? 8, LARGE_PAGE_CONCURRENCY);
}

export function progressOf(ctx: CollectorContext, resource: string): ResourceProgress {
  return ctx.progress ?? new ResourceProgress(resource, async () => undefined, true);
}

/** The collector's result: whether it saw the complete resource (only then may it tombstone). */
export interface CollectorResult {
  resource: string;
  complete: boolean;
  objects: number;
  /** Something the run should report although the resource was collected (kept as the resource's note). */
  warning?: string;
  /** Items skipped as unfit to store (System Log events over the limits, with a bad uuid …), each logged with its reason. */
  rejected?: number;
}
