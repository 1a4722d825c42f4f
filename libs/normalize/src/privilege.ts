/**
 * Okta objects that decide effective privilege → graph rows: custom role permissions, resource set
 * resources (what their ORNs name), role targets, API token metadata, OAuth client credential
 * metadata (never a secret) and group rules.
 */
import type {
  ApiTokenRow,
  AppCredentialRow,
  GroupRuleRow,
  GroupRuleTargetRow,
  PrincipalKind,
  ResourceSetResourceRow,
  RolePermissionRow,
  RoleTargetRow,
} from '@idgraph/graph';
import type {
  OktaApiTokenInput,
  OktaCatalogAppTargetInput,
  OktaClientCredentialInput,
  OktaGroupRuleInput,
  OktaPermissionInput,
  OktaResourceSetResourceInput,
} from './okta-inputs.js';
import {
  NormalizeError,
  describe,
  optionalObject,
  optionalString,
  optionalTime,
  requireId,
  requireObject,
  requireString,
  requireValidDate,
  sourceTime,
} from './read.js';
import { redactSecrets } from './redact.js';

/**
 * Standard roles whose assignments Okta lets be scoped ("role targets"): to groups (USER_ADMIN,
 * HELP_DESK_ADMIN, GROUP_MEMBERSHIP_ADMIN; `…/targets/groups`) or to apps (APP_ADMIN;
 * `…/targets/catalog/apps`), per the spec's descriptions of those operations.
 */
export const SCOPABLE_ROLES = {
  groups: ['USER_ADMIN', 'HELP_DESK_ADMIN', 'GROUP_MEMBERSHIP_ADMIN'],
  apps: ['APP_ADMIN'],
} as const;

function observed(fetchedAt: Date): { observedAt: Date } {
  return { observedAt: requireValidDate(fetchedAt, 'fetchedAt') };
}

/** What a resource set resource's ORN names (see resource_set_resources in the graph schema). */
export type ResourceTargetKind = 'all_users' | 'user' | 'all_groups' | 'group' | 'group_members' | 'all_apps' | 'app_type' | 'app' | 'other';

/**
 * Reads an ORN: `orn:{partition}:directory:{orgId}:users[:{userId}]`,
 * `…:groups[:{groupId}[:contained_resources]]` (contained_resources = the group's users),
 * `orn:{partition}:idp:{orgId}:apps[:{appType}[:{appId}]]`; anything else is `other`.
 */
export function ornTarget(orn: string): { targetKind: ResourceTargetKind; targetId: string | null } {
  const p = orn.split(':');
  const [head, , service, , type, a, b] = p;
  if (head === 'orn' && p.length >= 5) {
    if (service === 'directory' && type === 'users') {
      if (p.length === 5) return { targetKind: 'all_users', targetId: null };
      if (p.length === 6 && a) return { targetKind: 'user', targetId: a };
    }
    if (service === 'directory' && type === 'groups') {
      if (p.length === 5) return { targetKind: 'all_groups', targetId: null };
      if (p.length === 6 && a) return { targetKind: 'group', targetId: a };
      if (p.length === 7 && a && b === 'contained_resources') return { targetKind: 'group_members', targetId: a };
    }
    if (service === 'idp' && type === 'apps') {
      if (p.length === 5) return { targetKind: 'all_apps', targetId: null };
      if (p.length === 6 && a) return { targetKind: 'app_type', targetId: a };
      if (p.length === 7 && a && b) return { targetKind: 'app', targetId: b };
    }
  }
  return { targetKind: 'other', targetId: null };
}

/** One entry of `/api/v1/iam/roles/{roleId}/permissions`. */
export function normalizeRolePermission(roleId: string, permission: OktaPermissionInput, fetchedAt: Date): RolePermissionRow {
  requireId(roleId, 'roleId');
  const p = requireObject(permission, 'permission');
  return {
    roleId,
    permission: requireString(p, 'label', 'permission', 'a permission such as okta.users.read'),
    sourceUpdatedAt: sourceTime(p, 'permission', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(permission),
  };
}

/** One entry of `/api/v1/iam/resource-sets/{id}/resources`. */
export function normalizeResourceSetResource(resourceSetId: string, resource: OktaResourceSetResourceInput, fetchedAt: Date): ResourceSetResourceRow {
  requireId(resourceSetId, 'resourceSetId');
  const r = requireObject(resource, 'resource set resource');
  const orn = requireString(r, 'orn', 'resource set resource', 'an ORN such as orn:okta:directory:00o…:groups:00g…');
  return {
    resourceSetId,
    resourceId: requireString(r, 'id', 'resource set resource', 'a resource id like ire…'),
    orn,
    ...ornTarget(orn),
    sourceUpdatedAt: sourceTime(r, 'resource set resource', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(resource),
  };
}

/**
 * A page of a role assignment's targets: Group objects (`…/targets/groups`) or catalog apps
 * (`…/targets/catalog/apps`: an app instance carries its `id`, a whole catalog app only its `name`).
 */
export function normalizeRoleTargets(
  principalKind: PrincipalKind,
  principalId: string,
  roleId: string,
  kind: 'groups' | 'apps',
  items: readonly (OktaCatalogAppTargetInput | { id: string })[],
  fetchedAt: Date,
): RoleTargetRow[] {
  requireId(principalId, 'principalId');
  requireId(roleId, 'roleId');
  const sourceUpdatedAt = requireValidDate(fetchedAt, 'fetchedAt');
  return items.map((item) => {
    const t = requireObject(item, 'role target');
    if (kind === 'groups') {
      return { principalKind, principalId, roleId, targetKind: 'group' as const, targetId: requireString(t, 'id', 'role target', 'the target group id (00g…)'), sourceUpdatedAt };
    }
    const id = optionalString(t, 'id', 'role target');
    if (id !== null) return { principalKind, principalId, roleId, targetKind: 'app' as const, targetId: id, sourceUpdatedAt };
    return { principalKind, principalId, roleId, targetKind: 'catalog_app' as const, targetId: requireString(t, 'name', 'role target', 'the catalog app name (e.g. salesforce)'), sourceUpdatedAt };
  });
}

/** API token metadata (`/api/v1/api-tokens`); the listing never holds a token value. */
export function normalizeApiToken(token: OktaApiTokenInput, fetchedAt: Date): ApiTokenRow {
  const t = requireObject(token, 'API token');
  const oktaId = requireString(t, 'id', 'API token', 'a token id like 00T…');
  return {
    oktaId,
    name: requireString(t, 'name', 'API token'),
    userId: requireString(t, 'userId', 'API token', 'the id of the user who created it (00u…)'),
    clientName: optionalString(t, 'clientName', 'API token'),
    created: optionalTime(t, 'created', 'API token'),
    expiresAt: optionalTime(t, 'expiresAt', 'API token'),
    tokenWindow: optionalString(t, 'tokenWindow', 'API token'),
    sourceUpdatedAt: sourceTime(t, 'API token', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(token),
  };
}

/**
 * An OAuth client secret or JSON Web Key of an app: its id, status and creation time. The secret
 * itself (`client_secret`, `secret_hash`) and the key material are not read.
 */
export function normalizeAppCredential(appId: string, credentialType: 'client_secret' | 'jwk', credential: OktaClientCredentialInput, fetchedAt: Date): AppCredentialRow {
  requireId(appId, 'appId');
  const c = requireObject(credential, 'client credential');
  const status = optionalString(c, 'status', 'client credential') ?? 'ACTIVE';
  return {
    appId,
    credentialId: requireString(c, 'id', 'client credential', 'a credential id like ocs… or pks…'),
    credentialType,
    status,
    created: optionalTime(c, 'created', 'client credential'),
    sourceUpdatedAt: sourceTime(c, 'client credential', fetchedAt),
    ...observed(fetchedAt),
  };
}

/** A group rule → its row and its target groups (`actions.assignUserToGroups.groupIds`). */
export function normalizeGroupRule(rule: OktaGroupRuleInput, fetchedAt: Date): { rule: GroupRuleRow; targets: GroupRuleTargetRow[] } {
  const r = requireObject(rule, 'group rule');
  const oktaId = requireString(r, 'id', 'group rule', 'a rule id like 0pr…');
  const conditions = optionalObject(r, 'conditions', 'group rule');
  const expression = optionalObject(conditions, 'expression', 'group rule', 'conditions.expression');
  const actions = optionalObject(r, 'actions', 'group rule');
  const assign = optionalObject(actions, 'assignUserToGroups', 'group rule', 'actions.assignUserToGroups');
  const groupIds = assign?.['groupIds'] ?? [];
  if (!Array.isArray(groupIds) || groupIds.some((g) => typeof g !== 'string' || g === '')) {
    throw new NormalizeError(`${describe('group rule', oktaId)} has \`actions.assignUserToGroups.groupIds\` that is not a list of group ids`, 'group rule.actions.assignUserToGroups.groupIds');
  }
  const sourceUpdatedAt = sourceTime(r, 'group rule', fetchedAt);
  return {
    rule: {
      oktaId,
      name: requireString(r, 'name', 'group rule'),
      status: requireString(r, 'status', 'group rule', 'ACTIVE, INACTIVE or INVALID'),
      expression: optionalString(expression, 'value', 'group rule', 'conditions.expression.value'),
      sourceUpdatedAt,
      ...observed(fetchedAt),
      raw: redactSecrets(rule),
    },
    targets: [...new Set(groupIds as string[])].map((groupId) => ({ ruleId: oktaId, groupId, sourceUpdatedAt: requireValidDate(fetchedAt, 'fetchedAt') })),
  };
}
