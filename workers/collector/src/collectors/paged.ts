/**
 * The page loop shared by every listing collector: resume from this run's checkpoint, and commit
 * each page's rows together with the next link in one transaction, so a worker killed at any point
 * continues from its last committed page and writes nothing twice.
 */
import type { CollectorContext } from '../context.js';
import type { Page, PageRows } from '../ports.js';
import type { ResourceProgress } from '../progress.js';

export interface PagedSpec<T> {
  /** Checkpoint resource name (a GRAPH_RESOURCES name). */
  resource: string;
  /** '' for a whole resource; a group or app id for per-object listings. */
  scopeKey: string;
  /** Opens the listing: from the first page when `startUrl` is null, else from a saved next link. */
  open(startUrl: string | null): AsyncIterable<Page<T>>;
  toRows(items: T[], fetchedAt: Date): PageRows;
  /** Called with each committed page's items (e.g. to collect ids for a later step). */
  onPage?(items: T[]): void | Promise<void>;
}

export type PagedOutcome = 'collected' | 'already-done';

export async function collectPaged<T>(
  ctx: CollectorContext,
  progress: ResourceProgress,
  spec: PagedSpec<T>,
): Promise<PagedOutcome> {
  const { store, integration, run, signal } = ctx;
  const saved = await store.getCheckpoint(integration.id, spec.resource, spec.scopeKey);
  const ours = saved != null && saved.runId === run.id;
  if (ours && saved.done) return 'already-done';
  const startUrl = ours ? saved.nextUrl : null;
  signal.throwIfAborted();
  for await (const page of spec.open(startUrl)) {
    await store.commitPage({
      integrationId: integration.id,
      runId: run.id,
      resource: spec.resource,
      scopeKey: spec.scopeKey,
      nextUrl: page.nextUrl,
      done: page.nextUrl === null,
      rows: spec.toRows(page.items, page.fetchedAt),
      ...(ctx.reread ? { reread: true } : {}),
    });
    progress.page(page.items.length);
    await spec.onPage?.(page.items);
    // The page in hand is committed; stop here if asked to (its next link is the resume point).
    if (page.nextUrl !== null) signal.throwIfAborted();
  }
  return 'collected';
}

/** Commits a marker checkpoint (no rows) — used for "this run finished resource X" and cursors. */
export async function commitMarker(
  ctx: CollectorContext,
  resource: string,
  scopeKey: string,
  nextUrl: string | null,
  done: boolean,
): Promise<void> {
  await ctx.store.commitPage({
    integrationId: ctx.integration.id,
    runId: ctx.run.id,
    resource,
    scopeKey,
    nextUrl,
    done,
    rows: {},
  });
}

/** Reads a marker checkpoint of this run: done, the saved cursor, or nothing yet. */
export async function readMarker(
  ctx: CollectorContext,
  resource: string,
  scopeKey: string,
): Promise<{ done: boolean; cursor: string | null } | null> {
  const saved = await ctx.store.getCheckpoint(ctx.integration.id, resource, scopeKey);
  if (saved == null || saved.runId !== ctx.run.id) return null;
  return { done: saved.done, cursor: saved.nextUrl };
}
