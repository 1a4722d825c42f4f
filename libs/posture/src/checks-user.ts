/** Account lifecycle and hygiene checks for every user. */
import { sql } from 'drizzle-orm';
import type { PostureCheck } from './check.js';
import { daysBefore, effectiveRolesCtes, live, ts, userLabel } from './sql-parts.js';

export const userInactive: PostureCheck = {
  id: 'user.inactive',
  severity: 'medium',
  title: 'ACTIVE users with no sign-in for the configured number of days',
  rationale:
    'Dormant accounts are easy to take over unnoticed. DISA Okta IDaaS STIG V-273188 requires disabling ' +
    'accounts after 35 days of inactivity; CIS Controls v8 5.3 asks to disable dormant accounts after 45 days.',
  remediation: 'Confirm with the owner or manager, then deactivate, or enable Okta Workflows / lifecycle automation for inactivity.',
  subjectKind: 'user',
  query: (p) => {
    const cutoff = daysBefore(p.now, p.thresholds.userInactiveDays);
    return sql`
      SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
      FROM users u
      WHERE ${live('u', p)} AND u.status = 'ACTIVE'
        AND (u.last_login < ${ts(cutoff)} OR (u.last_login IS NULL AND u.created < ${ts(cutoff)}))`;
  },
};

export const userNeverSignedIn: PostureCheck = {
  id: 'user.never_signed_in',
  severity: 'low',
  title: 'ACTIVE users created over the configured number of days ago who never signed in',
  rationale:
    'An activated account nobody uses is an unneeded credential, and its first sign-in (or password setup) ' +
    'can be taken by whoever gets the activation link first. CIS Controls v8 5.1/5.3 (account inventory, dormant accounts).',
  remediation: 'Check whether the account is needed; deactivate it or re-send activation to the right person.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'ACTIVE' AND u.last_login IS NULL
      AND u.created < ${ts(daysBefore(p.now, p.thresholds.neverSignedInDays))}`,
};

export const userDeprovisionedWithAccess: PostureCheck = {
  id: 'user.deprovisioned_with_access',
  severity: 'high',
  title: 'DEPROVISIONED or SUSPENDED users still directly assigned to an app or holding an admin role',
  rationale:
    'Offboarding is incomplete: a direct app assignment may keep a provisioned downstream account alive, and a ' +
    'role (direct or through a group) returns the moment the account is reactivated or unsuspended. CIS ' +
    'Controls v8 6.2 (access revoking process).',
  remediation: 'Remove direct app assignments and admin roles (and admin group memberships) from these users.',
  subjectKind: 'user',
  query: (p) => sql`
    WITH ${effectiveRolesCtes(p)}
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status IN ('DEPROVISIONED', 'SUSPENDED')
      AND (
        EXISTS (
          SELECT 1 FROM app_user_assignments au
          JOIN apps a ON ${live('a', p)} AND a.okta_id = au.app_id
          WHERE ${live('au', p)} AND au.user_id = u.okta_id AND coalesce(au.scope, 'USER') = 'USER')
        OR EXISTS (SELECT 1 FROM effective_roles er WHERE er.user_id = u.okta_id))`,
};

export const userPasswordStale: PostureCheck = {
  id: 'user.password_stale',
  severity: 'low',
  title: 'ACTIVE users whose Okta-managed password is older than the configured age',
  rationale:
    'Long-lived passwords accumulate exposure to reuse and credential stuffing. DISA Okta IDaaS STIG V-273201 ' +
    'sets a 60-day maximum password lifetime; this check uses a looser default.',
  remediation: 'Set a maximum password age in the password authenticator policy, or move users to passwordless sign-in.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'ACTIVE' AND u.credential_provider = 'OKTA'
      AND u.password_changed < ${ts(daysBefore(p.now, p.thresholds.userPasswordMaxAgeDays))}`,
};

export const userLockedOut: PostureCheck = {
  id: 'user.locked_out',
  severity: 'low',
  title: 'LOCKED_OUT users',
  rationale:
    'A lockout follows repeated failed sign-ins (DISA Okta IDaaS STIG V-273189 lockout policy): often a ' +
    'forgotten password, sometimes password spraying or brute force against that account.',
  remediation: 'Check the System Log for the failed attempts (source IPs, clients) before unlocking; reset the password if attacked.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'LOCKED_OUT'`,
};

export const userProvisionedNotActivated: PostureCheck = {
  id: 'user.provisioned_not_activated',
  severity: 'low',
  title: 'PROVISIONED users not activated within the configured number of days',
  rationale:
    'A PROVISIONED account waits for its owner to complete activation; left pending it is an account whose ' +
    'activation (and first password) anyone holding the link can complete. CIS Controls v8 5.3 (dormant accounts).',
  remediation: 'Re-send activation to the right person, or deactivate accounts nobody is going to claim.',
  subjectKind: 'user',
  query: (p) => sql`
    SELECT 'user:' || u.okta_id AS subject, ${userLabel('u')} AS label
    FROM users u
    WHERE ${live('u', p)} AND u.status = 'PROVISIONED'
      AND coalesce(u.status_changed, u.created) < ${ts(daysBefore(p.now, p.thresholds.provisionedMaxDays))}`,
};
