/** Row builders for store tests: complete rows with overridable fields. */
import type {
  AppGroupAssignmentRow,
  AppRow,
  AppUserAssignmentRow,
  FactorRow,
  GroupMembershipRow,
  GroupRow,
  LogEventRow,
  RoleAssignmentRow,
  RoleRow,
  ResourceSetRow,
  UserRow,
} from '../model.js';

export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

export const user = (id: string, o: Partial<UserRow> = {}): UserRow => ({
  oktaId: id,
  status: 'ACTIVE',
  login: `${id}@example.com`,
  email: `${id}@example.com`,
  firstName: 'First',
  lastName: id,
  created: T0,
  activated: T0,
  statusChanged: null,
  lastLogin: null,
  passwordChanged: null,
  credentialProvider: 'OKTA',
  raw: { id, profile: { login: `${id}@example.com` } },
  sourceUpdatedAt: T0,
  ...o,
});

export const group = (id: string, o: Partial<GroupRow> = {}): GroupRow => ({
  oktaId: id, groupType: 'OKTA_GROUP', name: `Group ${id}`, description: null, raw: { id }, sourceUpdatedAt: T0, ...o,
});

export const app = (id: string, o: Partial<AppRow> = {}): AppRow => ({
  oktaId: id, name: 'oidc_client', label: `App ${id}`, status: 'ACTIVE', signOnMode: 'OPENID_CONNECT', clientId: null,
  isServiceApp: false, created: T0, raw: { id }, sourceUpdatedAt: T0, ...o,
});

export const factor = (id: string, userId: string, o: Partial<FactorRow> = {}): FactorRow => ({
  oktaId: id, userId, factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', created: T0, raw: { id },
  sourceUpdatedAt: T0, ...o,
});

export const role = (id: string, o: Partial<RoleRow> = {}): RoleRow => ({
  oktaId: id, label: `Role ${id}`, description: null, raw: { id }, sourceUpdatedAt: T0, ...o,
});

export const resourceSet = (id: string, o: Partial<ResourceSetRow> = {}): ResourceSetRow => ({
  oktaId: id, label: `Set ${id}`, description: null, raw: { id }, sourceUpdatedAt: T0, ...o,
});

export const membership = (userId: string, groupId: string, o: Partial<GroupMembershipRow> = {}): GroupMembershipRow => ({
  userId, groupId, sourceUpdatedAt: T0, ...o,
});

export const appUser = (appId: string, userId: string, o: Partial<AppUserAssignmentRow> = {}): AppUserAssignmentRow => ({
  appId, userId, scope: 'USER', status: 'ACTIVE', raw: { id: userId }, sourceUpdatedAt: T0, ...o,
});

export const appGroup = (appId: string, groupId: string, o: Partial<AppGroupAssignmentRow> = {}): AppGroupAssignmentRow => ({
  appId, groupId, priority: 0, raw: { id: groupId }, sourceUpdatedAt: T0, ...o,
});

export const roleAssignment = (
  principalKind: 'user' | 'group' | 'app',
  principalId: string,
  roleId: string,
  o: Partial<RoleAssignmentRow> = {},
): RoleAssignmentRow => ({
  principalKind, principalId, roleId, resourceSetId: '', assignmentId: null, status: 'ACTIVE', raw: null, sourceUpdatedAt: T0, ...o,
});

export const logEvent = (uuid: string, published: Date, o: Partial<LogEventRow> = {}): LogEventRow => ({
  uuid, published, eventType: 'group.user_membership.add', severity: 'INFO', actorId: '00uadmin', outcome: 'SUCCESS', subjectIds: ['00uadmin'],
  raw: { uuid, published: published.toISOString() }, ...o,
});
