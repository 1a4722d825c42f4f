import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, importPKCS8 } from 'jose';
import { startOktaSim, type OktaSim } from './index.js';
import type { SimUser } from './model.js';
import { httpGet } from './testdata/http.js';

/** The write endpoints remediation actions use: Okta's answers, state changes, events, scopes and admin roles. */
describe('okta-sim write endpoints', () => {
  let sim: OktaSim;
  const ssws = (token: string) => ({ Authorization: `SSWS ${token}` });

  beforeAll(async () => {
    sim = await startOktaSim({ seed: 21, users: 120 });
  });
  afterAll(async () => {
    await sim.close();
  });

  const activeUser = (skip: ReadonlySet<string> = new Set()): SimUser => {
    // Not an admin directly nor through a group: its token would act with those roles.
    const holders = new Set([...sim.org.roleAssignments.values()].map((r) => r.principalId));
    const isAdmin = (id: string) => holders.has(id) || [...(sim.org.userGroups.get(id) ?? [])].some((g) => holders.has(g));
    const u = [...sim.org.users.values()].find((x) => x.status === 'ACTIVE' && !isAdmin(x.id) && !skip.has(x.id));
    if (!u) throw new Error('no ACTIVE non-admin user in the org');
    return u;
  };
  const lastEvent = () => sim.org.events[sim.org.events.length - 1]!;

  async function serviceAppToken(scopes: string[], roles: string[]): Promise<string> {
    const app = await sim.createServiceApp({ scopes, roles });
    const tokenUrl = `${sim.url}/oauth2/v1/token`;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: app.keyId })
      .setIssuer(app.clientId)
      .setSubject(app.clientId)
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(app.privateKeyPem, 'RS256'));
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: scopes.join(' '),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
    const res = await httpGet(tokenUrl, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', body);
    expect(res.status).toBe(200);
    return (res.json as { access_token: string }).access_token;
  }

  it('GET /api/v1/users/me returns the user the API token belongs to', async () => {
    expect(sim.apiTokenOwnerId).not.toBeNull();
    const me = await httpGet(`${sim.url}/api/v1/users/me`, ssws(sim.apiToken));
    expect(me.status).toBe(200);
    expect((me.json as { id: string }).id).toBe(sim.apiTokenOwnerId);
    const owner = activeUser();
    const token = sim.createApiToken({ ownerId: owner.id });
    expect(((await httpGet(`${sim.url}/api/v1/users/me`, ssws(token))).json as { id: string }).id).toBe(owner.id);
    const ownerless = sim.createApiToken({});
    expect((await httpGet(`${sim.url}/api/v1/users/me`, ssws(ownerless))).status).toBe(404);
  });

  it('lifecycle suspend / unsuspend / deactivate: 200 without a body, the new status, one event each, acted by the token owner', async () => {
    const u = activeUser();
    const before = sim.org.events.length;
    const suspend = await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/suspend`, ssws(sim.apiToken), 'POST');
    expect(suspend.status).toBe(200);
    expect(suspend.text).toBe('');
    expect(sim.org.users.get(u.id)?.status).toBe('SUSPENDED');
    expect(lastEvent()).toMatchObject({ eventType: 'user.lifecycle.suspend', target: [{ id: u.id, type: 'User' }], actor: { id: sim.apiTokenOwnerId, type: 'User' } });
    // Suspending again: only ACTIVE users can be; nothing changes.
    const again = await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/suspend`, ssws(sim.apiToken), 'POST');
    expect(again.status).toBe(400);
    expect((again.json as { errorCode: string }).errorCode).toBe('E0000001');
    expect((await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/unsuspend`, ssws(sim.apiToken), 'POST')).status).toBe(200);
    expect(sim.org.users.get(u.id)?.status).toBe('ACTIVE');
    expect(lastEvent().eventType).toBe('user.lifecycle.unsuspend');
    expect((await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/deactivate`, ssws(sim.apiToken), 'POST')).status).toBe(200);
    expect(sim.org.users.get(u.id)?.status).toBe('DEPROVISIONED');
    expect(lastEvent().eventType).toBe('user.lifecycle.deactivate');
    expect(sim.org.events.length).toBe(before + 3);
    // The change is visible through the API (caches keyed on the org version).
    expect(((await httpGet(`${sim.url}/api/v1/users/${u.id}`, ssws(sim.apiToken))).json as { status: string }).status).toBe('DEPROVISIONED');
  });

  it('DELETE /api/v1/users/{id} deactivates a user that is not DEPROVISIONED, and deletes one that is', async () => {
    const u = activeUser();
    const groups = [...(sim.org.userGroups.get(u.id) ?? [])];
    expect(groups.length).toBeGreaterThan(0);
    const first = await httpGet(`${sim.url}/api/v1/users/${u.id}`, ssws(sim.apiToken), 'DELETE');
    expect(first.status).toBe(204);
    expect(sim.org.users.get(u.id)?.status).toBe('DEPROVISIONED');
    expect(lastEvent().eventType).toBe('user.lifecycle.deactivate');
    const second = await httpGet(`${sim.url}/api/v1/users/${u.id}`, ssws(sim.apiToken), 'DELETE');
    expect(second.status).toBe(204);
    expect(sim.org.users.has(u.id)).toBe(false);
    for (const g of groups) expect(sim.org.groupMembers.get(g)?.has(u.id)).toBe(false);
    expect(lastEvent()).toMatchObject({ eventType: 'user.lifecycle.delete.initiated', target: [{ id: u.id }] });
    expect((await httpGet(`${sim.url}/api/v1/users/${u.id}`, ssws(sim.apiToken), 'DELETE')).status).toBe(404);
  });

  it('sessions, factor reset, group membership, app user and app group unassignment, role revocation', async () => {
    const u = [...sim.org.users.values()].find((x) => x.status === 'ACTIVE' && (sim.org.factors.get(x.id)?.length ?? 0) > 0)!;
    const sessions = await httpGet(`${sim.url}/api/v1/users/${u.id}/sessions`, ssws(sim.apiToken), 'DELETE');
    expect(sessions.status).toBe(204);
    expect(lastEvent()).toMatchObject({ eventType: 'user.session.clear', target: [{ id: u.id }] });
    expect((await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/reset_factors`, ssws(sim.apiToken), 'POST')).status).toBe(200);
    expect(sim.org.factors.get(u.id) ?? []).toEqual([]);
    expect(lastEvent().eventType).toBe('user.mfa.factor.reset_all');

    const group = [...sim.org.groups.values()].find((g) => g.type === 'OKTA_GROUP' && (sim.org.groupMembers.get(g.id)?.size ?? 0) > 0)!;
    const member = [...sim.org.groupMembers.get(group.id)!][0]!;
    expect((await httpGet(`${sim.url}/api/v1/groups/${group.id}/users/${member}`, ssws(sim.apiToken), 'DELETE')).status).toBe(204);
    expect(sim.org.groupMembers.get(group.id)?.has(member)).toBe(false);
    expect(lastEvent()).toMatchObject({ eventType: 'group.user_membership.remove', target: [{ id: member, type: 'User' }, { id: group.id, type: 'UserGroup' }] });
    const appGroup = [...sim.org.groups.values()].find((g) => g.type === 'APP_GROUP' && (sim.org.groupMembers.get(g.id)?.size ?? 0) > 0);
    // Generated orgs always hold app groups with members (imported from apps); Okta refuses to edit their membership.
    expect(appGroup).toBeDefined();
    const m = [...sim.org.groupMembers.get(appGroup!.id)!][0]!;
    expect((await httpGet(`${sim.url}/api/v1/groups/${appGroup!.id}/users/${m}`, ssws(sim.apiToken), 'DELETE')).status).toBe(400);

    const [appId, direct] = [...sim.org.appUserAssignments].find(([, m]) => m.size > 0)!;
    const assignedUser = [...direct.keys()][0]!;
    expect((await httpGet(`${sim.url}/api/v1/apps/${appId}/users/${assignedUser}`, ssws(sim.apiToken), 'DELETE')).status).toBe(204);
    expect(sim.org.appUserAssignments.get(appId)?.has(assignedUser)).toBe(false);
    expect(lastEvent()).toMatchObject({ eventType: 'application.user_membership.remove', target: [{ id: assignedUser, type: 'AppUser' }, { id: appId, type: 'AppInstance' }, { id: assignedUser, type: 'User' }] });
    expect((await httpGet(`${sim.url}/api/v1/apps/${appId}/users/${assignedUser}`, ssws(sim.apiToken), 'DELETE')).status).toBe(404);

    const [gAppId, groupsOfApp] = [...sim.org.appGroupAssignments].find(([, m]) => m.size > 0)!;
    const assignedGroup = [...groupsOfApp.keys()][0]!;
    expect((await httpGet(`${sim.url}/api/v1/apps/${gAppId}/groups/${assignedGroup}`, ssws(sim.apiToken), 'DELETE')).status).toBe(204);
    expect(sim.org.appGroupAssignments.get(gAppId)?.has(assignedGroup)).toBe(false);
    expect(lastEvent()).toMatchObject({ eventType: 'group.application_assignment.remove', target: [{ id: assignedGroup }, { id: gAppId }] });

    const role = [...sim.org.roleAssignments.values()].find((r) => r.principalKind === 'user' && r.type !== 'SUPER_ADMIN')!;
    const path = `${sim.url}/api/v1/users/${role.principalId}/roles/${role.id}`;
    expect((await httpGet(path, ssws(sim.apiToken), 'DELETE')).status).toBe(204);
    expect(sim.org.roleAssignments.has(role.id)).toBe(false);
    expect(lastEvent().eventType).toMatch(/^user\.account\.privilege\.(revoke|grant)$/);
    expect((await httpGet(path, ssws(sim.apiToken), 'DELETE')).status).toBe(404);

    const appRole = [...sim.org.roleAssignments.values()].find((r) => r.principalKind === 'app')!;
    expect((await httpGet(`${sim.url}/oauth2/v1/clients/${appRole.principalId}/roles/${appRole.id}`, ssws(sim.apiToken), 'DELETE')).status).toBe(204);
    expect(sim.org.roleAssignments.has(appRole.id)).toBe(false);
  });

  it("an API token acts with its owner's admin roles: a read-only admin is refused (403 E0000006), a help desk admin may reset factors but not deactivate", async () => {
    const readOnly = activeUser();
    sim.mutate({ type: 'role.grant.user', userId: readOnly.id, role: 'READ_ONLY_ADMIN' });
    const helpDesk = activeUser(new Set([readOnly.id]));
    sim.mutate({ type: 'role.grant.user', userId: helpDesk.id, role: 'HELP_DESK_ADMIN' });
    const victim = activeUser(new Set([readOnly.id, helpDesk.id]));
    const roToken = sim.createApiToken({ ownerId: readOnly.id });
    const hdToken = sim.createApiToken({ ownerId: helpDesk.id });
    const before = sim.org.events.length;

    const refused = await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/deactivate`, ssws(roToken), 'POST');
    expect(refused.status).toBe(403);
    expect((refused.json as { errorCode: string }).errorCode).toBe('E0000006');
    expect((await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/deactivate`, ssws(hdToken), 'POST')).status).toBe(403);
    expect(sim.org.users.get(victim.id)?.status).toBe('ACTIVE');
    expect(sim.org.events.length).toBe(before);
    // Reads stay allowed for the read-only admin.
    expect((await httpGet(`${sim.url}/api/v1/users/${victim.id}`, ssws(roToken))).status).toBe(200);

    expect((await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/reset_factors`, ssws(hdToken), 'POST')).status).toBe(200);
    expect(lastEvent()).toMatchObject({ eventType: 'user.mfa.factor.reset_all', actor: { id: helpDesk.id } });
  });

  it('a service app needs the write scope (403 insufficient_scope naming it) and an admin role that allows the write', async () => {
    const victim = activeUser();
    const readOnlyScopes = await serviceAppToken(['okta.users.read'], ['SUPER_ADMIN']);
    const noScope = await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/suspend`, { Authorization: `Bearer ${readOnlyScopes}` }, 'POST');
    expect(noScope.status).toBe(403);
    const challenge = String(noScope.headers['www-authenticate']);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="okta.users.manage"');

    const scopedButReadOnly = await serviceAppToken(['okta.users.manage'], ['READ_ONLY_ADMIN']);
    const byRole = await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/suspend`, { Authorization: `Bearer ${scopedButReadOnly}` }, 'POST');
    expect(byRole.status).toBe(403);
    expect(byRole.headers['www-authenticate']).toBeUndefined();
    expect(sim.org.users.get(victim.id)?.status).toBe('ACTIVE');

    const allowed = await serviceAppToken(['okta.users.manage'], ['ORG_ADMIN']);
    expect((await httpGet(`${sim.url}/api/v1/users/${victim.id}/lifecycle/suspend`, { Authorization: `Bearer ${allowed}` }, 'POST')).status).toBe(200);
    expect(lastEvent()).toMatchObject({ eventType: 'user.lifecycle.suspend', actor: { type: 'PublicClientApp' } });
    // okta.users.manage implies okta.users.read, but not okta.groups.manage.
    expect((await httpGet(`${sim.url}/api/v1/users/${victim.id}`, { Authorization: `Bearer ${allowed}` })).status).toBe(200);
    const g = [...sim.org.groups.values()].find((x) => x.type === 'OKTA_GROUP' && sim.org.groupMembers.get(x.id)?.has(victim.id));
    expect(g).toBeDefined();
    expect((await httpGet(`${sim.url}/api/v1/groups/${g!.id}/users/${victim.id}`, { Authorization: `Bearer ${allowed}` }, 'DELETE')).status).toBe(403);
  });

  it('answers 405 with the allowed methods to other methods', async () => {
    const u = activeUser();
    const put = await httpGet(`${sim.url}/api/v1/users/${u.id}/lifecycle/suspend`, ssws(sim.apiToken), 'PUT');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    const post = await httpGet(`${sim.url}/api/v1/groups`, ssws(sim.apiToken), 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });
});
