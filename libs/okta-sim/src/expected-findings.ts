/**
 * The posture oracle: which findings each posture check SHOULD produce for this simulated org,
 * computed directly from the in-memory model in plain JavaScript. It deliberately shares no code
 * with @idgraph/posture (which answers the same questions in SQL over the collected graph), so a
 * test comparing the two catches mistakes on either side.
 *
 * Definitions (the same as posture's):
 * - effective roles of a user = role assignments naming the user, plus those naming a group the
 *   user is a member of; admin checks consider holders that are not DEPROVISIONED or SUSPENDED;
 * - "no sign-in for N days" = lastLogin before now − N days, or never signed in and created before it;
 * - "Okta-managed password" = credential provider OKTA;
 * - the org-level finding's subject is `org:<host of the org URL>`.
 */
import { expectedPrivilege, TIER_ZERO_ROLES } from './expected-privilege.js';
import type { SimOrgState, SimUser } from './model.js';

/** Posture thresholds (structurally the same as @idgraph/posture's PostureThresholds). */
export interface ExpectedFindingsThresholds {
  superAdminMax: number;
  adminInactiveDays: number;
  adminGroupMaxMembers: number;
  superAdminMinFactors: number;
  adminPasswordMaxAgeDays: number;
  userInactiveDays: number;
  neverSignedInDays: number;
  userPasswordMaxAgeDays: number;
  provisionedMaxDays: number;
}

/** check id → sorted `KIND:ID` subjects (every check present, empty arrays included). */
export type ExpectedFindings = Record<string, string[]>;

const DAY_MS = 86_400_000;
const WEAK = new Set(['sms', 'call', 'email', 'question']);
const PHISHING_RESISTANT = new Set(['webauthn', 'signed_nonce']);
const PHONE = new Set(['sms', 'call']);

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

function activeFactorTypes(org: SimOrgState, userId: string): string[] {
  return (org.factors.get(userId) ?? []).filter((f) => f.status === 'ACTIVE').map((f) => f.factorType);
}

/** userId → role ids (standard type or custom role id) held directly or through groups. */
function effectiveRoles(org: SimOrgState): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (userId: string, role: string): void => {
    if (!org.users.has(userId)) return;
    let set = out.get(userId);
    if (!set) out.set(userId, (set = new Set()));
    set.add(role);
  };
  for (const a of org.roleAssignments.values()) {
    const role = a.type === 'CUSTOM' ? (a.customRoleId ?? 'CUSTOM') : a.type;
    if (a.principalKind === 'user') add(a.principalId, role);
    else if (a.principalKind === 'group' && org.groups.has(a.principalId)) {
      for (const userId of org.groupMembers.get(a.principalId) ?? []) add(userId, role);
    }
  }
  return out;
}

function neverOrBefore(u: SimUser, cutoff: number): boolean {
  const last = ms(u.lastLogin);
  if (last !== null) return last < cutoff;
  const created = ms(u.created);
  return created !== null && created < cutoff;
}

export function expectedFindings(org: SimOrgState, t: ExpectedFindingsThresholds, now: Date): ExpectedFindings {
  const nowMs = now.getTime();
  const daysAgo = (days: number): number => nowMs - days * DAY_MS;
  const users = [...org.users.values()];
  const active = users.filter((u) => u.status === 'ACTIVE');
  const roles = effectiveRoles(org);
  const admins = users.filter((u) => roles.has(u.id) && u.status !== 'DEPROVISIONED' && u.status !== 'SUSPENDED');
  const superAdmins = admins.filter((u) => roles.get(u.id)?.has('SUPER_ADMIN'));
  const userSubjects = (list: SimUser[]): string[] => list.map((u) => `user:${u.id}`);
  const groupsWithRole = new Set(
    [...org.roleAssignments.values()].filter((a) => a.principalKind === 'group').map((a) => a.principalId),
  );
  const directlyAssigned = new Set<string>();
  for (const [appId, byUser] of org.appUserAssignments) {
    if (!org.apps.has(appId)) continue;
    for (const userId of byUser.keys()) directlyAssigned.add(userId);
  }

  const out: ExpectedFindings = {
    'mfa.none': userSubjects(active.filter((u) => activeFactorTypes(org, u.id).length === 0)),
    'mfa.weak_only': userSubjects(
      active.filter((u) => {
        const types = activeFactorTypes(org, u.id);
        return types.length > 0 && types.every((x) => WEAK.has(x));
      }),
    ),
    'admin.no_phishing_resistant_mfa': userSubjects(
      admins.filter((u) => !activeFactorTypes(org, u.id).some((x) => PHISHING_RESISTANT.has(x))),
    ),
    'admin.super_admin_count':
      superAdmins.length > t.superAdminMax ? [`org:${new URL(org.orgUrl).host.toLowerCase()}`] : [],
    'admin.inactive': userSubjects(admins.filter((u) => neverOrBefore(u, daysAgo(t.adminInactiveDays)))),
    'admin.via_large_group': [...org.groups.values()]
      .filter((g) => groupsWithRole.has(g.id))
      .filter((g) => [...(org.groupMembers.get(g.id) ?? [])].filter((id) => org.users.has(id)).length > t.adminGroupMaxMembers)
      .map((g) => `group:${g.id}`),
    'admin.service_app_privileged': [...org.apps.values()]
      .filter((a) => a.isServiceApp)
      .filter((a) =>
        [...org.roleAssignments.values()].some(
          (r) =>
            r.principalKind === 'app' &&
            (r.principalId === a.clientId || r.principalId === a.id) &&
            (r.type === 'SUPER_ADMIN' || r.type === 'ORG_ADMIN'),
        ),
      )
      .map((a) => `app:${a.id}`),
    'admin.single_factor': userSubjects(superAdmins.filter((u) => activeFactorTypes(org, u.id).length < t.superAdminMinFactors)),
    'admin.password_stale': userSubjects(
      admins.filter((u) => {
        const changed = ms(u.passwordChanged);
        return u.credentialProvider.type === 'OKTA' && changed !== null && changed < daysAgo(t.adminPasswordMaxAgeDays);
      }),
    ),
    'user.inactive': userSubjects(active.filter((u) => neverOrBefore(u, daysAgo(t.userInactiveDays)))),
    'user.never_signed_in': userSubjects(
      active.filter((u) => u.lastLogin === null && Date.parse(u.created) < daysAgo(t.neverSignedInDays)),
    ),
    'user.deprovisioned_with_access': userSubjects(
      users.filter((u) => (u.status === 'DEPROVISIONED' || u.status === 'SUSPENDED') && (directlyAssigned.has(u.id) || roles.has(u.id))),
    ),
    'user.password_stale': userSubjects(
      active.filter((u) => {
        const changed = ms(u.passwordChanged);
        return u.credentialProvider.type === 'OKTA' && changed !== null && changed < daysAgo(t.userPasswordMaxAgeDays);
      }),
    ),
    'user.locked_out': userSubjects(users.filter((u) => u.status === 'LOCKED_OUT')),
    'app.assigned_to_everyone': [...org.apps.values()]
      .filter((a) => a.status === 'ACTIVE' && org.appGroupAssignments.get(a.id)?.has(org.everyoneGroupId))
      .map((a) => `app:${a.id}`),
    'admin.sms_voice_factor': userSubjects(admins.filter((u) => activeFactorTypes(org, u.id).some((x) => PHONE.has(x)))),
    'admin.role_via_app_group': [...org.groups.values()]
      .filter((g) => g.type === 'APP_GROUP' && groupsWithRole.has(g.id))
      .map((g) => `group:${g.id}`),
    'user.provisioned_not_activated': userSubjects(
      users.filter((u) => u.status === 'PROVISIONED' && Date.parse(u.statusChanged ?? u.created) < daysAgo(t.provisionedMaxDays)),
    ),
    'app.inactive_with_assignments': [...org.apps.values()]
      .filter((a) => a.status === 'INACTIVE')
      .filter((a) => {
        const direct = [...(org.appUserAssignments.get(a.id)?.keys() ?? [])].some((id) => org.users.has(id));
        const viaGroup = [...(org.appGroupAssignments.get(a.id)?.keys() ?? [])].some((id) => org.groups.has(id));
        return direct || viaGroup;
      })
      .map((a) => `app:${a.id}`),
    ...expectedPrivilegeFindings(org, t),
  };
  for (const key of Object.keys(out)) out[key] = [...new Set(out[key])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/**
 * The privilege checks, from the privilege oracle (expected-privilege.ts): principals (users that
 * can sign in, apps) outside Tier Zero with a path to it; roles held only through groups of more
 * than `adminGroupMaxMembers` members; service apps and API tokens carrying SUPER_ADMIN; ACTIVE
 * group rules whose target groups hold a role.
 */
function expectedPrivilegeFindings(org: SimOrgState, t: ExpectedFindingsThresholds): ExpectedFindings {
  const x = expectedPrivilege(org);
  const tierZero = new Set(x.holders.filter((h) => (TIER_ZERO_ROLES as readonly string[]).includes(h.role)).map((h) => h.principal));
  const pathTo = [...x.distances(TIER_ZERO_ROLES).keys()].filter((ref) => {
    if (tierZero.has(ref)) return false;
    if (ref.startsWith('app:')) return true;
    if (!ref.startsWith('user:')) return false;
    const status = org.users.get(ref.slice(5))?.status;
    return status !== 'DEPROVISIONED' && status !== 'SUSPENDED';
  });
  const groupRoles = new Map<string, Set<string>>();
  const direct = new Set<string>();
  for (const a of org.roleAssignments.values()) {
    const role = a.type === 'CUSTOM' ? (a.customRoleId as string) : a.type;
    if (a.principalKind === 'group') {
      if (!org.groups.has(a.principalId)) continue;
      const set = groupRoles.get(role) ?? new Set<string>();
      groupRoles.set(role, set.add(a.principalId));
    } else if (a.principalKind === 'app' || org.users.has(a.principalId)) {
      direct.add(role);
    }
  }
  const onlyLarge = [...groupRoles].filter(([role, groups]) =>
    !direct.has(role) && [...groups].every((g) => (org.groupMembers.get(g)?.size ?? 0) > t.adminGroupMaxMembers));
  const superHolders = new Set(x.holders.filter((h) => h.role === 'SUPER_ADMIN').map((h) => h.principal));
  const adminGroups = new Set([...groupRoles.values()].flatMap((g) => [...g]));
  return {
    'privilege.path_to_tier_zero': pathTo,
    'privilege.credential_super_admin': [
      ...[...superHolders].filter((p) => p.startsWith('app:')),
      ...[...org.apiTokens.values()].filter((tok) => superHolders.has(`user:${tok.userId}`)).map((tok) => `api_token:${tok.id}`),
    ],
    'privilege.role_only_via_large_group': onlyLarge.map(([role]) => `role:${role}`),
    'privilege.admin_via_group_rule': [...org.groupRules.values()]
      .filter((r) => r.status === 'ACTIVE' && r.targetGroupIds.some((g) => adminGroups.has(g)))
      .map((r) => `group_rule:${r.id}`),
  };
}
