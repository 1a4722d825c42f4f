/**
 * Apps (active and inactive) and, per app, its user and group assignments. Okta's apps listing has
 * no `lastUpdated` filter and costs a handful of requests, so it is always complete. Assignments
 * cost two+ requests per app in the tight `/api/v1/apps` bucket (100/min on Workforce orgs): full
 * runs read them all, incremental runs leave them to System Log events (appUser/appGroup
 * mutations and targeted refreshes).
 */
import { normalizeApp, normalizeAppGroup, normalizeAppUser } from '@idgraph/normalize';
import { forEachConcurrent } from '../concurrency.js';
import type { CollectorContext, CollectorResult } from '../context.js';
import { largePageConcurrency, progressOf } from '../context.js';
import type { ResourceProgress } from '../progress.js';
import { collectPaged, commitMarker } from './paged.js';
import { isNotFound } from './not-found.js';

export async function collectApps(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'apps');
  await collectPaged(ctx, progress, {
    resource: 'apps',
    scopeKey: '',
    open: (startUrl) => ctx.client.listApps({ startUrl }),
    toRows: (items, fetchedAt) => ({ apps: items.map((a) => normalizeApp(a, fetchedAt)) }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'apps');
  return { resource: 'apps', complete: true, objects: progress.snapshot().objects };
}

export async function collectAppAssignments(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'app_assignments');
  if ((ctx.mode ?? 'full') === 'incremental') {
    return { resource: 'app_assignments', complete: false, objects: 0 };
  }
  await forEachConcurrent(
    ctx.store.liveApps(ctx.integration.id),
    largePageConcurrency(ctx),
    async (app) => {
      await collectAssignmentsOf(ctx, progress, app.id);
    },
    ctx.signal,
  );
  await ctx.store.finishFullSync(ctx.run.id, 'app_user_assignments');
  await ctx.store.finishFullSync(ctx.run.id, 'app_group_assignments');
  return { resource: 'app_assignments', complete: true, objects: progress.snapshot().objects };
}

/** Both assignment listings of one app; also the targeted refresh of one app's assignments. */
export async function collectAssignmentsOf(
  ctx: CollectorContext,
  progress: ResourceProgress,
  appId: string,
  /** Targeted refreshes inside a running collection use their own checkpoints ('refresh:<id>'). */
  scopePrefix = '',
): Promise<void> {
  const scopeKey = `${scopePrefix}${appId}`;
  try {
    await collectPaged(ctx, progress, {
      resource: 'app_user_assignments',
      scopeKey,
      open: (startUrl) => ctx.client.listAppUsers(appId, { startUrl }),
      toRows: (items, fetchedAt) => ({ appUsers: items.map((au) => normalizeAppUser(appId, au, fetchedAt)) }),
    });
    await collectPaged(ctx, progress, {
      resource: 'app_group_assignments',
      scopeKey,
      open: (startUrl) => ctx.client.listAppGroups(appId, { startUrl }),
      toRows: (items, fetchedAt) => ({ appGroups: items.map((ag) => normalizeAppGroup(appId, ag, fetchedAt)) }),
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    ctx.logger.debug({ appId }, 'app vanished before its assignments were read');
    await commitMarker(ctx, 'app_user_assignments', scopeKey, null, true);
    await commitMarker(ctx, 'app_group_assignments', scopeKey, null, true);
  }
}
