/**
 * Okta object shapes as the management API returns them (spec 2026.06.3). Only the fields idgraph
 * reads are typed precisely; everything else stays reachable through the index signature.
 */

export interface OktaLink {
  href: string;
  [k: string]: unknown;
}
export type OktaLinks = Record<string, OktaLink | OktaLink[] | undefined>;

export type OktaUserStatus =
  | 'STAGED'
  | 'PROVISIONED'
  | 'ACTIVE'
  | 'RECOVERY'
  | 'LOCKED_OUT'
  | 'PASSWORD_EXPIRED'
  | 'SUSPENDED'
  | 'DEPROVISIONED';

export interface OktaUser {
  id: string;
  status: OktaUserStatus;
  transitioningToStatus?: string | null;
  created: string;
  activated?: string | null;
  statusChanged?: string | null;
  lastLogin?: string | null;
  lastUpdated: string;
  passwordChanged?: string | null;
  type?: { id: string; [k: string]: unknown };
  profile: {
    login: string;
    email?: string | null;
    firstName?: string | null;
    lastName?: string | null;
    [k: string]: unknown;
  };
  credentials?: {
    provider?: { type: string; name?: string };
    [k: string]: unknown;
  };
  _links?: OktaLinks;
  [k: string]: unknown;
}

export type OktaGroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface OktaGroup {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated?: string;
  objectClass?: string[];
  type: OktaGroupType;
  profile: { name: string; description?: string | null; [k: string]: unknown };
  source?: { id: string; [k: string]: unknown };
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaApp {
  id: string;
  name: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETED' | string;
  signOnMode: string;
  created: string;
  lastUpdated: string;
  features?: string[];
  settings?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  _links?: OktaLinks;
  [k: string]: unknown;
}

/** An entry of GET /api/v1/apps/{appId}/users: `scope` says direct (USER) or via a group (GROUP). */
export interface OktaAppUser {
  id: string;
  scope: 'USER' | 'GROUP';
  status?: string;
  syncState?: string;
  created?: string;
  lastUpdated: string;
  statusChanged?: string | null;
  externalId?: string | null;
  credentials?: { userName?: string; [k: string]: unknown };
  profile?: Record<string, unknown>;
  _links?: OktaLinks;
  [k: string]: unknown;
}

/** An entry of GET /api/v1/apps/{appId}/groups; `id` is the group id. */
export interface OktaAppGroup {
  id: string;
  lastUpdated: string;
  priority?: number;
  profile?: Record<string, unknown>;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaFactor {
  id: string;
  factorType: string;
  provider: string;
  vendorName?: string;
  status: string;
  created?: string;
  lastUpdated?: string;
  profile?: Record<string, unknown>;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaRoleAssignment {
  id: string;
  label?: string;
  type: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  assignmentType: 'USER' | 'GROUP' | 'CLIENT';
  /** Custom role id (cr0…) when type is CUSTOM. */
  role?: string;
  /** Resource set id (iam…) when type is CUSTOM; Okta spells the key with a hyphen. */
  'resource-set'?: string;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaCustomRole {
  id: string;
  label: string;
  description?: string;
  created?: string;
  lastUpdated?: string;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaResourceSet {
  id: string;
  label: string;
  description?: string;
  created?: string;
  lastUpdated?: string;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaRoleAssignee {
  id: string;
  orn?: string;
  _links?: OktaLinks;
  [k: string]: unknown;
}

export interface OktaLogActor {
  id: string;
  type: string;
  alternateId?: string | null;
  displayName?: string | null;
  detailEntry?: Record<string, unknown> | null;
  [k: string]: unknown;
}

export interface OktaLogTarget extends OktaLogActor {
  changeDetails?: { from?: Record<string, unknown>; to?: Record<string, unknown> } | null;
}

export interface OktaLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version?: string;
  severity?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | string;
  legacyEventType?: string | null;
  displayMessage?: string | null;
  actor?: OktaLogActor | null;
  client?: Record<string, unknown> | null;
  outcome?: { result: string; reason?: string | null } | null;
  /** Okta sends `null` (not `[]`) on some events; find targets by type, never by index. */
  target?: OktaLogTarget[] | null;
  transaction?: { type?: string; id?: string; detail?: Record<string, unknown> } | null;
  debugContext?: { debugData?: Record<string, unknown> } | null;
  authenticationContext?: Record<string, unknown> | null;
  securityContext?: Record<string, unknown> | null;
  request?: Record<string, unknown> | null;
  [k: string]: unknown;
}

/** An entry of GET /api/v1/iam/roles/{roleIdOrLabel}/permissions. */
export interface OktaPermission {
  label: string;
  created?: string;
  lastUpdated?: string;
  conditions?: unknown;
  _links?: OktaLinks;
  [k: string]: unknown;
}

/** An entry of GET /api/v1/iam/resource-sets/{id}/resources. */
export interface OktaResourceSetResource {
  id: string;
  orn: string;
  created?: string;
  lastUpdated?: string;
  _links?: OktaLinks;
  [k: string]: unknown;
}

/** An APP_ADMIN role target (CatalogApplication): `id` only for an app instance. */
export interface OktaCatalogAppTarget {
  id?: string;
  name: string;
  displayName?: string;
  [k: string]: unknown;
}

/** API token metadata (never the token). */
export interface OktaApiToken {
  id: string;
  name: string;
  userId: string;
  clientName?: string;
  created?: string;
  lastUpdated?: string;
  expiresAt?: string;
  tokenWindow?: string;
  [k: string]: unknown;
}

/** An OAuth client secret or JSON Web Key of an app, as listed (a secret's value is in `client_secret`). */
export interface OktaClientCredential {
  id: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  [k: string]: unknown;
}

export interface OktaGroupRule {
  id: string;
  name: string;
  status: string;
  type?: string;
  conditions?: { expression?: { value?: string; type?: string }; people?: unknown };
  actions?: { assignUserToGroups?: { groupIds?: string[] } };
  [k: string]: unknown;
}
