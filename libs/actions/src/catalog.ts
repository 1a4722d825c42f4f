/**
 * The remediation actions: what each acts on, the Okta requests it makes, and what the caller
 * needs to be allowed to make them — the OAuth scope of a service app (management-openapi.yaml,
 * `security` of each operation) and the admin roles that may do it (Okta's "Standard administrator
 * roles and permissions", https://help.okta.com/en-us/content/topics/security/administrators-admin-comparison.htm).
 * An API token acts with its owner's roles; a service app with its scopes ∩ its roles.
 */

export const ACTION_NAMES = [
  'deactivate',
  'suspend',
  'unsuspend',
  'clear-sessions',
  'reset-factors',
  'remove-from-group',
  'unassign-app',
  'revoke-role',
  'delete-user',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export type RefKind = 'user' | 'group' | 'app' | 'role';

/** `KIND:ID` of a subject or target. */
export interface Ref {
  kind: RefKind;
  id: string;
}

export interface ActionSpec {
  name: ActionName;
  /** What it does, for help texts and messages ("deactivate users"). */
  does: string;
  subjectKinds: readonly RefKind[];
  /** The kind --target must have, or null when the action takes no target. */
  targetKind: RefKind | null;
  /** The OAuth scope a service app needs (and must be granted in Okta's API Scopes tab). */
  scope: string;
  /** Standard admin roles that may do it (an API token's owner, a service app's roles). */
  roles: readonly string[];
  /** Custom-role permissions that grant it. */
  customPermissions: readonly string[];
}

const USER_LIFECYCLE = {
  scope: 'okta.users.manage',
  roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN'],
  customPermissions: ['okta.users.manage', 'okta.users.lifecycle.manage'],
} as const;

export const ACTIONS: Readonly<Record<ActionName, ActionSpec>> = Object.freeze({
  deactivate: { name: 'deactivate', does: 'deactivate users', subjectKinds: ['user'], targetKind: null, ...USER_LIFECYCLE },
  suspend: { name: 'suspend', does: 'suspend users', subjectKinds: ['user'], targetKind: null, ...USER_LIFECYCLE },
  unsuspend: { name: 'unsuspend', does: 'unsuspend users', subjectKinds: ['user'], targetKind: null, ...USER_LIFECYCLE },
  'delete-user': { name: 'delete-user', does: 'delete users', subjectKinds: ['user'], targetKind: null, ...USER_LIFECYCLE },
  'clear-sessions': {
    name: 'clear-sessions', does: "clear users' sessions", subjectKinds: ['user'], targetKind: null,
    scope: 'okta.users.manage',
    roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN'],
    customPermissions: ['okta.users.manage', 'okta.users.lifecycle.clearSessions'],
  },
  'reset-factors': {
    name: 'reset-factors', does: "reset users' MFA factors", subjectKinds: ['user'], targetKind: null,
    scope: 'okta.users.manage',
    roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN'],
    customPermissions: ['okta.users.manage', 'okta.users.credentials.manage', 'okta.users.credentials.resetFactors'],
  },
  'remove-from-group': {
    name: 'remove-from-group', does: 'remove users from groups', subjectKinds: ['user'], targetKind: 'group',
    scope: 'okta.groups.manage',
    roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'GROUP_MEMBERSHIP_ADMIN'],
    customPermissions: ['okta.groups.manage', 'okta.groups.members.manage'],
  },
  'unassign-app': {
    name: 'unassign-app', does: 'unassign apps', subjectKinds: ['user', 'group'], targetKind: 'app',
    scope: 'okta.apps.manage',
    roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN'],
    customPermissions: ['okta.apps.manage', 'okta.apps.assignment.manage'],
  },
  'revoke-role': {
    // "Add, remove, and view administrators" is a Super Admin permission only.
    name: 'revoke-role', does: 'revoke admin roles', subjectKinds: ['user', 'group', 'app'], targetKind: 'role',
    scope: 'okta.roles.manage',
    roles: ['SUPER_ADMIN'],
    customPermissions: [],
  },
});

export class ActionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionInputError';
  }
}

// Okta ids, role types and custom role / resource set ids: letters, digits, '_' and '-'. A login or
// an email address is refused here, so neither ever lands in the append-only audit.
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function parseRef(value: string, what: '--subject' | '--target'): Ref {
  const m = /^([a-z]+):(.*)$/.exec(value ?? '');
  const kinds: RefKind[] = ['user', 'group', 'app', 'role'];
  if (!m || !kinds.includes(m[1] as RefKind)) {
    throw new ActionInputError(`${what} "${value}" is not KIND:ID: use user:00u…, group:00g…, app:0oa… or role:SUPER_ADMIN`);
  }
  const id = m[2]!;
  if (!ID_RE.test(id)) {
    throw new ActionInputError(`${what} "${value}": the id must be an Okta id (letters, digits, '_' or '-'), not a login or an email address`);
  }
  return { kind: m[1] as RefKind, id };
}

export const formatRef = (r: Ref): string => `${r.kind}:${r.id}`;

export function actionSpec(name: string): ActionSpec {
  if (!(ACTION_NAMES as readonly string[]).includes(name)) {
    throw new ActionInputError(`unknown action "${name}": use one of ${ACTION_NAMES.join(', ')}`);
  }
  return ACTIONS[name as ActionName];
}

export interface ParsedAction {
  spec: ActionSpec;
  subject: Ref;
  target: Ref | null;
  resourceSet: string | null;
}

/** Checks an action request's shape: the action, subject and target kinds, the resource set. */
export function parseAction(input: { action: string; subject: string; target?: string | null; resourceSet?: string | null }): ParsedAction {
  const spec = actionSpec(input.action);
  const subject = parseRef(input.subject, '--subject');
  if (!spec.subjectKinds.includes(subject.kind)) {
    throw new ActionInputError(`${spec.name} acts on ${spec.subjectKinds.map((k) => `${k}:ID`).join(' or ')}, not ${subject.kind}:`);
  }
  let target: Ref | null = null;
  if (spec.targetKind) {
    if (!input.target) throw new ActionInputError(`${spec.name} needs --target ${spec.targetKind}:${spec.targetKind === 'role' ? 'ROLE_OR_CUSTOM_ID' : 'ID'}`);
    target = parseRef(input.target, '--target');
    if (target.kind !== spec.targetKind) throw new ActionInputError(`${spec.name} needs --target ${spec.targetKind}:ID, not ${target.kind}:`);
  } else if (input.target) {
    throw new ActionInputError(`${spec.name} takes no --target`);
  }
  let resourceSet: string | null = null;
  if (input.resourceSet) {
    if (spec.name !== 'revoke-role') throw new ActionInputError('--resource-set is only for revoke-role (custom roles)');
    if (!ID_RE.test(input.resourceSet)) throw new ActionInputError(`--resource-set "${input.resourceSet}" is not a resource set id (iam…)`);
    resourceSet = input.resourceSet;
  }
  return { spec, subject, target, resourceSet };
}

/** One Okta request of an action: what is shown in a dry run and recorded in the audit. */
export interface OktaRequest {
  method: 'POST' | 'DELETE';
  path: string;
}

const seg = encodeURIComponent;

/**
 * The write requests of an action. `assignmentId` is the role assignment revoke-role removes
 * (looked up first); `clientId` the OAuth client id of a service app subject.
 */
export function plannedRequests(p: ParsedAction, resolved: { assignmentId?: string; clientId?: string } = {}): OktaRequest[] {
  const s = seg(p.subject.id);
  switch (p.spec.name) {
    case 'deactivate':
      return [{ method: 'POST', path: `/api/v1/users/${s}/lifecycle/deactivate` }];
    case 'suspend':
      return [{ method: 'POST', path: `/api/v1/users/${s}/lifecycle/suspend` }];
    case 'unsuspend':
      return [{ method: 'POST', path: `/api/v1/users/${s}/lifecycle/unsuspend` }];
    case 'reset-factors':
      return [{ method: 'POST', path: `/api/v1/users/${s}/lifecycle/reset_factors` }];
    case 'clear-sessions':
      return [{ method: 'DELETE', path: `/api/v1/users/${s}/sessions` }];
    case 'delete-user':
      return [{ method: 'DELETE', path: `/api/v1/users/${s}` }];
    case 'remove-from-group':
      return [{ method: 'DELETE', path: `/api/v1/groups/${seg(p.target!.id)}/users/${s}` }];
    case 'unassign-app':
      return [{ method: 'DELETE', path: `/api/v1/apps/${seg(p.target!.id)}/${p.subject.kind === 'group' ? 'groups' : 'users'}/${s}` }];
    case 'revoke-role': {
      const assignment = seg(resolved.assignmentId ?? '{roleAssignmentId}');
      if (p.subject.kind === 'app') return [{ method: 'DELETE', path: `/oauth2/v1/clients/${seg(resolved.clientId ?? p.subject.id)}/roles/${assignment}` }];
      return [{ method: 'DELETE', path: `/api/v1/${p.subject.kind === 'group' ? 'groups' : 'users'}/${s}/roles/${assignment}` }];
    }
  }
}

/** The CLI command that performs an action (for `report --fix`, messages and the console). */
export function actionCommand(integration: string, action: ActionName, subject: Ref, target?: Ref | null, resourceSet?: string | null): string {
  const parts = ['idgraph', 'action', action, '--integration', integration, '--subject', formatRef(subject)];
  if (target) parts.push('--target', formatRef(target));
  if (resourceSet) parts.push('--resource-set', resourceSet);
  return parts.join(' ');
}
