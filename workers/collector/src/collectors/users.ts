/**
 * Users of every status. A plain GET /api/v1/users leaves DEPROVISIONED users out, so the full
 * read is one `search` over all eight statuses: the same number of requests as the plain listing
 * (at most one page more than it), one cursor to checkpoint, and deprovisioned users included.
 * Incremental reads search `lastUpdated gt` the previous complete run's start (minus a margin);
 * search returns every status, so a user deactivated since then shows up too.
 */
import { normalizeUser } from '@idgraph/normalize';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import { collectPaged } from './paged.js';
import { incrementalSince, writeWatermark } from './watermark.js';

export const USER_STATUSES = [
  'STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED',
] as const;

export const ALL_USERS_SEARCH = USER_STATUSES.map((s) => `status eq "${s}"`).join(' or ');

export async function collectUsers(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'users');
  const since = await incrementalSince(ctx, 'users');
  const search = since === null ? ALL_USERS_SEARCH : `lastUpdated gt "${since}"`;
  await collectPaged(ctx, progress, {
    resource: 'users',
    scopeKey: '',
    open: (startUrl) => (startUrl ? ctx.client.listUsers({ startUrl }) : ctx.client.listUsers({ search })),
    toRows: (items, fetchedAt) => ({ users: items.map((u) => normalizeUser(u, fetchedAt)) }),
  });
  if (since === null) await ctx.store.finishFullSync(ctx.run.id, 'users');
  await writeWatermark(ctx, 'users');
  return { resource: 'users', complete: since === null, objects: progress.snapshot().objects };
}
