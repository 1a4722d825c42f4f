/**
 * The simulator's privilege model: the endpoints that expose what decides effective privilege
 * (custom role permissions, resource set contents, role targets, API tokens, client credentials,
 * group rules), the planted paths to Tier Zero and barrier cases, and the oracle over them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPrivilege, startOktaSim, TIER_ZERO_ROLES } from './index.js';
import type { OktaSim, PlantedPrivilege } from './index.js';
import { collectAll, httpGet } from './testdata/http.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

describe('okta-sim effective privilege', () => {
  let sim: OktaSim;
  let auth: Record<string, string>;
  let p: PlantedPrivilege;

  beforeAll(async () => {
    sim = await startOktaSim({ seed: 7, users: 150, now: NOW, rateLimitFactor: 100 });
    auth = { Authorization: `SSWS ${sim.apiToken}` };
    const planted = sim.planted?.privilege;
    if (!planted) throw new Error('expected the planted privilege cases');
    p = planted;
  });
  afterAll(async () => {
    await sim.close();
  });

  const get = (path: string, headers = auth) => httpGet(`${sim.url}${path}`, headers);
  const assignmentOf = (principalId: string, type: string) => {
    const a = [...sim.org.roleAssignments.values()].find((r) => r.principalId === principalId && r.type === type);
    if (!a) throw new Error(`no ${type} assignment of ${principalId}`);
    return a;
  };

  it('lists a custom role permissions and a resource set resources by ORN', async () => {
    const perms = await get(`/api/v1/iam/roles/${p.customRoleReadsSecret.roleId}/permissions`);
    expect(perms.status).toBe(200);
    expect(perms.links).toEqual([]);
    expect((perms.json as { permissions: { label: string }[] }).permissions.map((x) => x.label)).toEqual(['okta.apps.read', 'okta.apps.clientCredentials.read']);
    const byLabel = await get(`/api/v1/iam/roles/${encodeURIComponent('OAuth Auditor')}/permissions`);
    expect(byLabel.json).toEqual(perms.json);

    const res = await get(`/api/v1/iam/resource-sets/${p.customRoleReadsSecret.resourceSetId}/resources`);
    const body = res.json as { resources: { orn: string }[]; _links: Record<string, { href: string }> };
    expect(body.resources.map((r) => r.orn)).toEqual([
      `orn:okta:idp:00osim7:apps:oidc_client:${p.customRoleReadsSecret.appId}`,
      'orn:okta:idp:00osim7:apps:salesforce',
    ]);
    expect(body._links['resource-set']?.href).toBe(`${sim.url}/api/v1/iam/resource-sets/${p.customRoleReadsSecret.resourceSetId}`);
    // The support set names the users of three groups.
    const support = [...sim.org.resourceSets.values()].find((s) => s.label === 'Support scope');
    const supportRes = await get(`/api/v1/iam/resource-sets/${support?.id}/resources?limit=2`);
    const page = supportRes.json as { resources: { orn: string }[]; _links: { next?: { href: string } } };
    expect(page.resources).toHaveLength(2);
    expect(page.resources[0]?.orn).toMatch(/^orn:okta:directory:00osim7:groups:00g\w+:contained_resources$/);
    const rest = await httpGet(page._links.next?.href as string, auth);
    expect((rest.json as { resources: unknown[] }).resources).toHaveLength(1);
    expect((await get('/api/v1/iam/roles/cr0nope/permissions')).status).toBe(404);
  });

  it('lists role targets of users, groups and service apps; [] when not scoped; 400 for a role without targets of that kind', async () => {
    const memberAdmin = assignmentOf(p.ruleIntoAdminGroup.memberAdminId, 'GROUP_MEMBERSHIP_ADMIN');
    const { items: groups, pages: groupPages } = await collectAll(`${sim.url}/api/v1/users/${memberAdmin.principalId}/roles/${memberAdmin.id}/targets/groups?limit=1`, auth);
    expect(groupPages).toBe(2);
    expect(groups.map((g) => (g as { id: string }).id).sort()).toEqual([p.ruleIntoAdminGroup.conditionGroupId, p.ruleIntoAdminGroup.targetGroupId].sort());
    const appAdmin = assignmentOf(p.appAdminReadsSecret.userId, 'APP_ADMIN');
    const apps = (await get(`/api/v1/users/${appAdmin.principalId}/roles/${appAdmin.id}/targets/catalog/apps`)).json as { name: string; id?: string }[];
    expect(apps).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'oidc_client', id: p.appAdminReadsSecret.appId }),
      expect.objectContaining({ name: 'slack' }),
    ]));
    expect(apps.find((a) => a.name === 'slack')).not.toHaveProperty('id');
    const wrongKind = await get(`/api/v1/users/${appAdmin.principalId}/roles/${appAdmin.id}/targets/groups`);
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json).toMatchObject({ errorCode: 'E0000091' });
    // An assignment of another principal is not found under this one.
    expect((await get(`/api/v1/users/${p.barrier.helpDesk.userId}/roles/${appAdmin.id}/targets/catalog/apps`)).status).toBe(404);
    // Group and service-app assignments answer too (here unscoped: []).
    const groupAssignment = [...sim.org.roleAssignments.values()].find((r) => r.principalKind === 'group' && r.type === 'HELP_DESK_ADMIN');
    if (!groupAssignment) throw new Error('expected a group holding HELP_DESK_ADMIN');
    expect((await get(`/api/v1/groups/${groupAssignment.principalId}/roles/${groupAssignment.id}/targets/groups`)).json).toEqual([]);
    const appRole = [...sim.org.roleAssignments.values()].find((r) => r.principalKind === 'app' && r.type === 'READ_ONLY_ADMIN');
    expect((await get(`/oauth2/v1/clients/${appRole?.principalId}/roles/${appRole?.id}/targets/groups`)).status).toBe(400);
  });

  it('lists API token metadata (never a token), each with its owner; other admins see only their own', async () => {
    const res = await get('/api/v1/api-tokens');
    const tokens = res.json as { id: string; userId: string; name: string }[];
    expect(tokens.map((t) => t.id).sort()).toEqual([...sim.org.apiTokens.keys()].sort());
    expect(tokens).toContainEqual(expect.objectContaining({ id: p.adminToken.tokenId, userId: p.adminToken.ownerId, name: 'Terraform' }));
    expect(res.text).not.toContain(sim.apiToken);
    // A help desk admin's token sees only the tokens that admin created.
    const own = sim.createApiToken({ ownerId: p.barrier.helpDesk.userId });
    const mine = (await get('/api/v1/api-tokens', { Authorization: `SSWS ${own}` })).json as { userId: string }[];
    expect(mine.length).toBe(1);
    expect(mine[0]?.userId).toBe(p.barrier.helpDesk.userId);
    expect(JSON.stringify(mine)).not.toContain(own);
  });

  it("lists an OAuth client's secrets and keys; only OAuth clients have them", async () => {
    const secrets = (await get(`/api/v1/apps/${p.appAdminReadsSecret.appId}/credentials/secrets`)).json as { id: string; status: string; client_secret: string }[];
    expect(secrets).toEqual([expect.objectContaining({ status: 'ACTIVE' })]);
    expect(secrets[0]?.client_secret.length).toBeGreaterThan(20);
    const siem = [...sim.org.apps.values()].find((a) => a.label === 'SIEM Collector');
    expect((await get(`/api/v1/apps/${siem?.id}/credentials/jwks`)).json).toEqual([expect.objectContaining({ kty: 'RSA', use: 'sig', status: 'ACTIVE' })]);
    expect((await get(`/api/v1/apps/${siem?.id}/credentials/secrets`)).json).toEqual([]);
    const saml = [...sim.org.apps.values()].find((a) => a.signOnMode === 'SAML_2_0');
    expect((await get(`/api/v1/apps/${saml?.id}/credentials/secrets`)).status).toBe(404);
    const app = (await get(`/api/v1/apps/${p.appAdminReadsSecret.appId}`)).json as { credentials: { oauthClient: { token_endpoint_auth_method: string } } };
    expect(app.credentials.oauthClient.token_endpoint_auth_method).toBe('client_secret_basic');
  });

  it('lists group rules with their expressions and target groups, paged', async () => {
    const { items: rules, pages: rulePages } = await collectAll(`${sim.url}/api/v1/groups/rules?limit=1`, auth);
    expect(rulePages).toBe(rules.length);
    expect(rules.map((r) => (r as { id: string }).id)).toEqual([...sim.org.groupRules.keys()].sort());
    expect(rules).toContainEqual(expect.objectContaining({
      id: p.ruleIntoAdminGroup.ruleId,
      status: 'ACTIVE',
      type: 'group_rule',
      conditions: expect.objectContaining({ expression: { value: `isMemberOfAnyGroup("${p.ruleIntoAdminGroup.conditionGroupId}")`, type: 'urn:okta:expression:1.0' } }),
      actions: { assignUserToGroups: { groupIds: [p.ruleIntoAdminGroup.targetGroupId] } },
    }));
  });

  it('plants one path of each kind to Tier Zero and the barrier cases (the oracle)', () => {
    const x = expectedPrivilege(sim.org);
    const has = (from: string, kind: string, to: string): boolean => x.edges.has(`${from}|${kind}|${to}`);
    const dist = x.distances(TIER_ZERO_ROLES);
    const superApp = `app:${p.appAdminReadsSecret.appId}`;
    // Through a group.
    const member = [...(sim.org.groupMembers.get(p.viaGroup.groupId) ?? [])][0] as string;
    expect(has(`user:${member}`, 'MemberOf', `group:${p.viaGroup.groupId}`) && has(`group:${p.viaGroup.groupId}`, 'HasRole', 'role:ORG_ADMIN')).toBe(true);
    // A service app with SUPER_ADMIN whose secret an app admin can read.
    expect(has(`user:${p.appAdminReadsSecret.userId}`, 'ReadClientSecret', superApp)).toBe(true);
    expect(has(superApp, 'HasRole', 'role:SUPER_ADMIN')).toBe(true);
    expect(dist.get(`user:${p.appAdminReadsSecret.userId}`)).toBe(2);
    // A custom role on a resource set.
    expect(has(`user:${p.customRoleReadsSecret.userId}`, 'ReadClientSecret', `app:${p.customRoleReadsSecret.appId}`)).toBe(true);
    expect(dist.get(`user:${p.customRoleReadsSecret.userId}`)).toBe(2);
    // An admin's API token.
    expect(dist.get(`api_token:${p.adminToken.tokenId}`)).toBe(2);
    // A group rule into an admin group, fed by a group a membership admin may add to.
    const r = p.ruleIntoAdminGroup;
    expect(has(`user:${r.memberAdminId}`, 'AddMember', `group:${r.conditionGroupId}`)).toBe(true);
    expect(has(`group:${r.conditionGroupId}`, 'AddedByRule', `group:${r.targetGroupId}`)).toBe(true);
    expect(dist.get(`user:${r.memberAdminId}`)).toBe(3);
    // Barrier: no AddMember on the admin group, no reset of the super admin, no managing the privileged app.
    expect(has(`user:${r.memberAdminId}`, 'AddMember', `group:${r.targetGroupId}`)).toBe(false);
    const hd = p.barrier.helpDesk;
    expect(has(`user:${hd.userId}`, 'ResetPassword', `user:${hd.protectedUserId}`)).toBe(false);
    const scoped = [...(sim.org.groupMembers.get(hd.groupId) ?? [])].filter((u) => u !== hd.protectedUserId);
    for (const u of scoped) expect(has(`user:${hd.userId}`, 'ResetPassword', `user:${u}`)).toBe(true);
    expect(has(`user:${p.appAdminReadsSecret.userId}`, 'ManageApp', superApp)).toBe(false);
    // The role held only through a large group.
    const apiHolders = x.holders.filter((h) => h.role === 'API_ACCESS_MANAGEMENT_ADMIN');
    expect(apiHolders.length).toBeGreaterThan(25);
    expect(apiHolders.every((h) => h.via.length === 1 && h.via[0] === `group:${p.roleOnlyViaLargeGroup.groupId}`)).toBe(true);
  });

  it("removes a user's API tokens when the user is deactivated", () => {
    const owner = [...sim.org.apiTokens.values()].find((t) => t.name === 'Automation')?.userId as string;
    sim.mutate({ type: 'user.deactivate', userId: owner });
    expect([...sim.org.apiTokens.values()].some((t) => t.userId === owner)).toBe(false);
  });
});
