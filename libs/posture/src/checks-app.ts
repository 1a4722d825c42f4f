/** Checks about applications and their assignments. */
import { sql } from 'drizzle-orm';
import type { PostureCheck } from './check.js';
import { appLabel, live } from './sql-parts.js';

export const appAssignedToEveryone: PostureCheck = {
  id: 'app.assigned_to_everyone',
  severity: 'medium',
  title: 'ACTIVE apps assigned to the Everyone group',
  rationale:
    'Everyone includes every user in the org — contractors, service accounts and future hires — so access is ' +
    'granted by default instead of by need. CIS Controls v8 6.8 (role-based access control) and the least-privilege principle.',
  remediation: 'Replace the Everyone assignment with assignments to the groups that need the app.',
  subjectKind: 'app',
  query: (p) => sql`
    SELECT 'app:' || a.okta_id AS subject, ${appLabel('a')} AS label
    FROM apps a
    WHERE ${live('a', p)} AND a.status = 'ACTIVE'
      AND EXISTS (
        SELECT 1 FROM app_group_assignments ag
        JOIN groups g ON ${live('g', p)} AND g.okta_id = ag.group_id
        WHERE ${live('ag', p)} AND ag.app_id = a.okta_id AND g.group_type = 'BUILT_IN' AND g.name = 'Everyone')`,
};

export const appInactiveWithAssignments: PostureCheck = {
  id: 'app.inactive_with_assignments',
  severity: 'info',
  title: 'INACTIVE apps that still have user or group assignments',
  rationale:
    'Reactivating the app silently restores every stale assignment, and leftover assignments hide who ' +
    'really needs access. CIS Controls v8 6.2 (access revoking) and 5.1 (account inventory).',
  remediation: 'Remove the assignments of apps that are retired, or delete the app integration.',
  subjectKind: 'app',
  query: (p) => sql`
    SELECT 'app:' || a.okta_id AS subject, ${appLabel('a')} AS label
    FROM apps a
    WHERE ${live('a', p)} AND a.status = 'INACTIVE'
      AND (
        EXISTS (
          SELECT 1 FROM app_user_assignments au
          JOIN users u ON ${live('u', p)} AND u.okta_id = au.user_id
          WHERE ${live('au', p)} AND au.app_id = a.okta_id)
        OR EXISTS (
          SELECT 1 FROM app_group_assignments ag
          JOIN groups g ON ${live('g', p)} AND g.okta_id = ag.group_id
          WHERE ${live('ag', p)} AND ag.app_id = a.okta_id))`,
};
