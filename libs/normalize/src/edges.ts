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

/** The `assignmentType` Okta gives an assignment made to this kind of principal itself. */
const DIRECT_ASSIGNMENT_TYPE: Readonly<Record<PrincipalKind, string>> = { user: 'USER', group: 'GROUP', app: 'CLIENT' };

/**
 * True when the entry of a principal's role list is an assignment to that principal itself. A
 * user's list (GET /api/v1/users/{userId}/roles) also holds the roles of the groups the user is a
 * member of, as `assignmentType: "GROUP"` entries whose `_links.assignee` is the group (the spec's
 * examples for listAssignedRolesForUser; https://developer.okta.com/docs/api/openapi/okta-management/management/tag/RoleAssignmentAUser/).
 * Those are the group's assignments, collected from the group's own list; what a member holds
 * through a group is derived from the membership. An entry without `assignmentType` is taken as
 * the principal's own.
 */
export function isDirectRoleAssignment(principalKind: PrincipalKind, assignment: OktaRoleAssignmentInput): boolean {
  const type: unknown = assignment?.assignmentType;
  return type === undefined || type === null || type === DIRECT_ASSIGNMENT_TYPE[principalKind];
}

/**
 * A principal's role list → its direct role assignments: entries held through another principal
 * (a user's GROUP entries) are left out, see `isDirectRoleAssignment`.
 */
export function normalizeRoleAssignments(
  principalKind: PrincipalKind,
  principalId: string,
  assignments: readonly OktaRoleAssignmentInput[],
  fetchedAt: Date,
): RoleAssignmentRow[] {
  return assignments
    .filter((a) => isDirectRoleAssignment(principalKind, a))
    .map((a) => normalizeRoleAssignment(principalKind, principalId, a, fetchedAt));
}

/**
 * One direct role assignment. Standard roles are identified by their type (SUPER_ADMIN, …); a
 * CUSTOM assignment by its custom role id (`role`, cr0…) and the resource set it is bound to
 * (`resource-set`, iam…). An entry held through another principal is refused: a list goes
 * through `normalizeRoleAssignments`, which leaves those out.
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
  if (!isDirectRoleAssignment(principalKind, assignment)) {
    throw new NormalizeError(
      `${describe('role assignment', r['id'])} of ${principalKind} ${principalId} has \`assignmentType\` ${JSON.stringify(r['assignmentType'])}, ` +
        `not ${DIRECT_ASSIGNMENT_TYPE[principalKind]}: it is held through another principal (its \`_links.assignee\`), not assigned to this ${principalKind}; ` +
        'pass the whole list to normalizeRoleAssignments, which leaves such entries out',
      'role assignment.assignmentType',
    );
  }
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
