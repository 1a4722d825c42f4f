/**
 * Incremental collections read what changed since the last complete collection of a resource.
 * That time is kept as a checkpoint of its own (scope 'watermark', the cursor holding the ISO start
 * time of the run that completed), so a crashed or partial run never moves it forward.
 */
import type { CollectorContext } from '../context.js';
import { commitMarker } from './paged.js';

const WATERMARK_SCOPE = 'watermark';

/**
 * Re-read this much before the previous run's start: Okta's user/group search index is eventually
 * consistent (lag "typically < 1 s") and our clock and Okta's differ; re-reading is idempotent.
 */
export const INCREMENTAL_SAFETY_MARGIN_MS = 10 * 60_000;

export async function readWatermark(ctx: CollectorContext, resource: string): Promise<Date | null> {
  const saved = await ctx.store.getCheckpoint(ctx.integration.id, resource, WATERMARK_SCOPE);
  if (saved == null || saved.nextUrl === null) return null;
  const at = new Date(saved.nextUrl);
  return Number.isNaN(at.getTime()) ? null : at;
}

export async function writeWatermark(ctx: CollectorContext, resource: string): Promise<void> {
  await commitMarker(ctx, resource, WATERMARK_SCOPE, ctx.run.startedAt.toISOString(), true);
}

/** `lastUpdated gt "…"` bound for an incremental read, or null when a full read is needed. */
export async function incrementalSince(ctx: CollectorContext, resource: string): Promise<string | null> {
  if ((ctx.mode ?? 'full') !== 'incremental') return null;
  const watermark = await readWatermark(ctx, resource);
  if (watermark === null) return null;
  return new Date(watermark.getTime() - INCREMENTAL_SAFETY_MARGIN_MS).toISOString();
}
