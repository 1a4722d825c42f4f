import { describe, expect, it } from 'vitest';
import { ornTarget } from '@idgraph/normalize';
import { buildPrivilegeGraph, privilegeEdges, roleHolders, shortestPaths, type PrivilegeInput } from './index.js';

const user = (id: string) => ({ id, status: 'ACTIVE', label: `${id}@example.com` });
const group = (id: string, type = 'OKTA_GROUP') => ({ id, type, name: `${id} name` });
const app = (id: string, o: Partial<{ name: string; clientId: string | null; service: boolean; secret: boolean }> = {}) => ({
  id, name: o.name ?? 'oidc_client', label: id, clientId: o.clientId === undefined ? id : o.clientId, isServiceApp: o.service ?? false, hasClientSecret: o.secret ?? false,
});
const ra = (principalKind: 'user' | 'group' | 'app', principalId: string, roleId: string, resourceSetId: string | null = null) => ({
  principalKind, principalId, roleId, resourceSetId, assignmentId: `ra-${principalId}-${roleId}`,
});

/**
 * A small org with one of each path kind and each barrier case:
 * - sa (SUPER_ADMIN), oa via group admins (ORG_ADMIN);
 * - appadmin: APP_ADMIN targeted at bot (SUPER_ADMIN service app with a secret) and at slack apps;
 * - auditor: custom role (clientCredentials.read) on a set holding sync (ORG_ADMIN service app with a secret);
 * - token t1 of sa;
 * - gma: GROUP_MEMBERSHIP_ADMIN targeted at src and admins; rule src → admins;
 * - hd: HELP_DESK_ADMIN targeted at scope (plain1, sa); plain1 has no role.
 */
function org(): PrivilegeInput {
  return {
    users: ['sa', 'm1', 'm2', 'appadmin', 'auditor', 'gma', 'hd', 'plain1', 'plain2'].map(user),
    groups: [group('admins'), group('src'), group('scope'), group('imported', 'APP_GROUP'), group('everyone', 'BUILT_IN')],
    apps: [app('bot', { service: true, secret: true }), app('sync', { service: true, secret: true }), app('keyapp', { service: true }), app('slack1', { name: 'slack', clientId: null }), app('web', { secret: true })],
    memberships: [
      { userId: 'm1', groupId: 'admins' }, { userId: 'm2', groupId: 'admins' }, { userId: 'm2', groupId: 'src' },
      { userId: 'plain1', groupId: 'scope' }, { userId: 'sa', groupId: 'scope' },
      ...['sa', 'm1', 'm2', 'appadmin', 'auditor', 'gma', 'hd', 'plain1', 'plain2'].map((userId) => ({ userId, groupId: 'everyone' })),
    ],
    roleAssignments: [
      ra('user', 'sa', 'SUPER_ADMIN'),
      ra('group', 'admins', 'ORG_ADMIN'),
      ra('app', 'bot', 'SUPER_ADMIN'),
      ra('app', 'sync', 'ORG_ADMIN'),
      ra('user', 'appadmin', 'APP_ADMIN'),
      ra('user', 'auditor', 'cr0auditor', 'iamints'),
      ra('user', 'gma', 'GROUP_MEMBERSHIP_ADMIN'),
      ra('user', 'hd', 'HELP_DESK_ADMIN'),
    ],
    roleTargets: [
      { principalKind: 'user', principalId: 'appadmin', roleId: 'APP_ADMIN', targetKind: 'app', targetId: 'bot' },
      { principalKind: 'user', principalId: 'appadmin', roleId: 'APP_ADMIN', targetKind: 'catalog_app', targetId: 'slack' },
      { principalKind: 'user', principalId: 'gma', roleId: 'GROUP_MEMBERSHIP_ADMIN', targetKind: 'group', targetId: 'src' },
      { principalKind: 'user', principalId: 'gma', roleId: 'GROUP_MEMBERSHIP_ADMIN', targetKind: 'group', targetId: 'admins' },
      { principalKind: 'user', principalId: 'hd', roleId: 'HELP_DESK_ADMIN', targetKind: 'group', targetId: 'scope' },
    ],
    customRoles: [{ id: 'cr0auditor', label: 'OAuth Auditor', permissions: ['okta.apps.read', 'okta.apps.clientCredentials.read'] }],
    resourceSets: [{ id: 'iamints', label: 'Integrations', resources: ['orn:okta:idp:00o1:apps:oidc_client:sync', 'orn:okta:idp:00o1:apps:salesforce'].map(ornTarget) }],
    apiTokens: [{ id: 't1', name: 'Terraform', userId: 'sa' }, { id: 't2', name: 'Helper', userId: 'hd' }],
    groupRules: [
      { id: 'r1', name: 'Platform admins', status: 'ACTIVE', expression: 'isMemberOfAnyGroup("src")', targetGroupIds: ['admins'] },
      { id: 'r2', name: 'Off', status: 'INACTIVE', expression: 'isMemberOfAnyGroup("scope")', targetGroupIds: ['admins'] },
      { id: 'r3', name: 'By department', status: 'ACTIVE', expression: 'user.department=="IT"', targetGroupIds: ['scope'] },
    ],
  };
}

describe('roleHolders', () => {
  it('lists direct holders (via []), members through the group (via [group]) and service apps, sorted', () => {
    const g = buildPrivilegeGraph(org());
    expect(roleHolders(g, 'ORG_ADMIN')).toEqual([
      { principal: 'app:sync', role: 'ORG_ADMIN', resourceSet: null, via: [] },
      { principal: 'user:m1', role: 'ORG_ADMIN', resourceSet: null, via: ['group:admins'] },
      { principal: 'user:m2', role: 'ORG_ADMIN', resourceSet: null, via: ['group:admins'] },
    ]);
    expect(roleHolders(g, 'cr0auditor')).toEqual([{ principal: 'user:auditor', role: 'cr0auditor', resourceSet: 'iamints', via: [] }]);
    expect(roleHolders(g).map((h) => h.role)).toEqual(['APP_ADMIN', 'GROUP_MEMBERSHIP_ADMIN', 'HELP_DESK_ADMIN', 'ORG_ADMIN', 'ORG_ADMIN', 'ORG_ADMIN', 'SUPER_ADMIN', 'SUPER_ADMIN', 'cr0auditor']);
  });

  it('drops assignments of principals that are not in the graph', () => {
    const input = org();
    input.roleAssignments.push(ra('user', 'gone', 'SUPER_ADMIN'), ra('app', 'nope', 'SUPER_ADMIN'));
    expect(roleHolders(buildPrivilegeGraph(input), 'SUPER_ADMIN').map((h) => h.principal)).toEqual(['app:bot', 'user:sa']);
  });
});

describe('shortestPaths to Tier Zero', () => {
  const g = buildPrivilegeGraph(org());
  const sp = shortestPaths(g);
  const path = (ref: string) => sp.path(g.nodeOf(ref));

  it('through a group', () => {
    expect(path('user:m1')).toEqual({
      from: 'user:m1', to: 'role:ORG_ADMIN', length: 2,
      steps: [
        { from: 'user:m1', edge: 'MemberOf', to: 'group:admins' },
        { from: 'group:admins', edge: 'HasRole', to: 'role:ORG_ADMIN', grant: { principal: 'group:admins', role: 'ORG_ADMIN', resourceSet: null, assignmentId: 'ra-admins-ORG_ADMIN' } },
      ],
    });
  });

  it("an app admin reading a SUPER_ADMIN service app's secret (barrier exception), a custom role on a resource set", () => {
    expect(path('user:appadmin')?.steps.map((s) => `${s.edge}>${s.to}`)).toEqual(['ReadClientSecret>app:bot', 'HasRole>role:SUPER_ADMIN']);
    expect(path('user:appadmin')?.steps[0]?.grant).toEqual({ principal: 'user:appadmin', role: 'APP_ADMIN', resourceSet: null, assignmentId: 'ra-appadmin-APP_ADMIN' });
    expect(path('user:auditor')?.steps.map((s) => `${s.edge}>${s.to}`)).toEqual(['ReadClientSecret>app:sync', 'HasRole>role:ORG_ADMIN']);
    expect(path('user:auditor')?.steps[0]?.grant?.resourceSet).toBe('iamints');
  });

  it("an admin's API token, and a group rule into an admin group", () => {
    expect(path('api_token:t1')?.steps.map((s) => s.edge)).toEqual(['ApiTokenFor', 'HasRole']);
    expect(path('api_token:t2')).toBeNull();
    const gma = path('user:gma');
    expect(gma?.steps.map((s) => `${s.from} ${s.edge} ${s.to}`)).toEqual([
      'user:gma AddMember group:src',
      'group:src AddedByRule group:admins',
      'group:admins HasRole role:ORG_ADMIN',
    ]);
    expect(gma?.steps[1]?.rule).toEqual({ id: 'r1', name: 'Platform admins' });
  });

  it('applies the barrier: no AddMember into an admin group, no reset of an admin, no managing a privileged app', () => {
    const edges = new Set([...privilegeEdges(g)].map((e) => `${e.from} ${e.kind} ${e.to}`));
    expect(edges.has('user:gma AddMember group:src')).toBe(true);
    expect(edges.has('user:gma AddMember group:admins')).toBe(false);
    expect(edges.has('user:hd ResetPassword user:plain1')).toBe(true);
    expect(edges.has('user:hd ResetFactors user:plain1')).toBe(true);
    expect(edges.has('user:hd ResetPassword user:sa')).toBe(false);
    expect(edges.has('user:appadmin ReadClientSecret app:bot')).toBe(true);
    expect(edges.has('user:appadmin ManageApp app:bot')).toBe(false);
    expect(edges.has('user:appadmin ManageApp app:slack1')).toBe(true);
    // Not an app target; no secret; not an OKTA_GROUP.
    expect(edges.has('user:appadmin ManageApp app:web')).toBe(false);
    expect([...edges].some((e) => e.endsWith('ReadClientSecret app:keyapp'))).toBe(false);
    // ORG_ADMIN (a group) resets every user without a role, adds to OKTA_GROUPs without a role.
    expect(edges.has('group:admins ResetPassword user:plain2')).toBe(true);
    expect(edges.has('group:admins AddMember group:scope')).toBe(true);
    expect(edges.has('group:admins AddMember group:imported')).toBe(false);
    expect(edges.has('group:admins AddMember group:everyone')).toBe(false);
    // SUPER_ADMIN's edges are implied, not listed; inactive rules add no edge; attribute rules start at the rule.
    expect([...edges].some((e) => e.startsWith('user:sa Reset'))).toBe(false);
    expect(edges.has('group:scope AddedByRule group:admins')).toBe(false);
    expect(edges.has('group_rule:r3 AddedByRule group:scope')).toBe(true);
  });

  it('has no path from principals without one; lists paths shortest first', () => {
    expect(path('user:plain2')).toBeNull();
    expect(path('user:hd')).toBeNull();
    const all = [...sp.paths()];
    expect(all.map((p) => p.length)).toEqual([...all.map((p) => p.length)].sort((a, b) => a - b));
    expect(all.map((p) => p.from)).toEqual(expect.arrayContaining(['user:sa', 'app:bot', 'app:sync', 'group:admins', 'user:m1', 'user:m2', 'user:appadmin', 'user:auditor', 'user:gma', 'api_token:t1', 'group:src']));
    expect(all.map((p) => p.from)).not.toContain('group_rule:r3');
  });

  it('finds paths to any role, e.g. HELP_DESK_ADMIN', () => {
    const hd = shortestPaths(g, ['HELP_DESK_ADMIN']);
    expect(hd.path(g.nodeOf('api_token:t2'))?.to).toBe('role:HELP_DESK_ADMIN');
    // hd holds a role: nobody but a super admin may reset hd, so ORG_ADMIN members have no path to it.
    expect(hd.path(g.nodeOf('user:m1'))).toBeNull();
  });
});

describe('ornTarget (normalize) as the computation reads it', () => {
  it('reads users, groups, group members and apps; anything else is other', () => {
    expect(ornTarget('orn:okta:directory:00o1:users')).toEqual({ targetKind: 'all_users', targetId: null });
    expect(ornTarget('orn:okta:directory:00o1:users:00u1')).toEqual({ targetKind: 'user', targetId: '00u1' });
    expect(ornTarget('orn:okta:directory:00o1:groups')).toEqual({ targetKind: 'all_groups', targetId: null });
    expect(ornTarget('orn:okta:directory:00o1:groups:00g1')).toEqual({ targetKind: 'group', targetId: '00g1' });
    expect(ornTarget('orn:oktapreview:directory:00o1:groups:00g1:contained_resources')).toEqual({ targetKind: 'group_members', targetId: '00g1' });
    expect(ornTarget('orn:okta:idp:00o1:apps')).toEqual({ targetKind: 'all_apps', targetId: null });
    expect(ornTarget('orn:okta:idp:00o1:apps:slack')).toEqual({ targetKind: 'app_type', targetId: 'slack' });
    expect(ornTarget('orn:okta:idp:00o1:apps:slack:0oa1')).toEqual({ targetKind: 'app', targetId: '0oa1' });
    expect(ornTarget('orn:okta:directory:00o1:devices')).toEqual({ targetKind: 'other', targetId: null });
    expect(ornTarget('/api/v1/groups/00g1')).toEqual({ targetKind: 'other', targetId: null });
  });
});
