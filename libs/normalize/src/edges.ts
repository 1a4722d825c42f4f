/**
 * Okta list entries → graph edge rows. An edge's `sourceUpdatedAt` is `fetchedAt`, the time (the
 * response's `Date`) at which Okta said the edge exists: that is the moment the listing is true
 * for, and a removal event published after it must win over it.
 */
import type {
  AppGroupAssignmentRow,
  AppUserAssignmentRow,
  GroupMembershipRow,
  PrincipalKind,
  RoleAssignmentRow,
} from '@idgraph/graph';
import type { OktaAppGroupInput, OktaAppUserInput, OktaRoleAssignmentInput } from './okta-inputs.js';
import { NormalizeError, describe, optionalString, requireId, requireObject, requireString, requireValidDate } from './read.js';
import { redactSecrets } from './redact.js';

const PRINCIPAL_KINDS: readonly PrincipalKind[] = ['user', 'group', 'app'];

export function normalizeMembership(groupId: string, userId: string, fetchedAt: Date): GroupMembershipRow {
  return {
    groupId: requireId(groupId, 'groupId'),
    userId: requireId(userId, 'userId'),
    sourceUpdatedAt: requireValidDate(fetchedAt, 'fetchedAt'),
  };
}

export function normalizeAppUser(appId: string, appUser: OktaAppUserInput, fetchedAt: Date): AppUserAssignmentRow {
  requireId(appId, 'appId');
  const au = requireObject(appUser, 'app user');
  return {
    appId,
    userId: requireString(au, 'id', 'app user', 'the assigned user id (00u…)'),
    scope: optionalString(au, 'scope', 'app user'),
    status: optionalString(au, 'status', 'app user'),
    sourceUpdatedAt: requireValidDate(fetchedAt, 'fetchedAt'),
    raw: redactSecrets(appUser),
  };
}

export function normalizeAppGroup(appId: string, appGroup: OktaAppGroupInput, fetchedAt: Date): AppGroupAssignmentRow {
  requireId(appId, 'appId');
  const ag = requireObject(appGroup, 'app group assignment');
  const priority = ag['priority'];
  if (priority !== undefined && priority !== null && !Number.isInteger(priority)) {
    throw new NormalizeError(
      `${describe('app group assignment', ag['id'])} has a non-integer \`priority\` (${JSON.stringify(priority)})`,
      'app group assignment.priority',
    );
  }
  return {
    appId,
    groupId: requireString(ag, 'id', 'app group assignment', 'the assigned group id (00g…)'),
    priority: typeof priority === 'number' ? priority : null,
    sourceUpdatedAt: requireValidDate(fetchedAt, 'fetchedAt'),
    raw: redactSecrets(appGroup),
  };
}

/**
 * Standard roles are identified by their type (SUPER_ADMIN, …); a CUSTOM assignment by its custom
 * role id (`role`, cr0…) and the resource set it is bound to (`resource-set`, iam…).
 */
export function normalizeRoleAssignment(
  principalKind: PrincipalKind,
  principalId: string,
  assignment: OktaRoleAssignmentInput,
  fetchedAt: Date,
): RoleAssignmentRow {
  if (!PRINCIPAL_KINDS.includes(principalKind)) {
    throw new NormalizeError(`\`principalKind\` must be one of ${PRINCIPAL_KINDS.join(', ')} (got ${JSON.stringify(principalKind)})`, 'principalKind');
  }
  requireId(principalId, 'principalId');
  const r = requireObject(assignment, 'role assignment');
  const type = requireString(r, 'type', 'role assignment', 'a role type such as SUPER_ADMIN or CUSTOM');
  const roleId = type === 'CUSTOM' ? requireString(r, 'role', 'role assignment', 'the custom role id (cr0…) of a CUSTOM assignment') : type;
  return {
    principalKind,
    principalId,
    roleId,
    resourceSetId: optionalString(r, 'resource-set', 'role assignment') ?? '',
    assignmentId: optionalString(r, 'id', 'role assignment'),
    status: optionalString(r, 'status', 'role assignment'),
    sourceUpdatedAt: requireValidDate(fetchedAt, 'fetchedAt'),
    raw: redactSecrets(assignment),
  };
}
