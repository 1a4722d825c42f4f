/**
 * System Log polling. Okta's polling request (ASCENDING, no `until`) always returns a next link,
 * even on an empty page; that link (`after` cursor) is the only correct way forward, so it is
 * checkpointed across runs (scope '' of `system_log`, not tied to a run). The first poll of an
 * integration backfills `logBackfillDays` (default 7, at most Okta's 90-day retention) with `since`.
 * A run's poll stops at the first empty page (caught up: the next scheduled run continues from the
 * cursor, which is the back-off) or once it reaches events newer than the run's start.
 * Events go through ingestEvents with via 'poll', so they dedupe with the stream by uuid and only
 * newly stored events apply their mutations, with those their Okta side effects imply (a new user's
 * Everyone membership: the same module the stream and `ingest-events` use); their refresh requests,
 * the re-reads side effects imply, and the re-reads the store asks for instead of deciding events
 * too close to their object's last read, go to `onRefresh`.
 * An event published later than the `Date` of the response that listed it, plus the allowed skew,
 * is rejected: never stored or applied, counted in the run (the resource's note) and logged.
 * Each event is also checked as a streamed one is (parseEventMessage: its fields, uuid, size, depth,
 * text PostgreSQL can read back); one that fails is skipped, logged with its reason and counted,
 * so that one bad event does not stop the log from being read.
 */
import { eventTimingFromEnv } from '@idgraph/core';
import { EventSideEffects, refreshesAfterStoring, type ImpliedChange, type IngestItem, type LogEventRow, type RefreshRequest } from '@idgraph/graph';
import { eventToGraphChanges, futureEventReason, impliedChanges, normalizeLogEventRow, parseEventMessage, type GraphChanges, type OktaLogEvent } from '@idgraph/normalize';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import type { OktaLogEventLike } from '../ports.js';

export const DEFAULT_LOG_BACKFILL_DAYS = 7;
export const MAX_LOG_BACKFILL_DAYS = 90;
const LOG_PAGE_LIMIT = 1000;

export interface SystemLogOptions {
  /** Refreshes asked for by newly stored events (default: ignored — the caller decides where they go). */
  onRefresh?: (requests: RefreshRequest[]) => Promise<void>;
  /** Stop after this many pages in one run (default unlimited). */
  maxPages?: number;
  /**
   * Whether an event's refreshes are still needed. A full run re-reads everything anyway, so it
   * passes "published after the run started" and the backfill does not trigger thousands of re-reads.
   */
  needsRefresh?: (event: OktaLogEventLike) => boolean;
  /** Events published later than the page's `Date` plus this are rejected. Default IDGRAPH_EVENT_MAX_FUTURE_SECONDS. */
  maxFutureMs?: number;
}

export function backfillDays(ctx: CollectorContext): number {
  const days = ctx.integration.schedule?.logBackfillDays ?? DEFAULT_LOG_BACKFILL_DAYS;
  if (!Number.isFinite(days) || days < 0) return DEFAULT_LOG_BACKFILL_DAYS;
  return Math.min(days, MAX_LOG_BACKFILL_DAYS);
}

export async function collectSystemLog(ctx: CollectorContext, opts: SystemLogOptions = {}): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'system_log');
  const saved = await ctx.store.getCheckpoint(ctx.integration.id, 'system_log', '');
  let unfit = 0;
  let cursor = saved?.nextUrl ?? null;
  const since = new Date(ctx.run.startedAt.getTime() - backfillDays(ctx) * 86_400_000);
  const maxFutureMs = opts.maxFutureMs ?? eventTimingFromEnv().maxFutureMs;
  const rejected: string[] = [];
  const sideEffects = new EventSideEffects(ctx.store);
  for (let pages = 0; opts.maxPages === undefined || pages < opts.maxPages; pages++) {
    ctx.signal.throwIfAborted();
    const page = await ctx.client.pollLogs(cursor ? { startUrl: cursor, limit: LOG_PAGE_LIMIT } : { since, limit: LOG_PAGE_LIMIT });
    // The response's Date is Okta's clock when it listed these events: none can be later.
    const valid = page.items.filter((event) => {
      const reason = futureEventReason(new Date(event.published), page.fetchedAt.getTime(), maxFutureMs);
      if (reason === null) return true;
      rejected.push(`event ${event.uuid}: ${reason}`);
      ctx.logger.warn({ uuid: event.uuid, eventType: event.eventType, published: event.published }, 'System Log event rejected: published later than Okta\'s clock allows');
      return false;
    });
    const { refresh, rejected: skipped } = await ingestPage(ctx, sideEffects, valid, opts.needsRefresh ?? (() => true));
    unfit += skipped;
    if (refresh.length > 0 && opts.onRefresh) await opts.onRefresh(refresh);
    if (page.nextUrl !== null) {
      cursor = page.nextUrl;
      await ctx.store.commitPage({
        integrationId: ctx.integration.id,
        runId: ctx.run.id,
        resource: 'system_log',
        scopeKey: '',
        nextUrl: cursor,
        done: false,
        rows: {},
      });
    }
    progress.page(page.items.length);
    if (page.items.length === 0 || page.nextUrl === null) break;
    const newest = page.items[page.items.length - 1]!;
    if (Date.parse(newest.published) >= ctx.run.startedAt.getTime()) break;
  }
  const warning = rejected.length ? `${rejected.length} events rejected, not applied: ${rejected.slice(0, 3).join('; ')}${rejected.length > 3 ? '; …' : ''}` : undefined;
  return { resource: 'system_log', complete: true, objects: progress.snapshot().objects, ...(warning ? { warning } : {}), ...(unfit ? { rejected: unfit } : {}) };
}

/**
 * Stores a page of events (idempotent by uuid) with the mutations their Okta side effects imply
 * (see EventSideEffects in @idgraph/graph, which the stream and `ingest-events` use too); returns
 * the refreshes of the newly stored ones and how many were skipped.
 */
async function ingestPage(
  ctx: CollectorContext,
  sideEffects: EventSideEffects,
  events: OktaLogEventLike[],
  needsRefresh: (event: OktaLogEventLike) => boolean,
): Promise<{ refresh: RefreshRequest[]; rejected: number }> {
  if (events.length === 0) return { refresh: [], rejected: 0 };
  const integrationId = ctx.integration.id;
  const prepared: { event: OktaLogEvent; row: LogEventRow; changes: GraphChanges; implied: ImpliedChange[] }[] = [];
  const rejections: { uuid: string | null; reason: string }[] = [];
  for (const item of events) {
    const parsed = parseEventMessage(item, ctx.eventLimits);
    if (!parsed.ok) {
      const uuid = typeof item?.uuid === 'string' ? item.uuid.slice(0, 80) : null;
      rejections.push({ uuid, reason: parsed.reason });
      continue;
    }
    const changes = eventToGraphChanges(parsed.event);
    const row = normalizeLogEventRow(parsed.event, parsed.eventJson);
    prepared.push({ event: parsed.event, row, changes, implied: impliedChanges({ eventType: row.eventType, published: row.published, mutations: changes.mutations }) });
  }
  if (rejections.length) ctx.logger.warn({ rejected: rejections.length, events: rejections.slice(0, 20) }, 'System Log events skipped: they cannot be stored as they are');
  if (prepared.length === 0) return { refresh: [], rejected: rejections.length };
  const items: IngestItem[] = [];
  for (const { row, changes, implied } of prepared) {
    const extra = EventSideEffects.addsMutations(implied) ? await sideEffects.mutations({ integrationId, implied }) : [];
    items.push({ integrationId, row, mutations: [...changes.mutations, ...extra], via: 'poll' });
  }
  const result = await ctx.store.ingestEvents(items);
  const stored = new Set(result.storedUuids);
  // The re-reads the store asked for are needed whatever needsRefresh says: those mutations were not applied at all.
  const needed = prepared
    .filter(({ event }) => stored.has(event.uuid) && needsRefresh(event))
    .map(({ changes, implied }) => ({ integrationId, refresh: changes.refresh, implied }));
  const refresh = await refreshesAfterStoring(needed, sideEffects, result.deferred);
  return { refresh: refresh.get(integrationId) ?? [], rejected: rejections.length };
}
