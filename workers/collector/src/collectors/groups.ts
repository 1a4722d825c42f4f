/**
 * Groups, and the members of every group (the BUILT_IN Everyone group included). Members are read
 * per group with a checkpoint per group (scope = group id), several groups at a time so the bucket
 * stays busy. Incremental runs re-read only groups whose `lastUpdated` / `lastMembershipUpdated`
 * moved since the previous complete run, and tombstone per group (scoped finishFullSync).
 */
import { normalizeGroup, normalizeMembership } from '@idgraph/normalize';
import { forEachConcurrent } from '../concurrency.js';
import type { CollectorContext, CollectorResult } from '../context.js';
import { largePageConcurrency, progressOf } from '../context.js';
import type { ResourceProgress } from '../progress.js';
import { collectAssignmentsOf } from './apps.js';
import { collectPaged, commitMarker } from './paged.js';
import { isNotFound } from './not-found.js';
import { incrementalSince, writeWatermark } from './watermark.js';

export async function collectGroups(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'groups');
  const since = await incrementalSince(ctx, 'groups');
  const filter = since === null ? undefined : `lastUpdated gt "${since}"`;
  await collectPaged(ctx, progress, {
    resource: 'groups',
    scopeKey: '',
    open: (startUrl) => (startUrl ? ctx.client.listGroups({ startUrl }) : ctx.client.listGroups(filter ? { filter } : {})),
    toRows: (items, fetchedAt) => ({ groups: items.map((g) => normalizeGroup(g, fetchedAt)) }),
  });
  if (since === null) await ctx.store.finishFullSync(ctx.run.id, 'groups');
  await writeWatermark(ctx, 'groups');
  return { resource: 'groups', complete: since === null, objects: progress.snapshot().objects };
}

export async function collectGroupMembers(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'group_members');
  const since = await incrementalSince(ctx, 'group_members');
  if (since === null) {
    // Admin posture first: the groups holding a role, then every group (those already read this
    // run are skipped through their checkpoints).
    if (ctx.adminFirst) await adminGroupMembersFirst(ctx, (groupId) => collectMembersOf(ctx, progress, groupId));
    await forEachConcurrent(
      ctx.store.liveGroupIds(ctx.integration.id),
      largePageConcurrency(ctx),
      async (groupId) => {
        await collectMembersOf(ctx, progress, groupId);
      },
      ctx.signal,
    );
    await ctx.store.finishFullSync(ctx.run.id, 'group_members');
  } else {
    const changed = ctx.client.listGroups({ filter: `lastMembershipUpdated gt "${since}"` });
    const affectedApps = new Set<string>();
    for await (const page of changed) {
      progress.page(0);
      await forEachConcurrent(page.items, largePageConcurrency(ctx), async (group) => {
        await collectMembersOf(ctx, progress, group.id);
        await ctx.store.finishFullSync(ctx.run.id, 'group_members', { groupId: group.id });
        for (const appId of await ctx.store.appsAssignedToGroups(ctx.integration.id, [group.id])) affectedApps.add(appId);
      }, ctx.signal);
    }
    // A member joining or leaving a group that is assigned to apps becomes or stops being a
    // GROUP-scope user of those apps; Okta logs no event for that, so re-read their assignments.
    await forEachConcurrent(affectedApps, largePageConcurrency(ctx), async (appId) => {
      await collectAssignmentsOf(ctx, progress, appId, 'refresh:');
      await ctx.store.finishFullSync(ctx.run.id, 'app_user_assignments', { appId });
      await ctx.store.finishFullSync(ctx.run.id, 'app_group_assignments', { appId });
    }, ctx.signal);
  }
  await writeWatermark(ctx, 'group_members');
  return { resource: 'group_members', complete: since === null, objects: progress.snapshot().objects };
}

/**
 * Step 2 of admin-first.ts: once roles (and so groups) are collected, the members of every group
 * holding a role, each group tombstoned on its own at once. Settles `adminMembers`.
 */
async function adminGroupMembersFirst(ctx: CollectorContext, collectOne: (groupId: string) => Promise<void>): Promise<void> {
  const gate = ctx.adminFirst!;
  try {
    if (!(await gate.ready(['groups', 'roles'], ctx.signal))) return;
    const groupIds = await ctx.store.adminGroupIds!(ctx.integration.id);
    await forEachConcurrent(
      groupIds,
      largePageConcurrency(ctx),
      async (groupId) => {
        await collectOne(groupId);
        await ctx.store.finishFullSync(ctx.run.id, 'group_members', { groupId });
      },
      ctx.signal,
    );
    ctx.logger.info({ groups: groupIds.length }, 'members of the groups holding admin roles collected');
    gate.settle('adminMembers', true);
  } finally {
    gate.settle('adminMembers', false);
  }
}

async function collectMembersOf(ctx: CollectorContext, progress: ResourceProgress, groupId: string): Promise<void> {
  try {
    await collectPaged(ctx, progress, {
      resource: 'group_members',
      scopeKey: groupId,
      open: (startUrl) => ctx.client.listGroupUsers(groupId, { startUrl }),
      toRows: (items, fetchedAt) => ({ memberships: items.map((u) => normalizeMembership(groupId, u.id, fetchedAt)) }),
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // Deleted since it was listed: nothing to read; its memberships are tombstoned with it.
    ctx.logger.debug({ groupId }, 'group vanished before its members were read');
    await commitMarker(ctx, 'group_members', groupId, null, true);
  }
}
