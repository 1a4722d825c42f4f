/**
 * One request per object (factors per user, roles per group): requests run `concurrency` at a
 * time over a stream of objects in id order, and their rows are committed in chunks together with
 * a cursor (the last object id of the chunk) — a resumed run continues after that id.
 */
import { chunks, mapOrdered } from '../concurrency.js';
import type { CollectorContext } from '../context.js';
import type { PageRows } from '../ports.js';
import type { ResourceProgress } from '../progress.js';
import { commitMarker, readMarker } from './paged.js';

export interface FanOutSpec<T, R> {
  resource: string;
  scopeKey: string;
  /** Objects in id order, strictly after `afterId` when given. */
  source(afterId: string | undefined): AsyncIterable<T>;
  idOf(item: T): string;
  /** One object's request; null when it has nothing (e.g. it vanished). */
  fetch(item: T): Promise<R | null>;
  /** Rows for a chunk of fetched objects. */
  toRows(results: { item: T; result: R }[]): PageRows;
  /** Objects per commit (default 100). */
  chunkSize?: number;
}

export async function collectFanOut<T, R>(ctx: CollectorContext, progress: ResourceProgress, spec: FanOutSpec<T, R>): Promise<void> {
  const marker = await readMarker(ctx, spec.resource, spec.scopeKey);
  if (marker?.done) return;
  const afterId = marker?.cursor ?? undefined;
  const results = mapOrdered(spec.source(afterId), ctx.concurrency ?? 8, spec.fetch, ctx.signal);
  for await (const chunk of chunks(results, spec.chunkSize ?? 100)) {
    const found = chunk.filter((c): c is { item: T; result: R } => c.result !== null);
    const rows = spec.toRows(found);
    const last = chunk[chunk.length - 1]!;
    await ctx.store.commitPage({
      integrationId: ctx.integration.id,
      runId: ctx.run.id,
      resource: spec.resource,
      scopeKey: spec.scopeKey,
      nextUrl: spec.idOf(last.item),
      done: false,
      rows,
    });
    progress.calls(chunk.length, countRows(rows));
    progress.page(0, 0);
  }
  // Stopped early on abort: what was fetched is committed; the cursor is the resume point.
  ctx.signal.throwIfAborted();
  await commitMarker(ctx, spec.resource, spec.scopeKey, null, true);
}

function countRows(rows: PageRows): number {
  return Object.values(rows).reduce((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
}
