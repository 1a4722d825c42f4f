/**
 * Okta objects → graph node rows. Each row's `sourceUpdatedAt` is the object's `lastUpdated`
 * (falling back to `fetchedAt` when Okta sent none) and its `observedAt` is `fetchedAt`, the
 * response's `Date`; `raw` is the object as received, with any secret values redacted (see redact.ts).
 */
import type { AppRow, FactorRow, GroupRow, ResourceSetRow, RoleRow, UserRow } from '@idgraph/graph';
import type { OktaAppInput, OktaFactorInput, OktaGroupInput, OktaIamObjectInput, OktaUserInput } from './okta-inputs.js';
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

/** The read's Okta-side time, when the caller knows it. */
function observed(fetchedAt: Date | undefined): { observedAt?: Date } {
  return fetchedAt ? { observedAt: requireValidDate(fetchedAt, 'fetchedAt') } : {};
}

export function normalizeUser(user: OktaUserInput, fetchedAt?: Date): UserRow {
  const u = requireObject(user, 'user');
  const oktaId = requireString(u, 'id', 'user', 'a user id like 00u…');
  const profile = optionalObject(u, 'profile', 'user');
  const credentials = optionalObject(u, 'credentials', 'user');
  const provider = optionalObject(credentials, 'provider', 'user', 'credentials.provider');
  return {
    oktaId,
    status: requireString(u, 'status', 'user', 'a user status such as ACTIVE'),
    login: optionalString(profile, 'login', 'user', 'profile.login'),
    email: optionalString(profile, 'email', 'user', 'profile.email'),
    firstName: optionalString(profile, 'firstName', 'user', 'profile.firstName'),
    lastName: optionalString(profile, 'lastName', 'user', 'profile.lastName'),
    created: optionalTime(u, 'created', 'user'),
    activated: optionalTime(u, 'activated', 'user'),
    statusChanged: optionalTime(u, 'statusChanged', 'user'),
    lastLogin: optionalTime(u, 'lastLogin', 'user'),
    passwordChanged: optionalTime(u, 'passwordChanged', 'user'),
    credentialProvider: optionalString(provider, 'type', 'user', 'credentials.provider.type'),
    sourceUpdatedAt: sourceTime(u, 'user', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(user),
  };
}

export function normalizeGroup(group: OktaGroupInput, fetchedAt?: Date): GroupRow {
  const g = requireObject(group, 'group');
  const oktaId = requireString(g, 'id', 'group', 'a group id like 00g…');
  const profile = optionalObject(g, 'profile', 'group');
  const name = optionalString(profile, 'name', 'group', 'profile.name');
  if (name === null) {
    throw new NormalizeError(`${describe('group', oktaId)} has no \`profile.name\`; every Okta group has one — is this a group object?`, 'group.profile.name');
  }
  return {
    oktaId,
    groupType: requireString(g, 'type', 'group', 'OKTA_GROUP, APP_GROUP or BUILT_IN'),
    name,
    description: optionalString(profile, 'description', 'group', 'profile.description'),
    sourceUpdatedAt: sourceTime(g, 'group', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(group),
  };
}

/**
 * A service app is an OIDC app whose OAuth client is of type `service` (client credentials, no
 * user); those are the apps that can hold admin roles as a CLIENT principal.
 */
export function normalizeApp(app: OktaAppInput, fetchedAt?: Date): AppRow {
  const a = requireObject(app, 'app');
  const oktaId = requireString(a, 'id', 'app', 'an app id like 0oa…');
  const signOnMode = optionalString(a, 'signOnMode', 'app');
  const isOidc = signOnMode === 'OPENID_CONNECT';
  const settingsClient = optionalObject(optionalObject(a, 'settings', 'app'), 'oauthClient', 'app', 'settings.oauthClient');
  const credentialsClient = optionalObject(optionalObject(a, 'credentials', 'app'), 'oauthClient', 'app', 'credentials.oauthClient');
  const applicationType = optionalString(settingsClient, 'application_type', 'app', 'settings.oauthClient.application_type');
  return {
    oktaId,
    name: requireString(a, 'name', 'app', 'the app integration name, e.g. oidc_client'),
    label: optionalString(a, 'label', 'app'),
    status: requireString(a, 'status', 'app', 'ACTIVE or INACTIVE'),
    signOnMode,
    clientId: isOidc ? (optionalString(credentialsClient, 'client_id', 'app', 'credentials.oauthClient.client_id') ?? oktaId) : null,
    isServiceApp: isOidc && applicationType === 'service',
    created: optionalTime(a, 'created', 'app'),
    sourceUpdatedAt: sourceTime(a, 'app', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(app),
  };
}

export function normalizeFactor(userId: string, factor: OktaFactorInput, fetchedAt?: Date): FactorRow {
  requireId(userId, 'userId');
  const f = requireObject(factor, 'factor');
  return {
    oktaId: requireString(f, 'id', 'factor'),
    userId,
    factorType: requireString(f, 'factorType', 'factor', 'a factor type such as push or webauthn'),
    provider: optionalString(f, 'provider', 'factor'),
    status: requireString(f, 'status', 'factor', 'a factor status such as ACTIVE'),
    created: optionalTime(f, 'created', 'factor'),
    sourceUpdatedAt: sourceTime(f, 'factor', fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(factor),
  };
}

export function normalizeCustomRole(role: OktaIamObjectInput, fetchedAt?: Date): RoleRow {
  return normalizeIamObject(role, 'custom role', fetchedAt);
}

export function normalizeResourceSet(resourceSet: OktaIamObjectInput, fetchedAt?: Date): ResourceSetRow {
  return normalizeIamObject(resourceSet, 'resource set', fetchedAt);
}

function normalizeIamObject(input: OktaIamObjectInput, kind: string, fetchedAt: Date | undefined): RoleRow {
  const o = requireObject(input, kind);
  return {
    oktaId: requireString(o, 'id', kind),
    label: requireString(o, 'label', kind),
    description: optionalString(o, 'description', kind),
    sourceUpdatedAt: sourceTime(o, kind, fetchedAt),
    ...observed(fetchedAt),
    raw: redactSecrets(input),
  };
}
