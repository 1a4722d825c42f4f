/**
 * The simulator's in-memory org. `sim.org` exposes this read-only; tests (and the posture
 * engineer) compute expectations from it. Timestamps are ISO strings exactly as the API sends
 * them; ids are Okta-style. Collections keyed by id iterate in id order unless noted.
 */

export const USER_STATUSES = [
  'STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED',
] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export type CredentialProviderType = 'OKTA' | 'ACTIVE_DIRECTORY' | 'LDAP' | 'FEDERATION' | 'SOCIAL' | 'IMPORT';

export interface SimUserProfile {
  firstName: string;
  lastName: string;
  email: string;
  login: string;
  mobilePhone: string | null;
  secondEmail: string | null;
  department: string | null;
  title: string | null;
}

export interface SimUser {
  id: string;
  status: UserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: SimUserProfile;
  credentialProvider: { type: CredentialProviderType; name: string };
  /** User type id (`oty…`), the same for every user of the org (the default type). */
  typeId: string;
}

export type GroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface SimGroup {
  id: string;
  type: GroupType;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  name: string;
  description: string | null;
  /** APP_GROUP only: the app the group is imported from (`_links.source`). */
  sourceAppId: string | null;
}

export type SignOnMode = 'SAML_2_0' | 'OPENID_CONNECT' | 'BROWSER_PLUGIN' | 'BOOKMARK' | 'AUTO_LOGIN';

export interface SimApp {
  id: string;
  /** App template name, e.g. `salesforce`, `oidc_client`, `bookmark`. */
  name: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  signOnMode: SignOnMode;
  created: string;
  lastUpdated: string;
  /** An OAuth API service app (application_type `service`). */
  isServiceApp: boolean;
  /** OAuth client id (= app id in Okta) for OPENID_CONNECT apps, null otherwise. */
  clientId: string | null;
  /**
   * OAuth client credentials (OPENID_CONNECT apps): client secrets and JSON Web Keys, as
   * `/api/v1/apps/{id}/credentials/secrets` and `/credentials/jwks` list them. The secret value
   * itself is never modelled: the API answers with a value derived from the secret's id.
   */
  clientSecrets: SimClientSecret[];
  jwks: SimJwk[];
}

export interface SimClientSecret {
  /** `ocs…` */
  id: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
}

export interface SimJwk {
  /** `pks…` */
  id: string;
  kid: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  lastUpdated: string;
}

export type FactorType =
  | 'push' | 'token:software:totp' | 'webauthn' | 'signed_nonce' | 'sms' | 'call' | 'email' | 'question';
export type FactorStatus = 'ACTIVE' | 'PENDING_ACTIVATION' | 'INACTIVE' | 'NOT_SETUP' | 'ENROLLED' | 'DISABLED' | 'EXPIRED';

export interface SimFactor {
  id: string;
  userId: string;
  factorType: FactorType;
  provider: 'OKTA' | 'FIDO' | 'GOOGLE';
  vendorName: string;
  status: FactorStatus;
  created: string;
  lastUpdated: string;
  profile: Record<string, string>;
}

export const STANDARD_ROLE_TYPES = [
  'SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN', 'READ_ONLY_ADMIN',
  'GROUP_MEMBERSHIP_ADMIN', 'REPORT_ADMIN', 'API_ACCESS_MANAGEMENT_ADMIN',
] as const;
export type StandardRoleType = (typeof STANDARD_ROLE_TYPES)[number];

export const STANDARD_ROLE_LABELS: Record<StandardRoleType, string> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organization Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read-only Administrator',
  GROUP_MEMBERSHIP_ADMIN: 'Group Membership Administrator',
  REPORT_ADMIN: 'Report Administrator',
  API_ACCESS_MANAGEMENT_ADMIN: 'API Access Management Administrator',
};

export type PrincipalKind = 'user' | 'group' | 'app';

export interface SimRoleAssignment {
  id: string;
  principalKind: PrincipalKind;
  /** User id, group id, or (for `app`) the service app's client id. */
  principalId: string;
  /** A standard role type, or CUSTOM. */
  type: StandardRoleType | 'CUSTOM';
  /** Custom role id (`cr0…`) for CUSTOM, else null. */
  customRoleId: string | null;
  /** Resource set id (`iam…`) for CUSTOM, else null. */
  resourceSetId: string | null;
  label: string;
  status: 'ACTIVE';
  created: string;
  lastUpdated: string;
  /**
   * Group targets of a USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN assignment
   * (`…/roles/{id}/targets/groups`); empty = every group (the role is not scoped).
   */
  groupTargets: string[];
  /** App targets of an APP_ADMIN assignment (`…/roles/{id}/targets/catalog/apps`); empty = every app. */
  appTargets: SimAppTarget[];
}

/** An APP_ADMIN target: one app instance (`appId`), or every instance of a catalog app (`appId` null). */
export interface SimAppTarget {
  /** The app's catalog name (`salesforce`, `oidc_client`, …). */
  name: string;
  appId: string | null;
}

/** Standard roles whose assignments may be scoped to groups (Okta: role targets). */
export const GROUP_TARGET_ROLES: readonly StandardRoleType[] = ['USER_ADMIN', 'HELP_DESK_ADMIN', 'GROUP_MEMBERSHIP_ADMIN'];
/** Standard roles whose assignments may be scoped to apps. */
export const APP_TARGET_ROLES: readonly StandardRoleType[] = ['APP_ADMIN'];

export interface SimCustomRole {
  id: string;
  label: string;
  description: string;
  permissions: string[];
  created: string;
  lastUpdated: string;
}

export interface SimResourceSet {
  id: string;
  label: string;
  description: string;
  /** The resources the set covers, as `/api/v1/iam/resource-sets/{id}/resources` lists them. */
  resources: SimResourceSetResource[];
  created: string;
  lastUpdated: string;
}

/**
 * One resource of a resource set. Okta names it by ORN
 * (`orn:okta:directory:{orgId}:groups:{groupId}`, `…:groups:{groupId}:contained_resources` = the
 * group's users, `…:users`, `…:groups`, `orn:okta:idp:{orgId}:apps[:{appName}[:{appId}]]`); the
 * simulator keeps what the ORN means and renders the ORN.
 */
export interface SimResourceSetResource {
  /** `ire…` */
  id: string;
  ref:
    | { kind: 'allUsers' }
    | { kind: 'allGroups' }
    | { kind: 'allApps' }
    | { kind: 'user'; userId: string }
    | { kind: 'group'; groupId: string }
    | { kind: 'groupMembers'; groupId: string }
    | { kind: 'appType'; appName: string }
    | { kind: 'app'; appName: string; appId: string };
  created: string;
  lastUpdated: string;
}

/** API token metadata (`/api/v1/api-tokens`): a token acts as the admin who created it. */
export interface SimApiToken {
  /** `00T…` */
  id: string;
  name: string;
  /** The user who created it. */
  userId: string;
  clientName: string;
  created: string;
  lastUpdated: string;
  expiresAt: string;
  /** ISO 8601 duration of inactivity after which the token expires, e.g. `P30D`. */
  tokenWindow: string;
}

/** A group rule (`/api/v1/groups/rules`): adds users matching `expression` to `targetGroupIds`. */
export interface SimGroupRule {
  /** `0pr…` */
  id: string;
  name: string;
  status: 'ACTIVE' | 'INACTIVE' | 'INVALID';
  created: string;
  lastUpdated: string;
  /** Okta Expression Language, e.g. `isMemberOfAnyGroup("00g…")` or `user.department=="IT"`. */
  expression: string;
  excludedUserIds: string[];
  targetGroupIds: string[];
}

/** A direct (scope USER) app assignment. Group-derived ones are computed, see `appUsersOf`. */
export interface SimAppUserAssignment {
  appId: string;
  userId: string;
  status: 'ACTIVE' | 'PROVISIONED' | 'DEPROVISIONED';
  created: string;
  lastUpdated: string;
}

export interface SimAppGroupAssignment {
  appId: string;
  groupId: string;
  priority: number;
  lastUpdated: string;
}

/** An app user as GET /api/v1/apps/{id}/users lists it. */
export interface SimAppUser {
  appId: string;
  userId: string;
  scope: 'USER' | 'GROUP';
  status: string;
  created: string;
  lastUpdated: string;
}

/** A System Log event exactly as GET /api/v1/logs returns it (the spec's LogEvent plus `device`). */
export interface OktaLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  legacyEventType: string | null;
  displayMessage: string;
  actor: LogActor;
  client: Record<string, unknown>;
  device: null;
  outcome: { result: string; reason: string | null };
  target: LogTarget[] | null;
  transaction: { type: 'WEB' | 'JOB'; id: string; detail: Record<string, string> };
  debugContext: { debugData: Record<string, string> };
  authenticationContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  request: { ipChain: unknown[] };
}

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: Record<string, string> | null;
}

export interface LogTarget {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: Record<string, string> | null;
}

/** The EventBridge envelope Okta Log Streaming produces for one LogEvent. */
export interface EventBridgeEnvelope {
  version: '0';
  id: string;
  'detail-type': 'SystemLog';
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: OktaLogEvent;
}

/**
 * The whole org. Membership maps are kept in both directions. Everyone (BUILT_IN) contains every
 * user, including DEPROVISIONED ones (Okta keeps a deactivated user's group memberships; they
 * are removed only when the user is deleted).
 */
export interface SimOrgState {
  /** Org URL, e.g. http://127.0.0.1:PORT (set once the server listens). */
  orgUrl: string;
  readonly subdomain: string;
  readonly now: Date;
  users: Map<string, SimUser>;
  groups: Map<string, SimGroup>;
  everyoneGroupId: string;
  apps: Map<string, SimApp>;
  /** groupId → member user ids. */
  groupMembers: Map<string, Set<string>>;
  /** userId → group ids (incl. Everyone). */
  userGroups: Map<string, Set<string>>;
  /** userId → factors (enrolled, any status). */
  factors: Map<string, SimFactor[]>;
  /** appId → userId → direct assignment. */
  appUserAssignments: Map<string, Map<string, SimAppUserAssignment>>;
  /** appId → groupId → group assignment. */
  appGroupAssignments: Map<string, Map<string, SimAppGroupAssignment>>;
  /** Every role assignment (users, groups, service apps) by assignment id. */
  roleAssignments: Map<string, SimRoleAssignment>;
  customRoles: Map<string, SimCustomRole>;
  resourceSets: Map<string, SimResourceSet>;
  /** API token metadata by token id (`00T…`). */
  apiTokens: Map<string, SimApiToken>;
  /** Group rules by id (`0pr…`). */
  groupRules: Map<string, SimGroupRule>;
  /** System Log in persistence order. */
  events: OktaLogEvent[];
  /** Bumped on every change; caches key on it. */
  version: number;
}
