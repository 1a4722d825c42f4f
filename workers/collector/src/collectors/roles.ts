/**
 * Admin roles: custom roles and resource sets (IAM listings paged in the body), then role
 * assignments of users (the users holding roles come from /api/v1/iam/assignees/users, then
 * /users/{id}/roles each), of every group (/groups/{id}/roles) and of every service app
 * (its OAuth client's roles). Only direct assignments are stored: a user's list also names the
 * roles of the user's groups (GROUP entries), which are the groups' own and are read from the
 * groups' lists; a member's role through a group follows from the membership.
 * Incremental runs refresh the two cheap listings and leave assignments to privilege events
 * (user/group.privilege.* → targeted re-reads).
 */
import { normalizeCustomRole, normalizeResourceSet, normalizeRoleAssignments } from '@idgraph/normalize';
import type { RoleAssignmentRow } from '@idgraph/graph';
import { mapOrdered } from '../concurrency.js';
import type { CollectorContext, CollectorResult } from '../context.js';
import { progressOf } from '../context.js';
import type { OktaRoleAssignmentLike } from '../ports.js';
import type { ResourceProgress } from '../progress.js';
import { collectFanOut } from './fan-out.js';
import { collectPaged } from './paged.js';
import { isNotFound } from './not-found.js';

export async function collectRoles(ctx: CollectorContext): Promise<CollectorResult> {
  const progress = progressOf(ctx, 'roles');
  await collectPaged(ctx, progress, {
    resource: 'roles',
    scopeKey: '',
    open: (startUrl) => ctx.client.listCustomRoles({ startUrl }),
    toRows: (items, fetchedAt) => ({ roles: items.map((r) => normalizeCustomRole(r, fetchedAt)) }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'roles');
  await collectPaged(ctx, progress, {
    resource: 'resource_sets',
    scopeKey: '',
    open: (startUrl) => ctx.client.listResourceSets({ startUrl }),
    toRows: (items, fetchedAt) => ({ resourceSets: items.map((s) => normalizeResourceSet(s, fetchedAt)) }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'resource_sets');
  if ((ctx.mode ?? 'full') === 'incremental') {
    return { resource: 'roles', complete: false, objects: progress.snapshot().objects };
  }
  await collectUserRoleAssignments(ctx, progress);
  await collectGroupRoleAssignments(ctx, progress);
  await collectServiceAppRoleAssignments(ctx, progress);
  await ctx.store.finishFullSync(ctx.run.id, 'role_assignments');
  return { resource: 'roles', complete: true, objects: progress.snapshot().objects };
}

/** Each page of role assignees is committed with the roles of the users on it. */
async function collectUserRoleAssignments(ctx: CollectorContext, progress: ResourceProgress): Promise<void> {
  let fetched = 0;
  await collectPaged(ctx, progress, {
    resource: 'role_assignments',
    scopeKey: 'users',
    open: (startUrl) => withRolesOfAssignees(ctx, ctx.client.listRoleAssigneeUsers({ startUrl }), (n) => (fetched += n)),
    toRows: (items) => ({ roleAssignments: items.flat() }),
  });
  progress.calls(fetched);
}

/** Turns a page of assignee ids into a page of their role-assignment rows (same next link). */
async function* withRolesOfAssignees(
  ctx: CollectorContext,
  assignees: AsyncIterable<{ items: { id: string }[]; nextUrl: string | null; fetchedAt: Date }>,
  countCalls: (n: number) => void,
): AsyncGenerator<{ items: RoleAssignmentRow[][]; nextUrl: string | null; fetchedAt: Date }> {
  for await (const page of assignees) {
    const rows: RoleAssignmentRow[][] = [];
    for await (const { item, result } of mapOrdered(page.items, ctx.concurrency ?? 8, (a) => rolesOf(ctx, 'user', a.id), ctx.signal)) {
      if (result !== null) rows.push(normalizeRoleAssignments('user', item.id, result.items, result.fetchedAt));
    }
    countCalls(page.items.length);
    ctx.signal.throwIfAborted();
    yield { items: rows, nextUrl: page.nextUrl, fetchedAt: page.fetchedAt };
  }
}

async function collectGroupRoleAssignments(ctx: CollectorContext, progress: ResourceProgress): Promise<void> {
  await collectFanOut(ctx, progress, {
    resource: 'role_assignments',
    scopeKey: 'groups',
    source: (afterId) => ctx.store.liveGroupIds(ctx.integration.id, afterId),
    idOf: (groupId) => groupId,
    fetch: (groupId) => rolesOf(ctx, 'group', groupId),
    toRows: (results) => ({
      roleAssignments: results.flatMap(({ item, result }) => normalizeRoleAssignments('group', item, result.items, result.fetchedAt)),
    }),
  });
}

async function collectServiceAppRoleAssignments(ctx: CollectorContext, progress: ResourceProgress): Promise<void> {
  await collectFanOut(ctx, progress, {
    resource: 'role_assignments',
    scopeKey: 'apps',
    source: (afterId) => serviceApps(ctx, afterId),
    idOf: (app) => app.id,
    fetch: (app) => rolesOf(ctx, 'app', app.clientId),
    // A service app's roles are granted to its OAuth client; Okta's client id is the app id.
    toRows: (results) => ({
      roleAssignments: results.flatMap(({ item, result }) => normalizeRoleAssignments('app', item.clientId, result.items, result.fetchedAt)),
    }),
  });
}

async function* serviceApps(ctx: CollectorContext, afterId: string | undefined): AsyncGenerator<{ id: string; clientId: string }> {
  for await (const app of ctx.store.liveApps(ctx.integration.id, afterId)) {
    if (app.isServiceApp) yield { id: app.id, clientId: app.clientId ?? app.id };
  }
}

/** One principal's role assignments; null when the principal is gone (404). */
export async function rolesOf(
  ctx: CollectorContext,
  kind: 'user' | 'group' | 'app',
  id: string,
): Promise<{ items: OktaRoleAssignmentLike[]; fetchedAt: Date } | null> {
  try {
    if (kind === 'user') return await ctx.client.listUserRoles(id);
    if (kind === 'group') return await ctx.client.listGroupRoles(id);
    return await ctx.client.listClientRoles(id);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}
