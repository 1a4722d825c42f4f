import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortExportLines } from '@idgraph/graph';
import type { ExportLine } from '@idgraph/graph';
import { startOktaSim } from './index.js';
import type { OktaLogEvent, OktaSim } from './index.js';
import { sortLikeExportFormat } from './truth.js';
import { collectAll, httpGet, nextLink } from './testdata/http.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

describe('okta-sim org and API', () => {
  let sim: OktaSim;
  let auth: Record<string, string>;

  beforeAll(async () => {
    sim = await startOktaSim({ seed: 42, users: 120, now: NOW, rateLimitFactor: 100 });
    auth = { Authorization: `SSWS ${sim.apiToken}` };
  });
  afterAll(async () => {
    await sim.close();
  });

  const get = (path: string, headers = auth) => httpGet(`${sim.url}${path}`, headers);

  it('is deterministic: the same seed and now give the same truth, another seed does not', async () => {
    const again = await startOktaSim({ seed: 42, users: 120, now: NOW });
    const other = await startOktaSim({ seed: 43, users: 120, now: NOW });
    try {
      expect(JSON.stringify(again.truth())).toBe(JSON.stringify(sim.truth()));
      expect(JSON.stringify(other.truth())).not.toBe(JSON.stringify(sim.truth()));
      expect(again.planted).toEqual(sim.planted);
    } finally {
      await again.close();
      await other.close();
    }
  });

  it('makes the same random changes for the same seed and call count', async () => {
    const a = await startOktaSim({ seed: 5, users: 60, now: NOW });
    const b = await startOktaSim({ seed: 5, users: 60, now: NOW });
    try {
      const changesA = Array.from({ length: 25 }, () => a.mutate());
      const changesB = Array.from({ length: 25 }, () => b.mutate());
      expect(changesB.map((m) => m.change)).toEqual(changesA.map((m) => m.change));
      expect(changesB.map((m) => m.event.uuid)).toEqual(changesA.map((m) => m.event.uuid));
      expect(JSON.stringify(b.truth())).toBe(JSON.stringify(a.truth()));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('orders truth() exactly like sortExportLines', () => {
    const lines = sim.truth();
    const resorted = sortExportLines([...lines].reverse() as ExportLine[]);
    expect(sortLikeExportFormat([...lines].reverse())).toEqual(resorted);
    expect(lines).toEqual(resorted);
  });

  it('generates every user status, several credential providers, factor types and sign-on modes', () => {
    const users = [...sim.org.users.values()];
    const statuses = new Set(users.map((u) => u.status));
    for (const s of ['ACTIVE', 'DEPROVISIONED', 'LOCKED_OUT']) expect(statuses.has(s as never)).toBe(true);
    expect(users.filter((u) => u.status === 'ACTIVE').length).toBeGreaterThan(users.length / 2);
    expect(users.some((u) => u.lastLogin === null)).toBe(true);
    expect(new Set(users.map((u) => u.credentialProvider.type)).size).toBeGreaterThan(1);
    const factorTypes = new Set([...sim.org.factors.values()].flat().map((f) => f.factorType));
    expect(factorTypes.size).toBeGreaterThanOrEqual(6);
    expect(new Set([...sim.org.apps.values()].map((a) => a.signOnMode)).size).toBeGreaterThanOrEqual(4);
    expect([...sim.org.groups.values()].filter((g) => g.type === 'BUILT_IN').map((g) => g.name)).toEqual(['Everyone']);
    expect([...sim.org.groups.values()].some((g) => g.type === 'APP_GROUP' && g.sourceAppId)).toBe(true);
    for (const u of users) expect(u.id).toMatch(/^00u[0-9A-Za-z]{17}$/);
  });

  it('plants the documented posture cases', () => {
    const p = sim.planted;
    if (!p) throw new Error('expected planted posture cases');
    const roles = [...sim.org.roleAssignments.values()];
    const superUsers = roles.filter((r) => r.type === 'SUPER_ADMIN' && r.principalKind === 'user').map((r) => r.principalId).sort();
    expect(superUsers).toEqual([...p.superAdmins].sort());
    expect(superUsers.length).toBe(6);
    expect(sim.org.factors.get(p.smsOnlySuperAdmin)?.map((f) => f.factorType)).toEqual(['sms']);
    expect(sim.org.users.get(p.smsOnlySuperAdmin)?.status).toBe('ACTIVE');
    expect(sim.org.groupMembers.get(p.largeAdminGroup.groupId)?.size).toBeGreaterThan(25);
    expect(roles.some((r) => r.principalKind === 'group' && r.principalId === p.largeAdminGroup.groupId && r.type === 'ORG_ADMIN')).toBe(true);
    expect(roles.some((r) => r.principalKind === 'app' && r.principalId === p.superAdminServiceApp && r.type === 'SUPER_ADMIN')).toBe(true);
    expect(sim.org.apps.get(p.superAdminServiceApp)?.isServiceApp).toBe(true);
    expect(sim.org.users.get(p.deprovisionedWithApp.userId)?.status).toBe('DEPROVISIONED');
    expect(sim.org.appUserAssignments.get(p.deprovisionedWithApp.appId)?.has(p.deprovisionedWithApp.userId)).toBe(true);
    expect(NOW.getTime() - Date.parse(p.dormantAdmin.lastLogin)).toBeGreaterThanOrEqual(45 * 86_400_000);
    expect(p.lockedOutUsers.length).toBeGreaterThanOrEqual(2);
    for (const id of p.lockedOutUsers) expect(sim.org.users.get(id)?.status).toBe('LOCKED_OUT');
    expect(sim.org.appGroupAssignments.get(p.everyoneApp)?.has(sim.org.everyoneGroupId)).toBe(true);
    for (const id of p.stalePasswordUsers) expect(NOW.getTime() - Date.parse(sim.org.users.get(id)?.passwordChanged ?? '')).toBeGreaterThan(365 * 86_400_000);
  });

  it('pages users with separate Link lines, opaque cursors, every non-DEPROVISIONED user exactly once', async () => {
    const first = await get('/api/v1/users?limit=7');
    expect(first.status).toBe(200);
    expect(first.links).toHaveLength(2);
    expect(first.links[0]).toBe(`<${sim.url}/api/v1/users?limit=7>; rel="self"`);
    expect(first.links[1]).toMatch(/rel="next"$/);
    const cursor = new URL(nextLink(first.links) as string).searchParams.get('after');
    const lastId = (first.json as { id: string }[])[6]?.id;
    expect(cursor).not.toBe(lastId);
    const { items, pages } = await collectAll(`${sim.url}/api/v1/users?limit=7`, auth);
    const expected = [...sim.org.users.values()].filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.id).sort();
    expect(items.map((u) => u.id)).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
    expect(items.some((u) => u.status === 'DEPROVISIONED')).toBe(false);
  });

  it('clamps limits per endpoint and echoes the effective limit in the self link', async () => {
    const users = await get('/api/v1/users?limit=5000');
    expect(users.links[0]).toContain('limit=200');
    const firstGroup = [...sim.org.groups.keys()][1] as string;
    const members = await get(`/api/v1/groups/${firstGroup}/users`);
    expect(members.links[0]).toBe(`<${sim.url}/api/v1/groups/${firstGroup}/users?limit=1000>; rel="self"`);
    const app = sim.planted?.everyoneApp as string;
    const appUsers = await get(`/api/v1/apps/${app}/users`);
    expect(appUsers.links[0]).toContain('limit=50');
    expect((appUsers.json as unknown[]).length).toBe(50);
    const appGroups = await get(`/api/v1/apps/${app}/groups?limit=3`);
    expect(appGroups.links[0]).toContain('limit=20');
    const apps = await get('/api/v1/apps');
    expect(apps.links[0]).toContain('limit=20');
    expect((apps.json as unknown[]).length).toBe(Math.min(20, sim.org.apps.size));
  });

  it('includes DEPROVISIONED users with filter or search and supports and/or and lastUpdated ranges', async () => {
    const deprovisioned = [...sim.org.users.values()].filter((u) => u.status === 'DEPROVISIONED').map((u) => u.id).sort();
    const viaFilter = await collectAll(`${sim.url}/api/v1/users?filter=${encodeURIComponent('status eq "DEPROVISIONED"')}`, auth);
    expect(viaFilter.items.map((u) => u.id)).toEqual(deprovisioned);
    const viaSearch = await collectAll(`${sim.url}/api/v1/users?search=${encodeURIComponent('status eq "deprovisioned"')}`, auth);
    expect(viaSearch.items.map((u) => u.id)).toEqual(deprovisioned);
    const filterCaseSensitive = await collectAll(`${sim.url}/api/v1/users?filter=${encodeURIComponent('status eq "deprovisioned"')}`, auth);
    expect(filterCaseSensitive.items).toHaveLength(0);

    const cut = '2026-01-01T00:00:00.000Z';
    const newer = [...sim.org.users.values()].filter((u) => u.lastUpdated > cut).map((u) => u.id).sort();
    const viaRange = await collectAll(`${sim.url}/api/v1/users?filter=${encodeURIComponent(`lastUpdated gt "${cut}"`)}`, auth);
    expect(viaRange.items.map((u) => u.id)).toEqual(newer);
    const either = [...sim.org.users.values()].filter((u) => u.status === 'LOCKED_OUT' || u.status === 'SUSPENDED').map((u) => u.id).sort();
    const viaOr = await collectAll(`${sim.url}/api/v1/users?search=${encodeURIComponent('status eq "LOCKED_OUT" or status eq "SUSPENDED"')}`, auth);
    expect(viaOr.items.map((u) => u.id)).toEqual(either);
  });

  it('rejects bad search and filter expressions with Okta error bodies', async () => {
    const badSearch = await get(`/api/v1/users?search=${encodeURIComponent('status ne "ACTIVE"')}`);
    expect(badSearch.status).toBe(400);
    expect(badSearch.json).toMatchObject({ errorCode: 'E0000031', errorSummary: 'Invalid search criteria.' });
    const badFilter = await get(`/api/v1/users?filter=${encodeURIComponent('profile.department eq "IT"')}`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.json).toMatchObject({ errorCode: 'E0000053' });
    const unterminated = await get(`/api/v1/groups?filter=${encodeURIComponent('type eq "BUILT_IN')}`);
    expect(unterminated.status).toBe(400);
  });

  it('serves q searches without paging', async () => {
    const users = await get('/api/v1/users?q=a');
    expect((users.json as unknown[]).length).toBeLessThanOrEqual(10);
    expect(nextLink(users.links)).toBeNull();
    const groups = await get('/api/v1/groups?q=Every');
    expect(groups.links).toHaveLength(0);
    expect((groups.json as { id: string }[]).map((g) => g.id)).toEqual([sim.org.everyoneGroupId]);
  });

  it('filters groups by type and lastMembershipUpdated', async () => {
    const builtIn = await get(`/api/v1/groups?filter=${encodeURIComponent('type eq "BUILT_IN"')}`);
    expect((builtIn.json as { profile: { name: string } }[]).map((g) => g.profile.name)).toEqual(['Everyone']);
    const cut = '2026-04-01T00:00:00.000Z';
    const expected = [...sim.org.groups.values()].filter((g) => g.lastMembershipUpdated > cut).map((g) => g.id).sort();
    const got = await get(`/api/v1/groups?filter=${encodeURIComponent(`lastMembershipUpdated gt "${cut}"`)}`);
    expect((got.json as { id: string }[]).map((g) => g.id)).toEqual(expected);
  });

  it('answers unknown ids with 404 E0000007, bad tokens with 401 E0000011 and restricted tokens with 403 E0000006', async () => {
    const missing = await get('/api/v1/users/00u0000000000000none');
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ errorCode: 'E0000007', errorLink: 'E0000007' });
    const badToken = await get('/api/v1/users', { Authorization: 'SSWS nope' });
    expect(badToken.status).toBe(401);
    expect(badToken.json).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    expect(badToken.text).not.toContain('nope');
    const restricted = sim.createApiToken({ scopes: ['okta.users.read'] });
    const forbidden = await get('/api/v1/logs', { Authorization: `SSWS ${restricted}` });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json).toMatchObject({ errorCode: 'E0000006' });
    const allowed = await get('/api/v1/users?limit=1', { Authorization: `SSWS ${restricted}` });
    expect(allowed.status).toBe(200);
  });

  it("acts with an API token's admin role: a read-only admin's token reads everything but admin roles (403 E0000006)", async () => {
    const readOnly = { Authorization: `SSWS ${sim.createApiToken({ roles: ['READ_ONLY_ADMIN'] })}` };
    for (const path of ['/api/v1/users?limit=1', '/api/v1/groups?limit=1', '/api/v1/apps?limit=1', '/api/v1/logs?limit=1']) {
      expect((await get(path, readOnly)).status, path).toBe(200);
    }
    const group = [...sim.org.groups.keys()][0]!;
    for (const path of ['/api/v1/iam/assignees/users', '/api/v1/iam/roles', `/api/v1/groups/${group}/roles`]) {
      const denied = await get(path, readOnly);
      expect(denied.status, path).toBe(403);
      expect(denied.json, path).toMatchObject({ errorCode: 'E0000006' });
      expect((await get(path)).status, path).toBe(200);
    }
    expect(() => sim.createApiToken({ roles: ['NOT_A_ROLE'] })).toThrow(/unknown role "NOT_A_ROLE"/);
  });

  it('sends Date, request id, JSON content type and rate-limit headers on every response', async () => {
    for (const path of ['/api/v1/users?limit=1', '/api/v1/users/nope', '/api/v1/iam/roles']) {
      const res = await get(path);
      expect(res.headers['date']).toBeTruthy();
      expect(res.headers['x-okta-request-id']).toBeTruthy();
      expect(res.headers['content-type']).toContain('application/json');
      expect(Number(res.headers['x-rate-limit-limit'])).toBeGreaterThan(0);
      expect(Number(res.headers['x-rate-limit-reset'])).toBeGreaterThan(Date.now() / 1000);
    }
  });

  it('lists roles for users, groups and service apps, IAM roles/resource sets and assignees in the body', async () => {
    const p = sim.planted;
    if (!p) throw new Error('expected planted posture cases');
    const userRoles = await get(`/api/v1/users/${p.smsOnlySuperAdmin}/roles`);
    expect(userRoles.links).toHaveLength(0);
    expect((userRoles.json as { type: string; assignmentType: string }[]).map((r) => [r.type, r.assignmentType])).toContainEqual(['SUPER_ADMIN', 'USER']);
    const groupRoles = await get(`/api/v1/groups/${p.largeAdminGroup.groupId}/roles`);
    expect((groupRoles.json as { type: string; assignmentType: string }[]).map((r) => [r.type, r.assignmentType])).toContainEqual(['ORG_ADMIN', 'GROUP']);
    const clientRoles = await get(`/oauth2/v1/clients/${p.superAdminServiceApp}/roles`);
    expect((clientRoles.json as { type: string; assignmentType: string }[]).map((r) => [r.type, r.assignmentType])).toEqual([['SUPER_ADMIN', 'CLIENT']]);
    const custom = [...sim.org.roleAssignments.values()].find((r) => r.type === 'CUSTOM' && r.principalKind === 'user');
    const customRoles = await get(`/api/v1/users/${custom?.principalId}/roles`);
    expect((customRoles.json as Record<string, unknown>[]).find((r) => r.type === 'CUSTOM')).toMatchObject({ role: custom?.customRoleId, 'resource-set': custom?.resourceSetId });
    const iamRoles = await get('/api/v1/iam/roles');
    expect((iamRoles.json as { roles: unknown[] }).roles).toHaveLength(sim.org.customRoles.size);
    const sets = await get('/api/v1/iam/resource-sets');
    expect((sets.json as Record<string, unknown[]>)['resource-sets']).toHaveLength(sim.org.resourceSets.size);
    const assignees: string[] = [];
    let url: string | null = `${sim.url}/api/v1/iam/assignees/users?limit=3`;
    while (url) {
      const res = await httpGet(url, auth);
      const body = res.json as { value: { id: string }[]; _links?: { next?: { href: string } } };
      assignees.push(...body.value.map((v) => v.id));
      url = body._links?.next?.href ?? null;
    }
    // Users holding a role of their own or through a group (each entry links to a non-empty role list).
    const holders = new Set<string>();
    for (const r of sim.org.roleAssignments.values()) {
      if (r.principalKind === 'user') holders.add(r.principalId);
      if (r.principalKind === 'group') for (const u of sim.org.groupMembers.get(r.principalId) ?? []) holders.add(u);
    }
    expect(assignees).toEqual([...holders].sort());
  });

  it("lists a group's roles in its members' role lists as GROUP entries naming the group, after their own USER entries", async () => {
    type Entry = { id: string; type: string; assignmentType: string; _links: { assignee: { href: string } } };
    const groupRoles = [...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'group');
    // The generated org has a group holding HELP_DESK_ADMIN and APP_ADMIN (the case seen in real orgs).
    const helpDesk = [...new Set(groupRoles.map((r) => r.principalId))].find((g) =>
      ['HELP_DESK_ADMIN', 'APP_ADMIN'].every((t) => groupRoles.some((r) => r.principalId === g && r.type === t)),
    );
    if (!helpDesk) throw new Error('expected a group holding HELP_DESK_ADMIN and APP_ADMIN');
    const ownRoles = (userId: string) => [...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'user' && r.principalId === userId);
    const members = [...(sim.org.groupMembers.get(helpDesk) ?? [])];
    const groupOnly = members.find((u) => ownRoles(u).length === 0 && [...(sim.org.userGroups.get(u) ?? [])].filter((g) => groupRoles.some((r) => r.principalId === g)).length === 1);
    const mixed = members.find((u) => ownRoles(u).length > 0);
    if (!groupOnly || !mixed) throw new Error('expected a member holding roles only through the group, and one with roles of their own');

    const list = (await get(`/api/v1/users/${groupOnly}/roles`)).json as Entry[];
    const viaGroup = groupRoles.filter((r) => r.principalId === helpDesk);
    expect(list.map((r) => r.id).sort()).toEqual(viaGroup.map((r) => r.id).sort());
    expect(list.map((r) => r.type)).toEqual(expect.arrayContaining(['HELP_DESK_ADMIN', 'APP_ADMIN']));
    for (const r of list) {
      expect(r.assignmentType).toBe('GROUP');
      expect(r._links.assignee.href).toBe(`${sim.url}/api/v1/groups/${helpDesk}`);
    }

    const mixedList = (await get(`/api/v1/users/${mixed}/roles`)).json as Entry[];
    const own = ownRoles(mixed).length;
    expect(mixedList.slice(0, own).map((r) => r.assignmentType)).toEqual(Array(own).fill('USER'));
    expect(mixedList.slice(own).map((r) => r.assignmentType)).toEqual(Array(mixedList.length - own).fill('GROUP'));
    expect(mixedList.slice(own).map((r) => r.id)).toEqual(expect.arrayContaining(viaGroup.map((r) => r.id)));

    // The group's own list holds only its direct (GROUP) assignments.
    const ofGroup = (await get(`/api/v1/groups/${helpDesk}/roles`)).json as Entry[];
    expect(ofGroup.map((r) => r.id).sort()).toEqual(viaGroup.map((r) => r.id).sort());
  });

  it("counts a user's roles held through groups in privilege events: revoking the last own role of a role-group member is a grant", async () => {
    const own = await startOktaSim({ seed: 42, users: 120, now: NOW });
    try {
      const all = [...own.org.roleAssignments.values()];
      const roleGroups = new Set(all.filter((r) => r.principalKind === 'group').map((r) => r.principalId));
      const member = all.find(
        (r) => r.principalKind === 'user' && all.filter((x) => x.principalId === r.principalId).length === 1 && [...(own.org.userGroups.get(r.principalId) ?? [])].some((g) => roleGroups.has(g)),
      );
      if (!member) throw new Error('expected a user with one own role who is also a member of a role group');
      const inherited = all.filter((r) => r.principalKind === 'group' && own.org.userGroups.get(member.principalId)?.has(r.principalId)).map((r) => r.label);
      const { event } = own.mutate({ type: 'role.revoke', assignmentId: member.id });
      expect(event.eventType).toBe('user.account.privilege.grant');
      const granted = (event.debugContext as { debugData: { privilegeGranted: string } }).debugData.privilegeGranted;
      expect(granted.split(', ').sort()).toEqual([...inherited].sort());
    } finally {
      await own.close();
    }
  });

  it('serves factors and app users with GROUP scope for group assignments', async () => {
    const p = sim.planted;
    if (!p) throw new Error('expected planted posture cases');
    const factors = await get(`/api/v1/users/${p.smsOnlySuperAdmin}/factors`);
    expect((factors.json as { factorType: string; provider: string }[]).map((f) => [f.factorType, f.provider])).toEqual([['sms', 'OKTA']]);
    const { items } = await collectAll(`${sim.url}/api/v1/apps/${p.everyoneApp}/users?limit=500`, auth);
    const scopes = new Map(items.map((au) => [au.id as string, au.scope]));
    const active = [...sim.org.users.values()].filter((u) => u.status !== 'DEPROVISIONED');
    for (const u of active) expect(scopes.has(u.id)).toBe(true);
    expect([...scopes.values()]).toContain('GROUP');
  });

  it('keeps truth() consistent with what the API lists after random mutations', async () => {
    const events: OktaLogEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const m = sim.mutate();
      events.push(m.event);
      expect(m.envelope).toMatchObject({ version: '0', 'detail-type': 'SystemLog', source: sim.eventSource, resources: [], detail: m.event });
      expect(m.envelope.id).not.toBe(m.event.uuid);
      expect(m.envelope.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(m.event.published).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      for (const v of Object.values(m.event.debugContext.debugData)) expect(typeof v).toBe('string');
    }
    expect(new Set(events.map((e) => e.eventType)).size).toBeGreaterThan(5);

    const truth = sim.truth();
    const userNodes = truth.filter((l) => l.type === 'node' && l.kind === 'user').map((l) => (l.type === 'node' ? `${l.id}:${l.status}` : '')).sort();
    const listed = await collectAll(`${sim.url}/api/v1/users?search=${encodeURIComponent('id pr')}`, auth);
    expect(listed.items.map((u) => `${u.id}:${u.status}`).sort()).toEqual(userNodes);

    const memberEdges = truth.filter((l) => l.type === 'edge' && l.kind === 'member_of').map((l) => (l.type === 'edge' ? `${l.from}>${l.to}` : '')).sort();
    const listedMembers: string[] = [];
    const groups = await collectAll(`${sim.url}/api/v1/groups?limit=50`, auth);
    for (const g of groups.items) {
      const members = await collectAll(`${sim.url}/api/v1/groups/${String(g.id)}/users?limit=200`, auth);
      for (const u of members.items) listedMembers.push(`user:${String(u.id)}>group:${String(g.id)}`);
    }
    expect(listedMembers.sort()).toEqual(memberEdges);

    const appEdges = truth.filter((l) => l.type === 'edge' && l.kind === 'assigned_to' && l.from.startsWith('user:')).map((l) => (l.type === 'edge' ? `${l.from}>${l.to}:${String(l.scope)}` : '')).sort();
    const listedApps: string[] = [];
    const apps = await collectAll(`${sim.url}/api/v1/apps?limit=200`, auth);
    for (const a of apps.items) {
      const users = await collectAll(`${sim.url}/api/v1/apps/${String(a.id)}/users?limit=500`, auth);
      for (const u of users.items) listedApps.push(`user:${String(u.id)}>app:${String(a.id)}:${String(u.scope)}`);
    }
    expect(listedApps.sort()).toEqual(appEdges);
  });

  it('models deactivation, deletion and group app assignment side effects', async () => {
    const user = [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && [...sim.org.appUserAssignments.values()].some((m) => m.has(u.id)));
    if (!user) throw new Error('expected an active user with a direct app assignment');
    const groupsBefore = sim.org.userGroups.get(user.id)?.size ?? 0;
    const deactivated = sim.mutate({ type: 'user.deactivate', userId: user.id });
    expect(deactivated.event.eventType).toBe('user.lifecycle.deactivate');
    expect(deactivated.event.target?.map((t) => t.type)).toEqual(['User']);
    expect([...sim.org.appUserAssignments.values()].some((m) => m.has(user.id))).toBe(false);
    expect(sim.org.userGroups.get(user.id)?.size).toBe(groupsBefore);
    const deleted = sim.mutate({ type: 'user.delete', userId: user.id });
    expect(deleted.event.eventType).toBe('user.lifecycle.delete.initiated');
    expect(sim.org.users.has(user.id)).toBe(false);
    expect(sim.org.groupMembers.get(sim.org.everyoneGroupId)?.has(user.id)).toBe(false);
    expect((await get(`/api/v1/users/${user.id}`)).status).toBe(404);
    expect(() => sim.mutate({ type: 'user.delete', userId: user.id })).toThrow(/unknown user id/);

    const group = [...sim.org.groups.values()].find((g) => g.type === 'OKTA_GROUP' && (sim.org.groupMembers.get(g.id)?.size ?? 0) > 0 && (sim.org.groupMembers.get(g.id)?.size ?? 0) < 40);
    const app = [...sim.org.apps.values()].find((a) => !a.isServiceApp && group && !sim.org.appGroupAssignments.get(a.id)?.has(group.id));
    if (!group || !app) throw new Error('expected a group and an app');
    const assigned = sim.mutate({ type: 'app.group.assign', appId: app.id, groupId: group.id });
    expect(assigned.event.target?.map((t) => t.type)).toEqual(['UserGroup', 'AppInstance']);
    expect(assigned.event.transaction.type).toBe('JOB');
    const listed = await collectAll(`${sim.url}/api/v1/apps/${app.id}/users?limit=500`, auth);
    const member = [...(sim.org.groupMembers.get(group.id) ?? [])].find((id) => sim.org.users.get(id)?.status !== 'DEPROVISIONED' && !sim.org.appUserAssignments.get(app.id)?.has(id));
    expect(member, 'the group has a member not assigned to the app directly').toBeDefined();
    expect(listed.items.find((u) => u.id === member)?.scope).toBe('GROUP');

    const before = sim.org.groups.get(group.id)?.lastMembershipUpdated ?? '';
    const candidate = [...sim.org.users.values()].find((u) => !sim.org.groupMembers.get(group.id)?.has(u.id));
    const added = sim.mutate({ type: 'group.member.add', groupId: group.id, userId: candidate?.id ?? '' });
    expect(added.event.target?.map((t) => t.type)).toEqual(['User', 'UserGroup']);
    expect(added.event.target?.[1]?.alternateId).toBe('unknown');
    expect((sim.org.groups.get(group.id)?.lastMembershipUpdated ?? '') > before).toBe(true);
  });

  it('never dates a change before a response already sent (org generated in the past)', async () => {
    const res = await get('/api/v1/groups?limit=1');
    const sentAt = Date.parse(String(res.headers['date']));
    const before = Date.now();
    const m = sim.mutate({ type: 'user.create' });
    expect(Date.parse(m.event.published)).toBeGreaterThanOrEqual(sentAt);
    expect(Date.parse(m.event.published)).toBeGreaterThanOrEqual(before);
    const user = m.event.target?.[0]?.id as string;
    expect(sim.org.users.get(user)?.created).toBe(m.event.published);
  });

  it('polls the System Log with an always-present next link and returns new events in order', async () => {
    const since = new Date(NOW.getTime() - 7 * 86_400_000).toISOString();
    let url: string | null = `${sim.url}/api/v1/logs?since=${encodeURIComponent(since)}&limit=1000`;
    let emptyPageNext: string | null = null;
    for (let i = 0; i < 50 && url; i++) {
      const res = await httpGet(url, auth);
      expect(res.status).toBe(200);
      const next = nextLink(res.links);
      expect(next).not.toBeNull();
      if ((res.json as unknown[]).length === 0) { emptyPageNext = next; break; }
      url = next;
    }
    expect(emptyPageNext).not.toBeNull();
    const m = sim.mutate({ type: 'user.create', profile: { firstName: 'Polly', lastName: 'Poller' } });
    const after = await httpGet(emptyPageNext as string, auth);
    expect((after.json as OktaLogEvent[]).map((e) => e.uuid)).toEqual([m.event.uuid]);
    expect(nextLink(after.links)).not.toBeNull();
  });

  it('serves bounded and filtered System Log queries and rejects bad parameters', async () => {
    const since = new Date(NOW.getTime() - 30 * 86_400_000).toISOString();
    const until = new Date(NOW.getTime() - 20 * 86_400_000).toISOString();
    const expected = sim.org.events.filter((e) => e.published >= since && e.published < until && e.eventType === 'user.session.start').map((e) => e.uuid);
    const filter = encodeURIComponent('eventType eq "user.session.start"');
    const { items } = await collectAll(`${sim.url}/api/v1/logs?since=${since}&until=${until}&filter=${filter}&limit=25`, auth);
    expect(items.map((e) => e.uuid).sort()).toEqual([...expected].sort());
    const published = items.map((e) => String(e.published));
    expect(published).toEqual([...published].sort());
    const tooOld = await get(`/api/v1/logs?since=${new Date(NOW.getTime() - 200 * 86_400_000).toISOString()}`);
    expect(tooOld.status).toBe(400);
    expect(tooOld.json).toMatchObject({ errorCode: 'E0000053' });
    const publishedFilter = await get(`/api/v1/logs?filter=${encodeURIComponent('published gt "2026-01-01T00:00:00Z"')}`);
    expect(publishedFilter.status).toBe(400);
  });
});

describe('okta-sim rate limits, concurrency and faults', () => {
  let sim: OktaSim;
  beforeAll(async () => {
    sim = await startOktaSim({ seed: 7, users: 40, rateLimits: { users: 10 }, tokenShare: 0.5, concurrencyLimit: 2 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('limits each token to its share of the bucket and answers 429 E0000047 with reset headers', async () => {
    const a = { Authorization: `SSWS ${sim.apiToken}` };
    const statuses: number[] = [];
    let last = await httpGet(`${sim.url}/api/v1/users?limit=1`, a);
    statuses.push(last.status);
    expect(last.headers['x-rate-limit-limit']).toBe('10');
    expect(last.headers['x-rate-limit-remaining']).toBe('4');
    for (let i = 0; i < 5; i++) {
      last = await httpGet(`${sim.url}/api/v1/users?limit=1`, a);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last.json).toMatchObject({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' });
    expect(last.headers['x-rate-limit-remaining']).toBe('0');
    const reset = Number(last.headers['x-rate-limit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61);
    // Another token still has its own half of the bucket; other buckets are unaffected.
    const other = { Authorization: `SSWS ${sim.createApiToken({})}` };
    expect((await httpGet(`${sim.url}/api/v1/users?limit=1`, other)).status).toBe(200);
    expect((await httpGet(`${sim.url}/api/v1/groups?limit=1`, a)).status).toBe(200);
    const stats = sim.stats();
    expect(stats.throttled429).toBe(1);
    expect(stats.byBucket.users).toBe(7);
  });

  it('answers concurrency 429s with X-Rate-Limit-Limit 0', async () => {
    sim.setFaults({ latencyMs: 150 });
    sim.setRateLimitFactor(100);
    const token = { Authorization: `SSWS ${sim.createApiToken({})}` };
    const results = await Promise.all(Array.from({ length: 6 }, () => httpGet(`${sim.url}/api/v1/groups?limit=1`, token)));
    sim.setFaults({});
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    for (const r of limited) expect(r.headers['x-rate-limit-limit']).toBe('0');
    expect(sim.stats().concurrency429).toBe(limited.length);
  });

  it('injects 5xx, dropped connections and truncated bodies', async () => {
    const a = { Authorization: `SSWS ${sim.apiToken}` };
    sim.setFaults({ error5xxRate: 1 });
    const failed = await httpGet(`${sim.url}/api/v1/groups?limit=1`, a);
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ errorCode: 'E0000009' });
    sim.setFaults({ dropRate: 1 });
    await expect(httpGet(`${sim.url}/api/v1/groups?limit=1`, a)).rejects.toThrow();
    sim.setFaults({ truncateRate: 1 });
    const truncated = await httpGet(`${sim.url}/api/v1/groups?limit=1`, a);
    expect(truncated.status).toBe(200);
    expect(truncated.text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(truncated.text)).toThrow();
    sim.setFaults({});
    expect((await httpGet(`${sim.url}/api/v1/groups?limit=1`, a)).status).toBe(200);
  });
});

describe('okta-sim event timing', () => {
  it("answers with Okta's clock in the Date header and stamps changes with it when the host clock is skewed", async () => {
    for (const skew of [300, -300]) {
      const sim = await startOktaSim({ seed: 3, users: 30, clockSkewSeconds: skew, plantPosture: false });
      try {
        const before = Date.now();
        const res = await httpGet(`${sim.url}/api/v1/groups?limit=1`, { Authorization: `SSWS ${sim.apiToken}` });
        const after = Date.now();
        const date = Date.parse(String(res.headers['date']));
        // Whole seconds: the header of a response sent between before and after, shifted by the skew.
        expect(date).toBeGreaterThanOrEqual(Math.floor((before + skew * 1000) / 1000) * 1000);
        expect(date).toBeLessThanOrEqual(after + skew * 1000);
        const { event } = sim.mutate({ type: 'user.lock', userId: [...sim.org.users.values()].find((u) => u.status === 'ACTIVE')!.id });
        const published = Date.parse(event.published);
        expect(Math.abs(published - (Date.now() + skew * 1000))).toBeLessThan(2000);
      } finally {
        await sim.close();
      }
    }
  });

  it('publishes a change readAfterWriteLagSeconds before reads show it, in published order', async () => {
    const sim = await startOktaSim({ seed: 3, users: 30, readAfterWriteLagSeconds: 20, plantPosture: false });
    try {
      const group = [...sim.org.groups.values()].find((g) => g.type === 'OKTA_GROUP' && (sim.org.groupMembers.get(g.id)?.size ?? 0) >= 2)!;
      const [a, b] = [...sim.org.groupMembers.get(group.id)!];
      const first = sim.mutate({ type: 'group.member.remove', groupId: group.id, userId: a! });
      const second = sim.mutate({ type: 'group.member.remove', groupId: group.id, userId: b! });
      const res = await httpGet(`${sim.url}/api/v1/groups/${group.id}/users`, { Authorization: `SSWS ${sim.apiToken}` });
      const readAt = Date.parse(String(res.headers['date']));
      // The read already shows both removals although both were published ~20 s before it.
      expect((res.json as { id: string }[]).map((u) => u.id)).not.toContain(a);
      for (const m of [first, second]) {
        expect(readAt - Date.parse(m.event.published)).toBeGreaterThan(18_000);
        expect(readAt - Date.parse(m.event.published)).toBeLessThan(22_000);
      }
      expect(Date.parse(second.event.published)).toBeGreaterThan(Date.parse(first.event.published));
      expect(sim.org.groups.get(group.id)!.lastMembershipUpdated).toBe(second.event.published);
    } finally {
      await sim.close();
    }
  });
});
