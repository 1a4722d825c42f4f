/**
 * Checks about administrators. "Effective admin" = a user holding a live role assignment directly or
 * through a live membership of a live group that holds it (see `effectiveRolesCtes`); admin checks
 * consider such users unless they are DEPROVISIONED or SUSPENDED.
 */
import { sql } from 'drizzle-orm';
import type { PostureCheck } from './check.js';
import { appLabel, daysBefore, effectiveRolesCtes, hasActiveFactor, inList, live, ts, userLabel } from './sql-parts.js';

export const PHISHING_RESISTANT_FACTOR_TYPES = ['webauthn', 'signed_nonce'] as const;
export const PRIVILEGED_APP_ROLES = ['SUPER_ADMIN', 'ORG_ADMIN'] as const;
export const PHONE_FACTOR_TYPES = ['sms', 'call'] as const;

export const adminNoPhishingResistantMfa: PostureCheck = {
  id: 'admin.no_phishing_resistant_mfa',
  severity: 'high',
  title: 'Admins without an ACTIVE phishing-resistant factor (WebAuthn or Okta FastPass)',
  rationale:
    'Admin sessions are the prize in Okta-targeted phishing (adversary-in-the-middle kits, help-desk social ' +
    'engineering). DISA Okta IDaaS STIG V-273191 requires non-phishable authenticators for the Okta Admin ' +
    'Console; since the 2023 help-desk attacks Okta recommends phishing-resistant authenticators for all admins.',
  remediation:
    'Enroll each admin in FIDO2 WebAuthn or Okta Verify FastPass (signed_nonce) and require the ' +
    '"Phishing resistant" possession constraint in the Okta Admin Console authentication policy.',
  subjectKind: 'user',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT DISTINCT 'user:' || a.okta_id AS subject, ${userLabel('a')} AS label
    FROM admin_users a
    WHERE NOT ${hasActiveFactor('a', p, PHISHING_RESISTANT_FACTOR_TYPES)}`,
};

export const adminSuperAdminCount: PostureCheck = {
  id: 'admin.super_admin_count',
  severity: 'medium',
  title: 'More effective SUPER_ADMINs than the configured maximum (one finding for the org)',
  rationale:
    'Every Super Administrator can change any policy, admin and app. Okta\'s admin best practices keep ' +
    'Super Admins few and use least-privilege standard or custom roles instead; CIS Controls v8 5.4 / 6.8.',
  remediation:
    'Reduce Super Administrator assignments (direct and through groups) to the few break-glass and platform ' +
    'owners; give others scoped roles (ORG_ADMIN, APP_ADMIN, custom roles with resource sets).',
  subjectKind: 'org',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)},
    super_admins AS (SELECT count(DISTINCT a.okta_id) AS n FROM admin_users a WHERE a.role_id = 'SUPER_ADMIN')
    SELECT 'org:' || lower(substring(i.org_url from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]+)')) AS subject,
      s.n || ' effective super admins (max ' || ${p.thresholds.superAdminMax}::int || ')' AS label
    FROM integrations i CROSS JOIN super_admins s
    WHERE i.tenant_id = ${p.tenantId} AND i.id = ${p.integrationId} AND s.n > ${p.thresholds.superAdminMax}::int`,
};

export const adminInactive: PostureCheck = {
  id: 'admin.inactive',
  severity: 'medium',
  title: 'Admins with no sign-in for the configured number of days',
  rationale:
    'Unused privileged accounts are standing risk nobody watches. DISA Okta IDaaS STIG V-273188 requires ' +
    'disabling accounts after 35 days of inactivity; CIS Controls v8 5.3 (disable dormant accounts).',
  remediation: 'Remove the admin role (direct or group) from admins who no longer use it, or deactivate the account.',
  subjectKind: 'user',
  query: (p) => {
    const cutoff = daysBefore(p.now, p.thresholds.adminInactiveDays);
    return sql`
      WITH ${effectiveRolesCtes(p)}
      SELECT DISTINCT 'user:' || a.okta_id AS subject, ${userLabel('a')} AS label
      FROM admin_users a
      WHERE a.last_login < ${ts(cutoff)}
        OR (a.last_login IS NULL AND a.created < ${ts(cutoff)})`;
  },
};

export const adminViaLargeGroup: PostureCheck = {
  id: 'admin.via_large_group',
  severity: 'high',
  title: 'Admin roles granted to a group with more members than the configured maximum',
  rationale:
    'A role granted to a large group silently makes every member (and every future member) an admin, and ' +
    'whoever manages the group manages admin access. CIS Controls v8 5.4 restricts administrator privileges ' +
    'to dedicated accounts; DISA Okta IDaaS STIG V-273193 treats Admin Console access as privileged.',
  remediation: 'Grant admin roles to small, dedicated admin groups (or individuals) and review their membership.',
  subjectKind: 'group',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT 'group:' || g.okta_id AS subject, g.name AS label
    FROM groups g
    WHERE ${live('g', p)}
      AND EXISTS (SELECT 1 FROM live_roles lr WHERE lr.principal_kind = 'group' AND lr.principal_id = g.okta_id)
      AND (SELECT count(*) FROM group_memberships m
           JOIN users u ON ${live('u', p)} AND u.okta_id = m.user_id
           WHERE ${live('m', p)} AND m.group_id = g.okta_id) > ${p.thresholds.adminGroupMaxMembers}::int`,
};

export const adminServiceAppPrivileged: PostureCheck = {
  id: 'admin.service_app_privileged',
  severity: 'high',
  title: 'Service apps holding SUPER_ADMIN or ORG_ADMIN',
  rationale:
    'An API service app with a super or org admin role turns one leaked private key or client secret into ' +
    'full control of the org, with no MFA in the way. Okta recommends least-privilege custom admin roles ' +
    'and narrowly granted OAuth scopes for service apps.',
  remediation:
    'Replace the role with a custom admin role scoped by a resource set to what the integration needs, and ' +
    'grant only the okta.* scopes it uses.',
  subjectKind: 'app',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT 'app:' || a.okta_id AS subject, ${appLabel('a')} AS label
    FROM apps a
    WHERE ${live('a', p)} AND a.is_service_app
      AND EXISTS (
        SELECT 1 FROM live_roles lr
        WHERE lr.principal_kind = 'app' AND lr.principal_id IN (a.client_id, a.okta_id)
          AND lr.role_id IN ${inList(PRIVILEGED_APP_ROLES)})`,
};

export const adminSingleFactor: PostureCheck = {
  id: 'admin.single_factor',
  severity: 'critical',
  title: 'SUPER_ADMINs with fewer ACTIVE factors than the configured minimum',
  rationale:
    'A Super Admin with one factor (or none) has no fallback when it is lost and is one reset away from ' +
    'takeover — the pattern of the 2023 help-desk social-engineering attacks on Okta super admins. DISA Okta ' +
    'IDaaS STIG V-273193 (CAT I) requires multifactor authentication for the Admin Console.',
  remediation: 'Have each Super Admin enroll at least two strong factors (e.g. WebAuthn and Okta Verify).',
  subjectKind: 'user',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT DISTINCT 'user:' || a.okta_id AS subject, ${userLabel('a')} AS label
    FROM admin_users a
    WHERE a.role_id = 'SUPER_ADMIN'
      AND (SELECT count(*) FROM factors f
           WHERE ${live('f', p)} AND f.user_id = a.okta_id AND f.status = 'ACTIVE') < ${p.thresholds.superAdminMinFactors}::int`,
};

export const adminPasswordStale: PostureCheck = {
  id: 'admin.password_stale',
  severity: 'medium',
  title: 'Admins whose Okta-managed password is older than the configured age',
  rationale:
    'Old admin passwords have had the longest exposure to reuse and breach dumps. DISA Okta IDaaS STIG ' +
    'V-273201 sets a 60-day maximum password lifetime; this check uses a looser default for admins.',
  remediation: 'Rotate these passwords, or move admins to passwordless (FastPass / WebAuthn) sign-in.',
  subjectKind: 'user',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT DISTINCT 'user:' || a.okta_id AS subject, ${userLabel('a')} AS label
    FROM admin_users a
    WHERE a.credential_provider = 'OKTA'
      AND a.password_changed < ${ts(daysBefore(p.now, p.thresholds.adminPasswordMaxAgeDays))}`,
};

export const adminPhoneFactor: PostureCheck = {
  id: 'admin.sms_voice_factor',
  severity: 'high',
  title: 'Admins with an ACTIVE SMS or voice call factor',
  rationale:
    'While an admin keeps SMS or voice enrolled, an attacker who SIM-swaps the number or talks the help desk ' +
    'into a reset can use it. DISA Okta IDaaS STIG V-273191 requires non-phishable authenticators for the ' +
    'Admin Console; NIST SP 800-63B classes PSTN authenticators as restricted.',
  remediation: 'Reset (remove) the SMS and voice factors of admins once they have a phishing-resistant factor.',
  subjectKind: 'user',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT DISTINCT 'user:' || a.okta_id AS subject, ${userLabel('a')} AS label
    FROM admin_users a
    WHERE ${hasActiveFactor('a', p, PHONE_FACTOR_TYPES)}`,
};

export const adminRoleViaAppGroup: PostureCheck = {
  id: 'admin.role_via_app_group',
  severity: 'medium',
  title: 'Admin roles granted to groups whose membership is mastered outside Okta (APP_GROUP)',
  rationale:
    'Membership of an APP_GROUP (e.g. imported from Active Directory) is controlled in the source directory, so ' +
    'whoever can edit that directory group becomes an Okta admin. Microsoft\'s guidance on protecting cloud ' +
    'tenants from on-premises compromise is to keep privileged cloud roles off directory-synchronised identities.',
  remediation: 'Grant admin roles to OKTA_GROUP groups (or users) managed in Okta, not to imported directory groups.',
  subjectKind: 'group',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT 'group:' || g.okta_id AS subject, g.name AS label
    FROM groups g
    WHERE ${live('g', p)} AND g.group_type = 'APP_GROUP'
      AND EXISTS (SELECT 1 FROM live_roles lr WHERE lr.principal_kind = 'group' AND lr.principal_id = g.okta_id)`,
};
