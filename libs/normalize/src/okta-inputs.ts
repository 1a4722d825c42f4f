/**
 * The minimal structural shape of each Okta object the normalizers read, compatible with the
 * management API's JSON (and so with the richer types in @idgraph/okta, which this package does
 * not import). Fields the normalizers do not read stay reachable through the index signatures and
 * end up, untouched, in each row's `raw`. Nested objects are typed loosely on purpose: they are
 * checked at runtime, because they come off the network.
 */

export interface OktaUserInput {
  id: string;
  status: string;
  created?: string | null;
  activated?: string | null;
  statusChanged?: string | null;
  lastLogin?: string | null;
  lastUpdated?: string | null;
  passwordChanged?: string | null;
  profile?: unknown;
  credentials?: unknown;
  [key: string]: unknown;
}

export interface OktaGroupInput {
  id: string;
  type: string;
  lastUpdated?: string | null;
  profile?: unknown;
  [key: string]: unknown;
}

export interface OktaAppInput {
  id: string;
  name: string;
  label?: string | null;
  status: string;
  signOnMode?: string | null;
  created?: string | null;
  lastUpdated?: string | null;
  credentials?: unknown;
  settings?: unknown;
  [key: string]: unknown;
}

export interface OktaFactorInput {
  id: string;
  factorType: string;
  provider?: string | null;
  status: string;
  created?: string | null;
  lastUpdated?: string | null;
  [key: string]: unknown;
}

/** A custom role from /api/v1/iam/roles or a resource set from /api/v1/iam/resource-sets. */
export interface OktaIamObjectInput {
  id: string;
  label: string;
  description?: string | null;
  lastUpdated?: string | null;
  [key: string]: unknown;
}

/** An entry of GET /api/v1/apps/{appId}/users; `id` is the Okta user id. */
export interface OktaAppUserInput {
  id: string;
  scope?: string | null;
  status?: string | null;
  [key: string]: unknown;
}

/** An entry of GET /api/v1/apps/{appId}/groups; `id` is the group id. */
export interface OktaAppGroupInput {
  id: string;
  priority?: number | null;
  [key: string]: unknown;
}

/** An entry of GET /api/v1/{users|groups}/{id}/roles (or a service app's role assignments). */
export interface OktaRoleAssignmentInput {
  id?: string | null;
  type: string;
  status?: string | null;
  /** Custom role id (cr0…) when type is CUSTOM. */
  role?: string | null;
  /** Resource set id (iam…) of a CUSTOM assignment; Okta spells the key with a hyphen. */
  'resource-set'?: string | null;
  /** USER, GROUP or CLIENT: whom the assignment was made to (a user's list includes GROUP ones). */
  assignmentType?: string | null;
  [key: string]: unknown;
}

/** An entry of GET /api/v1/iam/roles/{roleId}/permissions. */
export interface OktaPermissionInput {
  label: string;
  lastUpdated?: string | null;
  [key: string]: unknown;
}

/** An entry of GET /api/v1/iam/resource-sets/{id}/resources. */
export interface OktaResourceSetResourceInput {
  id: string;
  orn: string;
  lastUpdated?: string | null;
  [key: string]: unknown;
}

/** An APP_ADMIN role target (CatalogApplication): `id` for an app instance, `name` always. */
export interface OktaCatalogAppTargetInput {
  id?: string | null;
  name: string;
  [key: string]: unknown;
}

/** API token metadata from GET /api/v1/api-tokens. */
export interface OktaApiTokenInput {
  id: string;
  name: string;
  userId: string;
  [key: string]: unknown;
}

/** An OAuth client secret or JSON Web Key of an app (its secret value and key material are not read). */
export interface OktaClientCredentialInput {
  id: string;
  status?: string | null;
  [key: string]: unknown;
}

/** A group rule from GET /api/v1/groups/rules. */
export interface OktaGroupRuleInput {
  id: string;
  name: string;
  status: string;
  [key: string]: unknown;
}
