/**
 * System Log polling. Okta's polling request (ASCENDING, no `until`) always returns a next link,
 * even on an empty page; that link (`after` cursor) is the only correct way forward, so it is
 * checkpointed across runs (scope '' of `system_log`, not tied to a run). The first poll of an
 * integration backfills `logBackfillDays` (default 7, at most Okta's 90-day retention) with `since`.
 * A run's poll stops at the first empty page (caught up: the next scheduled run continues from the
 * cursor, which is the back-off) or once it reaches events newer than the run's start.
 * Events go through ingestEvents with via 'poll', so they dedupe with the stream by uuid and only
 * newly stored events apply their mutations; their refresh requests, and the re-reads the store
 * asks for instead of deciding events too close to their object's last read, go to `onRefresh`.
 * An event published later than the `Date` of the response that listed it, plus the allowed skew,
 * is rejected: never stored or applied, counted in the run (the resource's note) and logged.
 * Each event is also checked as a streamed one is (parseEventMessage: its fields, uuid, size, depth,
 * text PostgreSQL can read back); one that fails is skipped, logged with its reason and counted,
 * so that one bad event does not stop the log from being read.
 */
import { eventTimingFromEnv } from '@idgraph/core';
import type { GraphMutation, RefreshRequest } from '@idgraph/graph';
import { eventToGraphChanges, futureEventReason, normalizeLogEventRow, parseEventMessage, type OktaLogEvent } from '@idgraph/normalize';
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
    const { refresh, rejected: skipped } = await ingestPage(ctx, valid, opts.needsRefresh ?? (() => true));
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

/** Stores a page of events (idempotent by uuid); returns the refreshes of the newly stored ones and how many were skipped. */
async function ingestPage(
  ctx: CollectorContext,
  events: OktaLogEventLike[],
  needsRefresh: (event: OktaLogEventLike) => boolean,
): Promise<{ refresh: RefreshRequest[]; rejected: number }> {
  if (events.length === 0) return { refresh: [], rejected: 0 };
  const prepared: { event: OktaLogEvent; eventJson: string; changes: ReturnType<typeof eventToGraphChanges> }[] = [];
  const rejections: { uuid: string | null; reason: string }[] = [];
  for (const item of events) {
    const parsed = parseEventMessage(item, ctx.eventLimits);
    if (!parsed.ok) {
      const uuid = typeof item?.uuid === 'string' ? item.uuid.slice(0, 80) : null;
      rejections.push({ uuid, reason: parsed.reason });
      continue;
    }
    prepared.push({ event: parsed.event, eventJson: parsed.eventJson, changes: eventToGraphChanges(parsed.event) });
  }
  if (rejections.length) ctx.logger.warn({ rejected: rejections.length, events: rejections.slice(0, 20) }, 'System Log events skipped: they cannot be stored as they are');
  if (prepared.length === 0) return { refresh: [], rejected: rejections.length };
  const result = await ctx.store.ingestEvents(
    prepared.map(({ event, eventJson, changes }) => ({
      integrationId: ctx.integration.id,
      row: normalizeLogEventRow(event, eventJson),
      mutations: changes.mutations,
      via: 'poll' as const,
    })),
  );
  const stored = new Set(result.storedUuids);
  const merged = new Map<string, RefreshRequest>();
  // Needed whatever needsRefresh says: these mutations were not applied at all.
  for (const d of result.deferred) merged.set(JSON.stringify(d.request), d.request);
  for (const { event, changes } of prepared) {
    if (!stored.has(event.uuid) || !needsRefresh(event)) continue;
    for (const r of changes.refresh) merged.set(JSON.stringify(r), r);
    for (const r of await sideEffectRefreshes(ctx, changes.mutations)) merged.set(JSON.stringify(r), r);
  }
  return { refresh: [...merged.values()], rejected: rejections.length };
}

/**
 * Re-reads for what an event changes in Okta without saying so. Within one run a re-read of an
 * app's assignments happens once (its 'refresh:<appId>' checkpoint), however many events ask.
 * - An app user added or removed: the event carries neither the assignment's scope nor whether
 *   the user keeps a GROUP-scope assignment to the same app, so the app's assignments are re-read.
 * - A user deactivated: Okta deprovisions the user's app accounts (direct and group-derived
 *   assignments go), and the event names only the user, so the apps the graph has them assigned
 *   to are re-read.
 * - A member added to or removed from a group: they become or stop being a GROUP-scope user of
 *   the group's apps (as the stream follows it, see workers/stream-consumer/src/side-effects.ts).
 */
async function sideEffectRefreshes(ctx: CollectorContext, mutations: readonly GraphMutation[]): Promise<RefreshRequest[]> {
  const out: RefreshRequest[] = [];
  for (const m of mutations) {
    if (m.kind === 'appUser.add' || m.kind === 'appUser.remove') {
      out.push({ kind: 'appAssignments', appId: m.appId });
    } else if (m.kind === 'membership.add' || m.kind === 'membership.remove') {
      for (const appId of await ctx.store.appsAssignedToGroups(ctx.integration.id, [m.groupId])) out.push({ kind: 'appAssignments', appId });
    } else if (m.kind === 'user.status' && m.status === 'DEPROVISIONED') {
      for (const appId of await ctx.store.appsReachableByUsers(ctx.integration.id, [m.userId])) out.push({ kind: 'appAssignments', appId });
    }
  }
  return out;
}
