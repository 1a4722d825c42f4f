/**
 * Changes between a full and an incremental run, end to end through the collector workers: every
 * kind of change the simulator can make (plus a batch of random ones) is applied after a full
 * Collect Now run; an incremental run must then bring the graph back to `sim.truth()` exactly.
 *
 * What the incremental path sees, and how:
 * - by listing (`lastUpdated` / `lastMembershipUpdated` searches): user created / activated /
 *   deactivated / suspended / unsuspended / locked / profile updated, group membership added /
 *   removed (and the GROUP-scope app users that follow from it);
 * - only through System Log events (polled from the saved `after` cursor in the same run):
 *   user deleted (gone from every listing), app assigned / unassigned to a user or a group,
 *   admin role granted / revoked, factor enrolled / deactivated / reset — an incremental run
 *   reads no app assignments, role assignments or factors itself (they cost one request per
 *   app / principal / user).
 * The second test proves that split: the listings alone leave exactly the event-only changes
 * missing, and the System Log poll then completes the graph.
 */
import { LISTING_RESOURCES, collectNow, redisConnection, startCollectorWorkers, type CollectorWorkers, type RunSummary } from '@idgraph/collector';
import type { ExportLine, Integration } from '@idgraph/graph';
import type { OktaSim, SimChange, SimChangeType } from '@idgraph/okta-sim';
import { TEST_REDIS_URL } from '@idgraph/test-support';
import type { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeExportDiff,
  E2E_TENANT,
  e2eLogger,
  exportLines,
  makeGovernor,
  storeClientFactory,
  type CollectorDb,
} from './fixtures/collect-env.js';
import { startCollectionE2e, type CollectionE2e } from './fixtures/collection-e2e.js';

const logger = e2eLogger('collection-incremental-e2e');


/**
 * One change of every kind, on distinct subjects picked from the org as it is now (so that no
 * change undoes another). Throws if the org offers no valid subject for a kind.
 */
function oneOfEveryKind(sim: OktaSim): SimChange[] {
  const org = sim.org;
  const used = new Set<string>();
  const users = [...org.users.values()];
  const user = (what: string, ok: (u: (typeof users)[number]) => boolean): string => {
    const u = users.find((x) => !used.has(x.id) && ok(x));
    if (!u) throw new Error(`no user for ${what} in the simulated org; use a bigger org`);
    used.add(u.id);
    return u.id;
  };
  const okta = [...org.groups.values()].filter((g) => g.type === 'OKTA_GROUP');
  const appsOf = (groupId: string) => [...org.appGroupAssignments].filter(([, m]) => m.has(groupId)).map(([appId]) => appId);
  // Membership changes in a group assigned to apps: the members' GROUP-scope app users change too.
  const assignedGroup = okta.find((g) => appsOf(g.id).length > 0 && (org.groupMembers.get(g.id)?.size ?? 0) > 2)!;
  const plainGroup = okta.find((g) => g.id !== assignedGroup.id)!;
  const memberToRemove = [...org.groupMembers.get(assignedGroup.id)!].find((id) => org.users.get(id)!.status === 'ACTIVE')!;
  used.add(memberToRemove);
  const activeApps = [...org.apps.values()].filter((a) => a.status === 'ACTIVE' && !a.isServiceApp);
  const appWithUsers = activeApps.find((a) => (org.appUserAssignments.get(a.id)?.size ?? 0) > 1)!;
  const directToRemove = [...org.appUserAssignments.get(appWithUsers.id)!.keys()].find((id) => !used.has(id))!;
  used.add(directToRemove);
  const appWithGroups = activeApps.find((a) => (org.appGroupAssignments.get(a.id)?.size ?? 0) > 0)!;
  const groupToUnassign = [...org.appGroupAssignments.get(appWithGroups.id)!.keys()][0]!;
  const appForGroup = activeApps.find((a) => a.id !== appWithGroups.id && !org.appGroupAssignments.get(a.id)?.has(plainGroup.id))!;
  const userRole = [...org.roleAssignments.values()].find((r) => r.principalKind === 'user' && !used.has(r.principalId) && r.type !== 'SUPER_ADMIN')!;
  used.add(userRole.principalId);
  const holds = (principalId: string, role: string) => [...org.roleAssignments.values()].some((r) => r.principalId === principalId && r.type === role);
  const withFactors = (n: number) => (u: (typeof users)[number]) => u.status === 'ACTIVE' && (org.factors.get(u.id)?.length ?? 0) >= n;
  const factorUser = user('factor.deactivate', withFactors(2));
  const resetUser = user('factor.reset_all', withFactors(1));
  const enrollUser = user('factor.activate', (u) => u.status === 'ACTIVE' && !(org.factors.get(u.id) ?? []).some((f) => f.factorType === 'webauthn'));
  const deactivated = user('user.deactivate', (u) => u.status === 'ACTIVE' && [...org.appUserAssignments.values()].some((m) => m.has(u.id)));

  const changes: SimChange[] = [
    { type: 'user.create', activate: true, profile: { firstName: 'Ada', lastName: 'Incremental' } },
    { type: 'user.create', activate: false, profile: { firstName: 'Staged', lastName: 'Incremental' } },
    { type: 'user.activate', userId: user('user.activate', (u) => u.status === 'STAGED' || u.status === 'PROVISIONED') },
    { type: 'user.deactivate', userId: deactivated },
    { type: 'user.suspend', userId: user('user.suspend', (u) => u.status === 'ACTIVE') },
    { type: 'user.unsuspend', userId: user('user.unsuspend', (u) => u.status === 'SUSPENDED') },
    { type: 'user.lock', userId: user('user.lock', (u) => u.status === 'ACTIVE') },
    { type: 'user.delete', userId: user('user.delete', (u) => u.status === 'DEPROVISIONED' && (org.userGroups.get(u.id)?.size ?? 0) > 1) },
    { type: 'user.update_profile', userId: user('user.update_profile', (u) => u.status === 'ACTIVE'), profile: { title: 'Changed title', department: 'Changed' } },
    { type: 'group.member.add', groupId: assignedGroup.id, userId: user('group.member.add', (u) => u.status === 'ACTIVE' && !org.groupMembers.get(assignedGroup.id)!.has(u.id)) },
    { type: 'group.member.remove', groupId: assignedGroup.id, userId: memberToRemove },
    { type: 'app.user.assign', appId: appWithUsers.id, userId: user('app.user.assign', (u) => u.status === 'ACTIVE' && !org.appUserAssignments.get(appWithUsers.id)!.has(u.id)) },
    { type: 'app.user.unassign', appId: appWithUsers.id, userId: directToRemove },
    { type: 'app.group.assign', appId: appForGroup.id, groupId: plainGroup.id },
    { type: 'app.group.unassign', appId: appWithGroups.id, groupId: groupToUnassign },
    { type: 'role.grant.user', userId: user('role.grant.user', (u) => u.status === 'ACTIVE' && !holds(u.id, 'HELP_DESK_ADMIN')), role: 'HELP_DESK_ADMIN' },
    { type: 'role.grant.group', groupId: okta.find((g) => !holds(g.id, 'READ_ONLY_ADMIN') && g.id !== assignedGroup.id)!.id, role: 'READ_ONLY_ADMIN' },
    { type: 'role.revoke', assignmentId: userRole.id },
    { type: 'factor.activate', userId: enrollUser, factorType: 'webauthn' },
    { type: 'factor.deactivate', userId: factorUser, factorId: org.factors.get(factorUser)![0]!.id },
    { type: 'factor.reset_all', userId: resetUser },
  ];
  return changes;
}

const ALL_KINDS: SimChangeType[] = [
  'user.create', 'user.activate', 'user.deactivate', 'user.suspend', 'user.unsuspend', 'user.delete', 'user.lock',
  'user.update_profile', 'group.member.add', 'group.member.remove', 'app.user.assign', 'app.user.unassign',
  'app.group.assign', 'app.group.unassign', 'role.grant.user', 'role.grant.group', 'role.revoke',
  'factor.activate', 'factor.deactivate', 'factor.reset_all',
];

/** Export lines only an event can change: assignments, role grants, factors. */
function eventOnly(line: ExportLine, deletedUsers: ReadonlySet<string>): boolean {
  if (line.type === 'node') return line.kind === 'factor' || (line.kind === 'user' && deletedUsers.has(line.id));
  // Role targets are read with role assignments: both come from privilege events between full runs.
  if (line.kind === 'assigned_to' || line.kind === 'has_role' || line.kind === 'has_factor' || line.kind === 'scoped_to') return true;
  return line.kind === 'member_of' && deletedUsers.has(line.from.replace(/^user:/, ''));
}

describe('collection end to end: changes between a full and an incremental run', () => {
  let env: CollectionE2e;
  let sim: OktaSim;
  let db: CollectorDb;
  let integration: Integration;
  let workers: CollectorWorkers;
  let queue: Queue;
  let events: QueueEvents;
  const governorRedis = redisConnection(TEST_REDIS_URL);

  async function runJob(mode: 'full' | 'incremental', resources?: readonly string[]): Promise<RunSummary> {
    const { jobId } = await collectNow(queue, integration.id, resources, { tenant: E2E_TENANT, mode });
    const summary = (await (await queue.getJob(jobId))!.waitUntilFinished(events, 120_000)) as RunSummary;
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    return summary;
  }

  beforeAll(async () => {
    env = await startCollectionE2e('collection_incremental', { users: 1500, seed: 44, rateLimitFactor: 40, tokenShare: 1, faults: { error5xxRate: 0.01, seed: 3 } }, logger);
    ({ sim, db, integration, queue, events } = env);
    const prefix = env.prefix;
    workers = startCollectorWorkers({
      redisUrl: TEST_REDIS_URL,
      store: db.store,
      logger,
      prefix,
      makeClient: storeClientFactory(db.graph, makeGovernor({ redis: governorRedis, keyPrefix: `${prefix}:rl:` }), logger),
    });
  });

  afterAll(async () => {
    await workers?.close();
    governorRedis.disconnect();
    await env?.close();
  });

  it('every kind of change plus random ones: an incremental run (listings + System Log) equals sim.truth()', async () => {
    const full = await runJob('full');
    let diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');

    const changes = oneOfEveryKind(sim);
    expect(new Set(changes.map((c) => c.type))).toEqual(new Set(ALL_KINDS));
    for (const change of changes) sim.mutate(change);
    for (let i = 0; i < 30; i++) sim.mutate();
    expect(describeExportDiff(await exportLines(db.graph, integration.id), sim.truth())).not.toBe('');

    const incremental = await runJob('incremental');
    diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');
    // Incremental means cheap: no factor sweep, no per-app assignment reads.
    expect(incremental.requests).toBeLessThan(full.requests / 5);
    logger.info({ full: full.requests, incremental: incremental.requests }, 'incremental after every kind of change');
  });

  it('listings alone miss exactly the event-only changes; the System Log poll completes the graph', async () => {
    const changes = oneOfEveryKind(sim);
    const deleted = new Set(changes.flatMap((c) => (c.type === 'user.delete' ? [c.userId] : [])));
    for (const change of changes) sim.mutate(change);

    await runJob('incremental', [...LISTING_RESOURCES]);
    const afterListings = await exportLines(db.graph, integration.id);
    const truth = sim.truth();
    const a = new Set(afterListings.map((l) => JSON.stringify(l)));
    const t = new Set(truth.map((l) => JSON.stringify(l)));
    const differing = [...afterListings.filter((l) => !t.has(JSON.stringify(l))), ...truth.filter((l) => !a.has(JSON.stringify(l)))];
    expect(differing.length).toBeGreaterThan(0);
    const seenByListing = differing.filter((l) => !eventOnly(l, deleted));
    expect(seenByListing, 'a listing-visible change was missed by the incremental listings').toEqual([]);

    await runJob('incremental', ['system_log']);
    const diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');
  });
});
