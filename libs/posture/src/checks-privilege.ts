/**
 * Checks on effective privilege (@idgraph/privilege): what principals can become, not only what
 * they were granted. Tier Zero = holders of SUPER_ADMIN or ORG_ADMIN (directly, through a group,
 * or as a service app).
 */
import { TIER_ZERO_ROLES, roleHolders, type PrivilegeGraph } from '@idgraph/privilege';
import type { CheckSubjectRow, PostureCheck } from './check.js';

/** Users that cannot sign in act on nothing: left out like the admin checks leave them out. */
const INACTIVE_USER_STATUSES = new Set(['DEPROVISIONED', 'SUSPENDED']);

function tierZeroHolders(g: PrivilegeGraph): Set<string> {
  const out = new Set<string>();
  for (const role of TIER_ZERO_ROLES) for (const h of roleHolders(g, role)) out.add(h.principal);
  return out;
}

export const privilegePathToTierZero: PostureCheck = {
  id: 'privilege.path_to_tier_zero',
  severity: 'critical',
  title: 'Principals outside Tier Zero with a path to it (SUPER_ADMIN or ORG_ADMIN)',
  rationale:
    'A help-desk admin who can read a super-admin service app\'s client secret, a membership admin who can add ' +
    'people to a group a rule copies into an admin group: each step is allowed, and together they make a non-Tier-Zero ' +
    'account a super or org admin. SpecterOps\' OktaHound maps these Okta attack paths; Okta\'s own barrier (only super ' +
    'admins act on admins) closes the direct ones, not these.',
  remediation:
    'Break the path at its weakest step (see the finding\'s path): scope the grant that creates the control edge to ' +
    'fewer targets, rotate to private_key_jwt and delete client secrets of privileged service apps, take the group ' +
    'out of the rule or the role off the group.',
  subjectKind: 'principal',
  privilege: ({ graph: g, tierZero }) => {
    const holders = tierZeroHolders(g);
    const rows: CheckSubjectRow[] = [];
    for (const p of tierZero.paths()) {
      const kind = p.from.slice(0, p.from.indexOf(':'));
      if ((kind !== 'user' && kind !== 'app') || holders.has(p.from)) continue;
      const node = g.nodeOf(p.from);
      if (kind === 'user' && INACTIVE_USER_STATUSES.has(g.userStatus[node] ?? '')) continue;
      rows.push({ subject: p.from, label: g.label(node), details: { to: p.to, length: p.length, path: p.steps } });
    }
    return rows;
  },
};

export const privilegeRoleOnlyViaLargeGroup: PostureCheck = {
  id: 'privilege.role_only_via_large_group',
  severity: 'high',
  title: 'Admin roles held only through groups with more members than the configured maximum',
  rationale:
    'When nobody holds a role in their own name and every group holding it is large, the role belongs to whoever ' +
    'controls those groups\' membership: nobody reviews it as an admin grant. CIS Controls v8 5.4; DISA Okta IDaaS ' +
    'STIG V-273193 treats Admin Console access as privileged.',
  remediation: 'Grant the role to named admins or a small dedicated admin group, and remove it from the large groups.',
  subjectKind: 'role',
  privilege: ({ graph: g }, p) => {
    const byRole = new Map<string, { direct: boolean; groups: Set<string> }>();
    for (const h of roleHolders(g)) {
      const e = byRole.get(h.role) ?? { direct: false, groups: new Set<string>() };
      byRole.set(h.role, e);
      if (h.via.length === 0) e.direct = true;
      else for (const v of h.via) e.groups.add(v);
    }
    // A role granted to empty groups only has no holders; count its groups anyway.
    for (const a of g.assignments) {
      if (g.kindOf(a.principal) !== 'group') continue;
      const e = byRole.get(a.roleId) ?? { direct: false, groups: new Set<string>() };
      byRole.set(a.roleId, e);
      e.groups.add(g.ref(a.principal));
    }
    const size = (ref: string): number => {
      const local = g.nodeOf(ref) - g.groupBase;
      return g.groupMemberOff[local + 1]! - g.groupMemberOff[local]!;
    };
    const rows: CheckSubjectRow[] = [];
    for (const [role, e] of byRole) {
      if (e.direct || e.groups.size === 0) continue;
      const groups = [...e.groups].sort();
      if (!groups.every((ref) => size(ref) > p.thresholds.adminGroupMaxMembers)) continue;
      const label = g.roleLabels.get(role);
      rows.push({ subject: `role:${role}`, label: label ? `${label} (${role})` : role, details: { groups: groups.map((ref) => ({ group: ref, members: size(ref) })) } });
    }
    return rows;
  },
};

export const privilegeCredentialCarriesSuperAdmin: PostureCheck = {
  id: 'privilege.credential_super_admin',
  severity: 'critical',
  title: 'Service apps and API tokens that carry SUPER_ADMIN',
  rationale:
    'A service app\'s key or secret, or an API token, acts without MFA, from anywhere the credential leaks to. An ' +
    'API token acts with its creator\'s roles, so a super admin\'s token is a super-admin password that never expires ' +
    'while used. Okta recommends least-privilege custom roles for service apps and service accounts for tokens.',
  remediation:
    'Give the service app a custom role scoped by a resource set; revoke super admins\' API tokens and create them ' +
    'from a dedicated, least-privileged service account (or move the integration to an OAuth service app).',
  subjectKind: 'principal',
  privilege: ({ graph: g }) => {
    const rows: CheckSubjectRow[] = [];
    const superHolders = new Map<string, string[]>();
    for (const h of roleHolders(g, 'SUPER_ADMIN')) superHolders.set(h.principal, h.via);
    for (const [ref, via] of superHolders) {
      if (!ref.startsWith('app:')) continue;
      rows.push({ subject: ref, label: g.label(g.nodeOf(ref)), details: { via } });
    }
    for (let t = 0; t < g.tokens.length; t++) {
      const owner = g.tokenOwner[t]!;
      if (owner < 0) continue;
      const ownerRef = g.ref(owner);
      const via = superHolders.get(ownerRef);
      if (via === undefined) continue;
      rows.push({ subject: g.ref(g.tokenBase + t), label: `${g.tokens[t]!.name} (${g.label(owner)})`, details: { owner: ownerRef, via } });
    }
    return rows;
  },
};

export const privilegeAdminViaGroupRule: PostureCheck = {
  id: 'privilege.admin_via_group_rule',
  severity: 'high',
  title: 'Group rules that add people to groups holding an admin role',
  rationale:
    'A rule makes admins of whoever matches its expression — whoever can change the profile attribute or the ' +
    'group membership it reads. Okta documents that rules cannot target admin groups; a rule that does anyway ' +
    '(an older configuration, a role granted afterwards) is an unreviewed way into an admin role.',
  remediation: 'Deactivate the rule or remove the admin group from its targets, and grant the role to a group whose membership is managed by hand.',
  subjectKind: 'group_rule',
  privilege: ({ graph: g }) => {
    const rows: CheckSubjectRow[] = [];
    const adminGroups = new Map<string, string[]>();
    for (const a of g.assignments) {
      if (g.kindOf(a.principal) !== 'group') continue;
      const ref = g.ref(a.principal);
      adminGroups.set(ref, [...(adminGroups.get(ref) ?? []), a.roleId]);
    }
    for (const rule of g.rules) {
      if (rule.status !== 'ACTIVE') continue;
      const targets = rule.targetGroupIds.map((id) => `group:${id}`).filter((ref) => adminGroups.has(ref)).sort();
      if (targets.length === 0) continue;
      rows.push({
        subject: `group_rule:${rule.id}`,
        label: rule.name,
        details: { expression: rule.expression, groups: targets.map((ref) => ({ group: ref, roles: [...new Set(adminGroups.get(ref))].sort() })) },
      });
    }
    return rows;
  },
};
