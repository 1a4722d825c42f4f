/**
 * Incremental collections read what changed since the last complete collection of a resource.
 * That time is the resource's watermark in the store (the start of the run that completed it),
 * written only once a collection completed, so a crashed or partial run never moves it forward.
 */
import type { CollectorContext } from '../context.js';

/**
 * Re-read this much before the previous run's start: Okta's user/group search index is eventually
 * consistent (lag "typically < 1 s") and our clock and Okta's differ; re-reading is idempotent.
 */
export const INCREMENTAL_SAFETY_MARGIN_MS = 10 * 60_000;

export async function readWatermark(ctx: CollectorContext, resource: string): Promise<Date | null> {
  return ctx.store.watermark(ctx.integration.id, resource);
}

export async function writeWatermark(ctx: CollectorContext, resource: string): Promise<void> {
  await ctx.store.setWatermark(ctx.integration.id, resource, ctx.run.id, ctx.run.startedAt);
}

/** `lastUpdated gt "…"` bound for an incremental read, or null when a full read is needed. */
export async function incrementalSince(ctx: CollectorContext, resource: string): Promise<string | null> {
  if ((ctx.mode ?? 'full') !== 'incremental') return null;
  const watermark = await readWatermark(ctx, resource);
  if (watermark === null) return null;
  return new Date(watermark.getTime() - INCREMENTAL_SAFETY_MARGIN_MS).toISOString();
}
