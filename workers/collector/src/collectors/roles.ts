/**
 * Admin roles: custom roles and their permissions, resource sets and their resources (IAM listings
 * paged in the body), then role assignments of users (the users holding roles come from
 * /api/v1/iam/assignees/users, then /users/{id}/roles each), of every group (/groups/{id}/roles)
 * and of every service app (its OAuth client's roles), then the targets of every scopable standard
 * assignment (which groups a USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN, which apps an
 * APP_ADMIN may act on). Only direct assignments are stored: a user's list also names the roles of
 * the user's groups (GROUP entries), which are the groups' own and are read from the groups'
 * lists; a member's role through a group follows from the membership.
 * Incremental runs refresh the four cheap IAM listings and leave assignments (and their targets)
 * to privilege events (user/group.privilege.* → targeted re-reads).
 */
import {
  SCOPABLE_ROLES,
  normalizeCustomRole,
  normalizeResourceSet,
  normalizeResourceSetResource,
  normalizeRoleAssignments,
  normalizeRolePermission,
  normalizeRoleTargets,
} from '@idgraph/normalize';
import type { RoleAssignmentRow, RoleTargetRow } from '@idgraph/graph';
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
  await collectFanOut(ctx, progress, {
    resource: 'role_permissions',
    scopeKey: '',
    source: (afterId) => ctx.store.liveIdsOf('roles', ctx.integration.id, afterId),
    idOf: (roleId) => roleId,
    fetch: (roleId) => orNotFound(ctx.client.listCustomRolePermissions(roleId)),
    toRows: (results) => ({
      rolePermissions: results.flatMap(({ item, result }) => result.items.map((p) => normalizeRolePermission(item, p, result.fetchedAt))),
    }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'role_permissions');
  await collectFanOut(ctx, progress, {
    resource: 'resource_set_resources',
    scopeKey: '',
    source: (afterId) => ctx.store.liveIdsOf('resource_sets', ctx.integration.id, afterId),
    idOf: (setId) => setId,
    // A set's resources, all pages at once (sets hold dozens to hundreds of resources).
    fetch: (setId) => orNotFound(allPages(ctx.client.listResourceSetResources(setId))),
    toRows: (results) => ({
      resourceSetResources: results.flatMap(({ item, result }) => result.items.map((r) => normalizeResourceSetResource(item, r, result.fetchedAt))),
    }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'resource_set_resources');
  if ((ctx.mode ?? 'full') === 'incremental') {
    return { resource: 'roles', complete: false, objects: progress.snapshot().objects };
  }
  await collectUserRoleAssignments(ctx, progress);
  await collectGroupRoleAssignments(ctx, progress);
  await collectServiceAppRoleAssignments(ctx, progress);
  await ctx.store.finishFullSync(ctx.run.id, 'role_assignments');
  await collectFanOut(ctx, progress, {
    resource: 'role_targets',
    scopeKey: '',
    source: (afterKey) => ctx.store.liveRoleAssignmentsOf(ctx.integration.id, [...SCOPABLE_ROLES.groups, ...SCOPABLE_ROLES.apps], afterKey),
    idOf: (a) => a.key,
    fetch: (a) => orNotFound(targetsOf(ctx, a)),
    toRows: (results) => ({ roleTargets: results.flatMap(({ result }) => result) }),
  });
  await ctx.store.finishFullSync(ctx.run.id, 'role_targets');
  return { resource: 'roles', complete: true, objects: progress.snapshot().objects };
}

/**
 * The targets of one scopable standard assignment (no rows: not scoped). An empty array when the
 * role takes no targets; throws 404 (the assignment is gone) for the caller to treat as null.
 */
export async function targetsOf(
  ctx: CollectorContext,
  a: { principalKind: 'user' | 'group' | 'app'; principalId: string; roleId: string; assignmentId: string | null },
): Promise<RoleTargetRow[]> {
  if (a.assignmentId === null) return [];
  const principal = { kind: a.principalKind, id: a.principalId };
  const kind = (SCOPABLE_ROLES.groups as readonly string[]).includes(a.roleId) ? 'groups' : (SCOPABLE_ROLES.apps as readonly string[]).includes(a.roleId) ? 'apps' : null;
  if (kind === null) return [];
  const rows: RoleTargetRow[] = [];
  const pages = kind === 'groups' ? ctx.client.listRoleTargetGroups(principal, a.assignmentId) : ctx.client.listRoleTargetApps(principal, a.assignmentId);
  for await (const page of pages) rows.push(...normalizeRoleTargets(a.principalKind, a.principalId, a.roleId, kind, page.items, page.fetchedAt));
  return rows;
}

/** Every page of a listing as one result (its first page's time). */
async function allPages<T>(pages: AsyncIterable<{ items: T[]; fetchedAt: Date }>): Promise<{ items: T[]; fetchedAt: Date }> {
  const items: T[] = [];
  let fetchedAt: Date | null = null;
  for await (const page of pages) {
    items.push(...page.items);
    fetchedAt ??= page.fetchedAt;
  }
  return { items, fetchedAt: fetchedAt ?? new Date() };
}

/** null when the object is gone (404) by the time its sub-resource is read. */
async function orNotFound<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
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
