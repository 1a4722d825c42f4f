/**
 * `idgraph report --fix CHECK_ID`: for each finding of a posture check, the actions that would
 * resolve it, as commands that can be run (each a dry run until --apply is added). Derived from the
 * graph: which direct app assignments, roles and role-holding groups a subject has.
 */
import { sql } from 'drizzle-orm';
import type { GraphStore, Integration } from '@idgraph/graph';
import { findCheck } from '@idgraph/posture';
import { actionCommand, ActionInputError, formatRef, type ActionName, type Ref } from './catalog.js';

/** One action of a fix, as `POST /api/v1/actions` takes it (the console dry-runs it before applying). */
export interface FixAction {
  action: ActionName;
  subject: string;
  target: string | null;
  resourceSet: string | null;
}

export interface FindingFix {
  /** The finding's subject, `KIND:ID`. */
  subject: string;
  /** Runnable commands; together they resolve the finding. Empty when no action can. */
  commands: string[];
  /** The same actions, one per command, structured. */
  actions: FixAction[];
  /** Why there is no command, or a choice the operator has to make. */
  note?: string;
}

export interface FixPlan {
  check: string;
  integration: string;
  fixes: FindingFix[];
}

interface RoleRow {
  principal_kind: 'user' | 'group' | 'app';
  principal_id: string;
  role_id: string;
  resource_set_id: string;
  via_group: string | null;
  group_type: string | null;
}

const ROLE_FIX_CHECKS = new Set(['admin.no_phishing_resistant_mfa', 'admin.inactive', 'admin.password_stale', 'admin.single_factor']);
const DEACTIVATE_CHECKS = new Set(['user.inactive', 'user.never_signed_in', 'user.provisioned_not_activated', 'user.locked_out']);

export async function planFixes(store: GraphStore, integration: Integration, checkId: string, subjects: readonly string[]): Promise<FixPlan> {
  const check = findCheck(checkId);
  if (!check) throw new ActionInputError(`unknown check "${checkId}": see the CHECK column of \`idgraph report --all\``);
  const scope = { tenant: store.tenant, integration: integration.id };
  // Each command is remembered with its structured action, so a fix lists both without a second derivation.
  const planned = new Map<string, FixAction>();
  const cmd = (action: ActionName, subject: Ref, target?: Ref | null, resourceSet?: string | null): string => {
    const command = actionCommand(integration.name, action, subject, target, resourceSet);
    planned.set(command, { action, subject: formatRef(subject), target: target ? formatRef(target) : null, resourceSet: resourceSet ?? null });
    return command;
  };
  const live = (alias: string) => {
    const a = sql.raw(alias);
    return sql`${a}.tenant_id = ${scope.tenant} AND ${a}.integration_id = ${scope.integration} AND ${a}.deleted_at IS NULL`;
  };

  /** Live role assignments of a user (direct, or through a live group membership), a group or an app. */
  const rolesOf = async (kind: 'user' | 'group' | 'app', id: string): Promise<RoleRow[]> => {
    if (kind !== 'user') {
      return store.gdb.execute<RoleRow>(sql`
        SELECT ra.principal_kind, ra.principal_id, ra.role_id, ra.resource_set_id, NULL AS via_group, NULL AS group_type
        FROM role_assignments ra WHERE ${live('ra')} AND ra.principal_kind = ${kind} AND ra.principal_id = ${id}
        ORDER BY ra.role_id, ra.resource_set_id`);
    }
    return store.gdb.execute<RoleRow>(sql`
      SELECT ra.principal_kind, ra.principal_id, ra.role_id, ra.resource_set_id, NULL AS via_group, NULL AS group_type
      FROM role_assignments ra WHERE ${live('ra')} AND ra.principal_kind = 'user' AND ra.principal_id = ${id}
      UNION ALL
      SELECT ra.principal_kind, ra.principal_id, ra.role_id, ra.resource_set_id, g.okta_id AS via_group, g.group_type
      FROM group_memberships m
      JOIN groups g ON ${live('g')} AND g.okta_id = m.group_id
      JOIN role_assignments ra ON ${live('ra')} AND ra.principal_kind = 'group' AND ra.principal_id = g.okta_id
      WHERE ${live('m')} AND m.user_id = ${id}
      ORDER BY 5 NULLS FIRST, 3, 4`);
  };

  /** Commands removing a user's admin roles (only `roleIds` when given). */
  const dropRoles = async (userId: string, roleIds?: readonly string[]): Promise<{ commands: string[]; note?: string }> => {
    const rows = (await rolesOf('user', userId)).filter((r) => !roleIds || roleIds.includes(r.role_id));
    const commands: string[] = [];
    const notes: string[] = [];
    const user: Ref = { kind: 'user', id: userId };
    for (const r of rows) {
      if (r.via_group === null) commands.push(cmd('revoke-role', user, { kind: 'role', id: r.role_id }, r.resource_set_id || null));
      else if (r.group_type === 'OKTA_GROUP') commands.push(cmd('remove-from-group', user, { kind: 'group', id: r.via_group }));
      else notes.push(`${r.role_id} comes through ${r.group_type} group ${r.via_group}, whose members are managed in its source directory`);
    }
    const unique = [...new Set(commands)];
    return notes.length ? { commands: unique, note: notes.join('; ') } : { commands: unique };
  };

  const fixes: Omit<FindingFix, 'actions'>[] = [];
  for (const subject of subjects) {
    const [kind, id] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)];
    const ref = { kind, id } as Ref;
    if (DEACTIVATE_CHECKS.has(checkId)) {
      fixes.push({ subject, commands: [cmd('deactivate', ref)], ...(checkId === 'user.locked_out' ? { note: 'if the account is still needed, review the failed sign-ins and unlock it in Okta instead' } : {}) });
    } else if (checkId === 'admin.sms_voice_factor') {
      fixes.push({ subject, commands: [cmd('reset-factors', ref)], note: 'resets every factor of the user: they enroll again (a phishing-resistant one)' });
    } else if (ROLE_FIX_CHECKS.has(checkId)) {
      fixes.push({ subject, ...(await dropRoles(id, checkId === 'admin.single_factor' ? ['SUPER_ADMIN'] : undefined)) });
    } else if (checkId === 'user.deprovisioned_with_access') {
      const apps = await store.gdb.execute<{ app_id: string }>(sql`
        SELECT au.app_id FROM app_user_assignments au JOIN apps a ON ${live('a')} AND a.okta_id = au.app_id
        WHERE ${live('au')} AND au.user_id = ${id} AND coalesce(au.scope, 'USER') = 'USER' ORDER BY au.app_id`);
      const roles = await dropRoles(id);
      fixes.push({ subject, commands: [...apps.map((a) => cmd('unassign-app', ref, { kind: 'app', id: a.app_id })), ...roles.commands], ...(roles.note ? { note: roles.note } : {}) });
    } else if (checkId === 'admin.super_admin_count') {
      const holders = await store.gdb.execute<{ principal_id: string }>(sql`
        SELECT ra.principal_id FROM role_assignments ra
        WHERE ${live('ra')} AND ra.principal_kind = 'user' AND ra.role_id = 'SUPER_ADMIN' ORDER BY ra.principal_id`);
      fixes.push({
        subject,
        commands: holders.map((h) => cmd('revoke-role', { kind: 'user', id: h.principal_id }, { kind: 'role', id: 'SUPER_ADMIN' })),
        note: 'run only enough of these to get under the maximum: keep the few break-glass and platform owners',
      });
    } else if (checkId === 'admin.via_large_group' || checkId === 'admin.role_via_app_group') {
      const roles = await rolesOf('group', id);
      fixes.push({ subject, commands: roles.map((r) => cmd('revoke-role', ref, { kind: 'role', id: r.role_id }, r.resource_set_id || null)) });
    } else if (checkId === 'admin.service_app_privileged') {
      const roles = await store.gdb.execute<{ role_id: string }>(sql`
        SELECT DISTINCT ra.role_id FROM role_assignments ra JOIN apps a ON ${live('a')} AND a.okta_id = ${id}
        WHERE ${live('ra')} AND ra.principal_kind = 'app' AND ra.principal_id IN (a.client_id, a.okta_id)
          AND ra.role_id IN ('SUPER_ADMIN', 'ORG_ADMIN') ORDER BY ra.role_id`);
      fixes.push({ subject, commands: roles.map((r) => cmd('revoke-role', ref, { kind: 'role', id: r.role_id })), note: 'give the app a scoped custom role first if it still needs to act' });
    } else if (checkId === 'app.assigned_to_everyone') {
      const groups = await store.gdb.execute<{ group_id: string }>(sql`
        SELECT ag.group_id FROM app_group_assignments ag JOIN groups g ON ${live('g')} AND g.okta_id = ag.group_id
        WHERE ${live('ag')} AND ag.app_id = ${id} AND g.group_type = 'BUILT_IN' AND g.name = 'Everyone'`);
      fixes.push({ subject, commands: groups.map((g) => cmd('unassign-app', { kind: 'group', id: g.group_id }, ref)), note: 'assign the app to the groups that need it before removing Everyone' });
    } else if (checkId === 'app.inactive_with_assignments') {
      const rows = await store.gdb.execute<{ kind: 'user' | 'group'; id: string }>(sql`
        SELECT 'group' AS kind, ag.group_id AS id FROM app_group_assignments ag JOIN groups g ON ${live('g')} AND g.okta_id = ag.group_id
        WHERE ${live('ag')} AND ag.app_id = ${id}
        UNION ALL
        SELECT 'user', au.user_id FROM app_user_assignments au JOIN users u ON ${live('u')} AND u.okta_id = au.user_id
        WHERE ${live('au')} AND au.app_id = ${id} AND coalesce(au.scope, 'USER') = 'USER'
        ORDER BY 1, 2`);
      fixes.push({ subject, commands: rows.map((r) => cmd('unassign-app', { kind: r.kind, id: r.id }, ref)) });
    } else {
      fixes.push({ subject, commands: [], note: `no idgraph action resolves ${checkId}: ${check.remediation}` });
    }
  }
  return { check: checkId, integration: integration.name, fixes: fixes.map((f) => ({ ...f, actions: f.commands.map((c) => planned.get(c)!) })) };
}
