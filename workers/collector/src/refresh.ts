/**
 * Targeted re-reads of single objects, for events that do not carry the new state (profile
 * updates, privilege grants, factor changes …). Lists that replace a scope (one user's factors,
 * one principal's roles, one app's assignments, one group's members) end with a scoped
 * finishFullSync, so what the object no longer has is tombstoned — and only within that scope.
 */
import { describeError, sharedAbortController } from '@idgraph/core';
import { OktaApiError, OktaAuthError, OktaRequestError } from '@idgraph/okta';
import type { Logger } from '@idgraph/core';
import type { RefreshRequest } from '@idgraph/graph';
import { normalizeApp, normalizeFactor, normalizeGroup, normalizeMembership, normalizeRoleAssignments, normalizeUser } from '@idgraph/normalize';
import { forEachConcurrent } from './concurrency.js';
import type { CollectorContext, IntegrationRef } from './context.js';
import { collectAssignmentsOf } from './collectors/apps.js';
import { collectPaged } from './collectors/paged.js';
import { isNotFound } from './collectors/not-found.js';
import { rolesOf, targetsOf } from './collectors/roles.js';
import type { CollectorClient, CollectorStore, GraphReader, PageRows, RunInfo, RunStore, RunTrigger } from './ports.js';
import { ResourceProgress } from './progress.js';

export interface RefreshOptions {
  client: CollectorClient;
  store: CollectorStore & GraphReader & RunStore;
  integration: IntegrationRef;
  requests: RefreshRequest[];
  logger: Logger;
  signal?: AbortSignal;
  /** Apply within this run (e.g. the collection run whose log poll asked); default: a run of its own. */
  run?: RunInfo;
  trigger?: RunTrigger;
}

export interface RefreshSummary {
  runId: string;
  /** Objects re-read and written. */
  refreshed: number;
  /** Objects Okta no longer has (404); their deletion events tombstone them. */
  vanished: number;
  /** Re-reads that failed (one failing object does not stop the others). */
  failures: { request: RefreshRequest; error: string }[];
}

/**
 * Failures after which every further request would fail the same way: Okta unreachable after
 * the client's retries, or our credentials refused. After this many in a row with no success
 * between, the remaining refreshes are not attempted (a replay asking for thousands would
 * otherwise spend minutes on each one).
 */
const HOPELESS_IN_A_ROW = 3;

function isHopeless(err: unknown): boolean {
  return err instanceof OktaRequestError || err instanceof OktaAuthError || (err instanceof OktaApiError && err.status === 401);
}

/** A refresh's reads decide what event times could not (GraphStore.finishFullSync). */
const REREAD = { reread: true } as const;

export function refreshKey(r: RefreshRequest): string {
  return JSON.stringify(r);
}

export async function refreshObjects(opts: RefreshOptions): Promise<RefreshSummary> {
  const unique = new Map(opts.requests.map((r) => [refreshKey(r), r]));
  const ownRun = opts.run === undefined;
  const run =
    opts.run ??
    (await opts.store.startRun({ integrationId: opts.integration.id, mode: 'refresh', trigger: opts.trigger ?? 'stream', resources: ['refresh'] }));
  const progress = new ResourceProgress('refresh', (resource, patch) => opts.store.updateRunResource(run.id, resource, patch).then(() => undefined), true);
  const ctx: CollectorContext = {
    client: opts.client,
    store: opts.store,
    integration: opts.integration,
    run,
    logger: opts.logger,
    signal: opts.signal ?? sharedAbortController().signal,
    progress,
    reread: true,
  };
  const summary: RefreshSummary = { runId: run.id, refreshed: 0, vanished: 0, failures: [] };
  try {
    if (ownRun) await progress.start(false);
    let hopelessInARow = 0;
    let gaveUp: string | null = null;
    await forEachConcurrent(unique.values(), 4, async (request) => {
      if (gaveUp !== null) {
        summary.failures.push({ request, error: gaveUp });
        return;
      }
      try {
        if (await refreshOne(ctx, progress, request)) summary.refreshed += 1;
        else summary.vanished += 1;
        hopelessInARow = 0;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const error = describeError(err);
        opts.logger.warn({ request, err: error }, 'targeted refresh failed');
        summary.failures.push({ request, error });
        hopelessInARow = isHopeless(err) ? hopelessInARow + 1 : 0;
        if (hopelessInARow >= HOPELESS_IN_A_ROW && gaveUp === null) {
          gaveUp = `not attempted: ${HOPELESS_IN_A_ROW} refreshes in a row failed (last: ${error}); check the org URL, network and credentials`;
          opts.logger.error({ err: error }, 'Okta unreachable or refusing our credentials: remaining refreshes skipped');
        }
      }
    }, ctx.signal);
    if (ownRun) {
      const failed = summary.failures.length > 0;
      await progress.finish(failed ? 'failed' : 'done', failed ? `${summary.failures.length} refreshes failed` : undefined);
      await opts.store.finishRun(run.id, failed ? 'partial' : 'succeeded', failed ? `${summary.failures.length} of ${unique.size} refreshes failed` : undefined);
    }
    return summary;
  } catch (err) {
    if (ownRun) {
      const message = describeError(err);
      await progress.finish('failed', message).catch(() => undefined);
      await opts.store.finishRun(run.id, 'failed', message);
    }
    throw err;
  }
}

/** Returns false when Okta no longer has the object (404): its deletion event tombstones it. */
async function refreshOne(ctx: CollectorContext, progress: ResourceProgress, r: RefreshRequest): Promise<boolean> {
  const commit = async (resource: string, rows: PageRows) => {
    await ctx.store.commitPage({ integrationId: ctx.integration.id, runId: ctx.run.id, resource, scopeKey: 'refresh', nextUrl: null, done: true, rows, reread: true });
    progress.page(Object.values(rows).reduce((n, list) => n + (Array.isArray(list) ? list.length : 0), 0));
  };
  switch (r.kind) {
    case 'user': {
      const got = await ctx.client.getUser(r.id);
      if (got === null) return false;
      await commit('users', { users: [normalizeUser(got.body, got.fetchedAt)] });
      return true;
    }
    case 'group': {
      const got = await ctx.client.getGroup(r.id);
      if (got === null) return false;
      await commit('groups', { groups: [normalizeGroup(got.body, got.fetchedAt)] });
      return true;
    }
    case 'app': {
      const got = await ctx.client.getApp(r.id);
      if (got === null) return false;
      await commit('apps', { apps: [normalizeApp(got.body, got.fetchedAt)] });
      return true;
    }
    case 'userFactors': {
      let got;
      try {
        got = await ctx.client.listUserFactors(r.userId);
      } catch (err) {
        if ((err as { status?: number }).status === 404) return false;
        throw err;
      }
      await commit('factors', { factors: got.items.map((f) => normalizeFactor(r.userId, f, got.fetchedAt)) });
      await ctx.store.finishFullSync(ctx.run.id, 'factors', { userId: r.userId }, REREAD);
      return true;
    }
    case 'principalRoles': {
      const got = await rolesOf(ctx, r.principalKind, r.principalId);
      if (got === null) return false;
      const assignments = normalizeRoleAssignments(r.principalKind, r.principalId, got.items, got.fetchedAt);
      await commit('role_assignments', { roleAssignments: assignments });
      await ctx.store.finishFullSync(ctx.run.id, 'role_assignments', { principalKind: r.principalKind, principalId: r.principalId }, REREAD);
      // And what each scopable assignment is limited to (a grant may come with targets).
      const targets = [];
      for (const a of assignments) {
        try {
          targets.push(...(await targetsOf(ctx, a)));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      await commit('role_targets', { roleTargets: targets });
      await ctx.store.finishFullSync(ctx.run.id, 'role_targets', { principalKind: r.principalKind, principalId: r.principalId }, REREAD);
      return true;
    }
    case 'appAssignments': {
      await collectAssignmentsOf(ctx, progress, r.appId, 'refresh:');
      await ctx.store.finishFullSync(ctx.run.id, 'app_user_assignments', { appId: r.appId }, REREAD);
      await ctx.store.finishFullSync(ctx.run.id, 'app_group_assignments', { appId: r.appId }, REREAD);
      return true;
    }
    case 'groupMembers': {
      await collectPaged(ctx, progress, {
        resource: 'group_members',
        scopeKey: `refresh:${r.groupId}`,
        open: (startUrl) => ctx.client.listGroupUsers(r.groupId, { startUrl }),
        toRows: (items, fetchedAt) => ({ memberships: items.map((u) => normalizeMembership(r.groupId, u.id, fetchedAt)) }),
      });
      await ctx.store.finishFullSync(ctx.run.id, 'group_members', { groupId: r.groupId }, REREAD);
      return true;
    }
  }
}
