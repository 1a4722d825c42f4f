import { describe, expect, it } from 'vitest';
import { expectedFindings, type ExpectedFindingsThresholds } from './expected-findings.js';
import type { FactorType, SimOrgState, SimRoleAssignment, SimUser, StandardRoleType, UserStatus } from './model.js';

const NOW = new Date('2025-06-01T00:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number): string => new Date(NOW.getTime() - days * DAY).toISOString();
const T: ExpectedFindingsThresholds = {
  superAdminMax: 2, adminInactiveDays: 30, adminGroupMaxMembers: 2, superAdminMinFactors: 2, adminPasswordMaxAgeDays: 180,
  userInactiveDays: 90, neverSignedInDays: 30, userPasswordMaxAgeDays: 365, provisionedMaxDays: 30,
};

/** A tiny org built by hand; only the fields the oracle reads matter. */
class OrgBuilder {
  readonly org: SimOrgState = {
    orgUrl: 'http://127.0.0.1:4010', subdomain: 'sim1', now: NOW, users: new Map(), groups: new Map(), everyoneGroupId: 'g_every',
    apps: new Map(), groupMembers: new Map(), userGroups: new Map(), factors: new Map(), appUserAssignments: new Map(),
    appGroupAssignments: new Map(), roleAssignments: new Map(), customRoles: new Map(), resourceSets: new Map(), apiTokens: new Map(), groupRules: new Map(), events: [], version: 0,
  };
  private seq = 0;
  constructor() {
    this.group('g_every', 'BUILT_IN');
  }
  user(id: string, o: Partial<{ status: UserStatus; lastLoginDays: number | null; createdDays: number; passwordDays: number | null; provider: 'OKTA' | 'ACTIVE_DIRECTORY'; statusChangedDays: number }> = {}): string {
    const u: SimUser = {
      id, status: o.status ?? 'ACTIVE', created: ago(o.createdDays ?? 500), activated: ago(o.createdDays ?? 500),
      statusChanged: o.statusChangedDays === undefined ? null : ago(o.statusChangedDays),
      lastLogin: o.lastLoginDays === null ? null : ago(o.lastLoginDays ?? 1), lastUpdated: ago(1),
      passwordChanged: o.passwordDays === null ? null : ago(o.passwordDays ?? 10),
      profile: { firstName: id, lastName: id, email: `${id}@x`, login: `${id}@x`, mobilePhone: null, secondEmail: null, department: null, title: null },
      credentialProvider: { type: o.provider ?? 'OKTA', name: 'OKTA' }, typeId: 'oty1',
    };
    this.org.users.set(id, u);
    this.member(id, 'g_every');
    return id;
  }
  factor(userId: string, factorType: FactorType, status: 'ACTIVE' | 'PENDING_ACTIVATION' = 'ACTIVE'): void {
    const list = this.org.factors.get(userId) ?? [];
    list.push({ id: `f${++this.seq}`, userId, factorType, provider: 'OKTA', vendorName: 'OKTA', status, created: ago(5), lastUpdated: ago(5), profile: {} });
    this.org.factors.set(userId, list);
  }
  group(id: string, type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN' = 'OKTA_GROUP'): string {
    this.org.groups.set(id, { id, type, created: ago(100), lastUpdated: ago(100), lastMembershipUpdated: ago(100), name: id, description: null, sourceAppId: null });
    this.org.groupMembers.set(id, new Set());
    return id;
  }
  member(userId: string, groupId: string): void {
    this.org.groupMembers.get(groupId)?.add(userId);
    const set = this.org.userGroups.get(userId) ?? new Set<string>();
    set.add(groupId);
    this.org.userGroups.set(userId, set);
  }
  app(id: string, o: Partial<{ status: 'ACTIVE' | 'INACTIVE'; service: boolean; clientId: string }> = {}): string {
    this.org.apps.set(id, {
      id, name: 'x', label: id, status: o.status ?? 'ACTIVE', signOnMode: 'OPENID_CONNECT', created: ago(100), lastUpdated: ago(100),
      isServiceApp: o.service ?? false, clientId: o.clientId ?? null, clientSecrets: [], jwks: [],
    });
    this.org.appUserAssignments.set(id, new Map());
    this.org.appGroupAssignments.set(id, new Map());
    return id;
  }
  assignUser(appId: string, userId: string): void {
    this.org.appUserAssignments.get(appId)?.set(userId, { appId, userId, status: 'ACTIVE', created: ago(5), lastUpdated: ago(5) });
  }
  assignGroup(appId: string, groupId: string): void {
    this.org.appGroupAssignments.get(appId)?.set(groupId, { appId, groupId, priority: 0, lastUpdated: ago(5) });
  }
  role(kind: SimRoleAssignment['principalKind'], principalId: string, type: StandardRoleType | 'CUSTOM'): void {
    const id = `ra${++this.seq}`;
    this.org.roleAssignments.set(id, {
      id, principalKind: kind, principalId, type, customRoleId: type === 'CUSTOM' ? 'cr0x' : null, resourceSetId: type === 'CUSTOM' ? 'iamx' : null,
      label: type, status: 'ACTIVE', created: ago(5), lastUpdated: ago(5), groupTargets: [], appTargets: [],
    });
  }
}

describe('expectedFindings (the posture oracle)', () => {
  it('evaluates every check over a hand-built org, including group-granted admins', () => {
    const b = new OrgBuilder();
    b.factor(b.user('ok'), 'webauthn');
    b.factor('ok', 'push');
    b.factor(b.user('nomfa'), 'push', 'PENDING_ACTIVATION');
    b.factor(b.user('weak'), 'sms');
    b.factor('weak', 'question');
    b.factor(b.user('stale', { lastLoginDays: 91, passwordDays: 366 }), 'push');
    b.factor(b.user('never', { lastLoginDays: null, createdDays: 31 }), 'push');
    b.user('locked', { status: 'LOCKED_OUT' });
    b.user('prov', { status: 'PROVISIONED', statusChangedDays: 31 });
    b.user('deprov', { status: 'DEPROVISIONED' });
    b.user('susp', { status: 'SUSPENDED' });
    // Admins: super1 direct; super2 + super3 through a group of 3 (> 2 members) that also holds a SUSPENDED member.
    b.factor(b.user('super1'), 'sms');
    b.role('user', 'super1', 'SUPER_ADMIN');
    const admins = b.group('g_admins');
    b.role('group', admins, 'SUPER_ADMIN');
    for (const id of ['super2', 'super3']) {
      b.user(id, { lastLoginDays: 40, passwordDays: 200 });
      b.factor(id, 'webauthn');
      b.factor(id, 'push');
      b.member(id, admins);
    }
    b.member('susp', admins);
    const adGroup = b.group('g_ad', 'APP_GROUP');
    b.role('group', adGroup, 'CUSTOM');
    b.app('app1');
    b.assignUser('app1', 'deprov');
    b.assignGroup(b.app('app_every'), 'g_every');
    b.assignGroup(b.app('app_off', { status: 'INACTIVE' }), 'g_every');
    b.app('svc', { service: true, clientId: 'cli1' });
    b.role('app', 'cli1', 'ORG_ADMIN');
    b.app('svc_reader', { service: true, clientId: 'cli2' });
    b.role('app', 'cli2', 'READ_ONLY_ADMIN');
    // Privilege: svc's client secret is readable by read-only admins; super1 owns an API token; a rule
    // feeds the admin group; REPORT_ADMIN is held only through the admin group (3 > 2 members).
    b.org.apps.get('svc')?.clientSecrets.push({ id: 'ocs1', status: 'ACTIVE', created: ago(5), lastUpdated: ago(5) });
    b.org.apiTokens.set('00T1', { id: '00T1', name: 'Terraform', userId: 'super1', clientName: 'Okta API', created: ago(5), lastUpdated: ago(5), expiresAt: ago(-25), tokenWindow: 'P30D' });
    b.org.groupRules.set('0pr1', { id: '0pr1', name: 'IT admins', status: 'ACTIVE', created: ago(5), lastUpdated: ago(5), expression: 'user.department=="IT"', excludedUserIds: [], targetGroupIds: [admins] });
    b.role('group', admins, 'REPORT_ADMIN');

    expect(expectedFindings(b.org, T, NOW)).toEqual({
      'mfa.none': ['user:nomfa'], // locked/prov/deprov/susp have no factors either, but are not ACTIVE
      'mfa.weak_only': ['user:super1', 'user:weak'],
      'admin.no_phishing_resistant_mfa': ['user:super1'],
      'admin.super_admin_count': ['org:127.0.0.1:4010'],
      'admin.inactive': ['user:super2', 'user:super3'],
      'admin.via_large_group': ['group:g_admins'],
      'admin.service_app_privileged': ['app:svc'],
      'admin.single_factor': ['user:super1'],
      'admin.password_stale': ['user:super2', 'user:super3'],
      'user.inactive': ['user:stale'],
      'user.never_signed_in': ['user:never'],
      'user.deprovisioned_with_access': ['user:deprov', 'user:susp'],
      'user.password_stale': ['user:stale'],
      'user.locked_out': ['user:locked'],
      'app.assigned_to_everyone': ['app:app_every'],
      'admin.sms_voice_factor': ['user:super1'],
      'admin.role_via_app_group': ['group:g_ad'],
      'user.provisioned_not_activated': ['user:prov'],
      'app.inactive_with_assignments': ['app:app_off'],
      'privilege.path_to_tier_zero': ['app:svc_reader'],
      'privilege.credential_super_admin': ['api_token:00T1'],
      'privilege.role_only_via_large_group': ['role:REPORT_ADMIN'],
      'privilege.admin_via_group_rule': ['group_rule:0pr1'],
    });
  });

  it('applies thresholds and reports ACTIVE users without factors', () => {
    const b = new OrgBuilder();
    b.user('bare');
    b.user('a1');
    b.role('user', 'a1', 'SUPER_ADMIN');
    const got = expectedFindings(b.org, { ...T, superAdminMax: 0, superAdminMinFactors: 0 }, NOW);
    expect(got['mfa.none']).toEqual(['user:a1', 'user:bare']);
    expect(got['admin.super_admin_count']).toEqual(['org:127.0.0.1:4010']);
    expect(got['admin.single_factor']).toEqual([]);
    expect(expectedFindings(b.org, T, NOW)['admin.super_admin_count']).toEqual([]);
  });
});
