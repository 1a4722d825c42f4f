/** Okta JSON payloads for the in-memory objects, shaped like libs/normalize/src/testdata/okta-samples/ (with `_links`). */
import { createHash } from 'node:crypto';
import { resourceOrn } from './queries.js';
import type {
  SimApiToken, SimApp, SimAppGroupAssignment, SimAppTarget, SimAppUser, SimClientSecret, SimCustomRole, SimFactor, SimGroup, SimGroupRule, SimJwk,
  SimOrgState, SimResourceSet, SimResourceSetResource, SimRoleAssignment, SimUser,
} from './model.js';

type Json = Record<string, unknown>;

/** Okta leaves unset optional profile attributes out, except the ones its schema marks nullable. */
function userProfile(u: SimUser): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(u.profile)) {
    if (v !== null || k === 'mobilePhone' || k === 'secondEmail') out[k] = v;
  }
  return out;
}

const LOGO_BASE = 'https://op3static.oktacdn.com/assets/img/logos/groups/odyssey';

/** An OAuth client authenticates with a key (private_key_jwt) unless it has an ACTIVE client secret and no ACTIVE key. */
function tokenEndpointAuthMethod(a: SimApp): string {
  const secret = a.clientSecrets.some((c) => c.status === 'ACTIVE');
  const key = a.jwks.some((k) => k.status === 'ACTIVE');
  if (a.isServiceApp) return secret && !key ? 'client_secret_basic' : 'private_key_jwt';
  return key && !secret ? 'private_key_jwt' : 'client_secret_basic';
}

export class Renderer {
  constructor(private readonly org: SimOrgState) {}

  private get base(): string {
    return this.org.orgUrl;
  }

  user(u: SimUser): Json {
    const self = `${this.base}/api/v1/users/${u.id}`;
    const deprovisioned = u.status === 'DEPROVISIONED';
    const credentials: Json = deprovisioned
      ? { provider: { ...u.credentialProvider } }
      : u.credentialProvider.type === 'OKTA'
        ? { password: {}, provider: { ...u.credentialProvider } }
        : { provider: { ...u.credentialProvider } };
    const links: Json = {
      schema: { href: `${this.base}/api/v1/meta/schemas/user/osc${u.typeId.slice(3)}` },
      self: { href: self },
      type: { href: `${this.base}/api/v1/meta/types/user/${u.typeId}` },
    };
    if (deprovisioned) {
      links.activate = { href: `${self}/lifecycle/activate`, method: 'POST' };
      links.delete = { href: self, method: 'DELETE' };
    } else {
      links.deactivate = { href: `${self}/lifecycle/deactivate`, method: 'POST' };
      if (u.status === 'ACTIVE') links.suspend = { href: `${self}/lifecycle/suspend`, method: 'POST' };
      if (u.status === 'SUSPENDED') links.unsuspend = { href: `${self}/lifecycle/unsuspend`, method: 'POST' };
      if (u.status === 'LOCKED_OUT') links.unlock = { href: `${self}/lifecycle/unlock`, method: 'POST' };
      if (u.status === 'STAGED' || u.status === 'PROVISIONED') links.activate = { href: `${self}/lifecycle/activate`, method: 'POST' };
      links.resetFactors = { href: `${self}/lifecycle/reset_factors`, method: 'POST' };
    }
    return {
      id: u.id,
      status: u.status,
      created: u.created,
      activated: u.activated,
      statusChanged: u.statusChanged,
      lastLogin: u.lastLogin,
      lastUpdated: u.lastUpdated,
      passwordChanged: u.passwordChanged,
      type: { id: u.typeId },
      profile: userProfile(u),
      credentials,
      _links: links,
    };
  }

  group(g: SimGroup): Json {
    const self = `${this.base}/api/v1/groups/${g.id}`;
    const links: Json = {
      logo: [
        { name: 'medium', href: `${LOGO_BASE}/okta-medium.png`, type: 'image/png' },
        { name: 'large', href: `${LOGO_BASE}/okta-large.png`, type: 'image/png' },
      ],
      users: { href: `${self}/users` },
      apps: { href: `${self}/apps` },
    };
    if (g.sourceAppId) links.source = { href: `${this.base}/api/v1/apps/${g.sourceAppId}` };
    return {
      id: g.id,
      created: g.created,
      lastUpdated: g.lastUpdated,
      lastMembershipUpdated: g.lastMembershipUpdated,
      objectClass: [g.type === 'APP_GROUP' ? 'okta:windows_security_principal' : 'okta:user_group'],
      type: g.type,
      profile: { name: g.name, description: g.description },
      _links: links,
    };
  }

  app(a: SimApp): Json {
    const self = `${this.base}/api/v1/apps/${a.id}`;
    const body: Json = {
      id: a.id,
      name: a.name,
      label: a.label,
      status: a.status,
      lastUpdated: a.lastUpdated,
      created: a.created,
      accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
      visibility: { autoSubmitToolbar: false, hide: { iOS: a.isServiceApp, web: a.isServiceApp }, appLinks: {} },
      features: [],
      signOnMode: a.signOnMode,
      credentials: a.clientId
        ? { userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' }, signing: { kid: `kid-${a.id}` }, oauthClient: { autoKeyRotation: true, client_id: a.clientId, token_endpoint_auth_method: tokenEndpointAuthMethod(a) } }
        : { scheme: 'EDIT_USERNAME_AND_PASSWORD', userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' }, signing: { kid: `kid-${a.id}` } },
      settings: this.appSettings(a),
      _links: {
        appLinks: [],
        users: { href: `${self}/users` },
        groups: { href: `${self}/groups` },
        self: { href: self },
        deactivate: { href: `${self}/lifecycle/deactivate` },
      },
    };
    return body;
  }

  private appSettings(a: SimApp): Json {
    const common: Json = { app: {}, notifications: { vpn: { network: { connection: 'DISABLED' } } }, manualProvisioning: false, implicitAssignment: false };
    if (a.signOnMode === 'OPENID_CONNECT') {
      common.oauthClient = a.isServiceApp
        ? { application_type: 'service', grant_types: ['client_credentials'], response_types: ['token'], consent_method: 'REQUIRED', issuer_mode: 'DYNAMIC' }
        : { application_type: 'web', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [`${this.base}/callback`], consent_method: 'REQUIRED', issuer_mode: 'DYNAMIC' };
    }
    if (a.signOnMode === 'BOOKMARK') common.app = { requestIntegration: false, url: 'https://benefits.example.com' };
    if (a.signOnMode === 'BROWSER_PLUGIN') {
      common.app = { buttonField: 'input[type=submit]', passwordField: '#password', usernameField: '#username', url: 'https://payroll.example.com/login' };
    }
    if (a.signOnMode === 'AUTO_LOGIN') common.signOn = { loginUrl: 'https://expenses.example.com/login' };
    return common;
  }

  appUser(au: SimAppUser): Json {
    const u = this.org.users.get(au.userId) as SimUser;
    return {
      id: au.userId,
      externalId: null,
      created: au.created,
      lastUpdated: au.lastUpdated,
      scope: au.scope,
      status: au.status,
      statusChanged: au.lastUpdated,
      passwordChanged: null,
      syncState: 'DISABLED',
      credentials: { userName: u.profile.login },
      profile: { email: u.profile.email, given_name: u.profile.firstName, family_name: u.profile.lastName, name: `${u.profile.firstName} ${u.profile.lastName}` },
      _links: {
        app: { href: `${this.base}/api/v1/apps/${au.appId}` },
        user: { href: `${this.base}/api/v1/users/${au.userId}` },
        ...(au.scope === 'GROUP' ? { group: { name: 'group', href: `${this.base}/api/v1/apps/${au.appId}/groups` } } : {}),
      },
    };
  }

  appGroup(ag: SimAppGroupAssignment): Json {
    return {
      id: ag.groupId,
      lastUpdated: ag.lastUpdated,
      priority: ag.priority,
      profile: {},
      _links: {
        app: { href: `${this.base}/api/v1/apps/${ag.appId}` },
        self: { href: `${this.base}/api/v1/apps/${ag.appId}/groups/${ag.groupId}` },
        group: { href: `${this.base}/api/v1/groups/${ag.groupId}` },
      },
    };
  }

  factor(f: SimFactor): Json {
    const self = `${this.base}/api/v1/users/${f.userId}/factors/${f.id}`;
    const links: Json = {
      self: { href: self, hints: { allow: ['GET', 'DELETE'] } },
      user: { href: `${this.base}/api/v1/users/${f.userId}`, hints: { allow: ['GET'] } },
    };
    if (f.factorType !== 'signed_nonce') links.verify = { href: `${self}/verify`, hints: { allow: ['POST'] } };
    return {
      id: f.id, factorType: f.factorType, provider: f.provider, vendorName: f.vendorName, status: f.status,
      created: f.created, lastUpdated: f.lastUpdated, profile: { ...f.profile }, _links: links,
    };
  }

  roleAssignment(r: SimRoleAssignment): Json {
    const assignee = r.principalKind === 'user' ? `${this.base}/api/v1/users/${r.principalId}`
      : r.principalKind === 'group' ? `${this.base}/api/v1/groups/${r.principalId}`
        : `${this.base}/oauth2/v1/clients/${r.principalId}`;
    const assignmentType = r.principalKind === 'user' ? 'USER' : r.principalKind === 'group' ? 'GROUP' : 'CLIENT';
    if (r.type !== 'CUSTOM') {
      return {
        id: r.id, label: r.label, type: r.type, status: r.status, created: r.created, lastUpdated: r.lastUpdated,
        assignmentType, _links: { assignee: { href: assignee } },
      };
    }
    const rs = `${this.base}/api/v1/iam/resource-sets/${r.resourceSetId}`;
    return {
      id: r.id, role: r.customRoleId, label: r.label, type: 'CUSTOM', status: r.status, created: r.created,
      lastUpdated: r.lastUpdated, assignmentType, 'resource-set': r.resourceSetId,
      _links: {
        assignee: { href: assignee },
        'resource-set': { href: rs },
        member: { href: `${rs}/bindings/${r.customRoleId}/members/${r.id}` },
        role: { href: `${this.base}/api/v1/iam/roles/${r.customRoleId}` },
        permissions: { href: `${this.base}/api/v1/iam/permission-sets/${r.customRoleId}/permissions` },
      },
    };
  }

  customRole(r: SimCustomRole): Json {
    const self = `${this.base}/api/v1/iam/roles/${r.id}`;
    return {
      id: r.id, label: r.label, description: r.description, created: r.created, lastUpdated: r.lastUpdated,
      _links: { self: { href: self }, permissions: { href: `${self}/permissions` } },
    };
  }

  resourceSet(s: SimResourceSet): Json {
    const self = `${this.base}/api/v1/iam/resource-sets/${s.id}`;
    return {
      id: s.id, label: s.label, description: s.description, created: s.created, lastUpdated: s.lastUpdated,
      _links: { self: { href: self }, resources: { href: `${self}/resources` }, bindings: { href: `${self}/bindings` } },
    };
  }

  /** `/api/v1/iam/roles/{id}/permissions` entry. */
  permission(r: SimCustomRole, label: string): Json {
    const role = `${this.base}/api/v1/iam/roles/${r.id}`;
    return { label, created: r.created, lastUpdated: r.lastUpdated, _links: { role: { href: role }, self: { href: `${role}/permissions/${label}` } } };
  }

  /** `/api/v1/iam/resource-sets/{id}/resources` entry: the resource's ORN and its REST URL. */
  resourceSetResource(s: SimResourceSet, r: SimResourceSetResource): Json {
    const { orn, path } = resourceOrn(this.org, r.ref);
    return {
      id: r.id, orn, created: r.created, lastUpdated: r.lastUpdated,
      _links: { self: { href: `${this.base}${path}` }, resource: { href: `${this.base}/api/v1/iam/resource-sets/${s.id}/resources/${r.id}` } },
    };
  }

  /** A role's app target (CatalogApplication): an app instance carries its `id`, a whole catalog app does not. */
  appTarget(t: SimAppTarget): Json {
    const instance = t.appId ? this.org.apps.get(t.appId) : undefined;
    const body: Json = {
      name: t.name, displayName: instance?.label ?? t.name, description: `${t.name} (OIN)`, status: 'ACTIVE',
      lastUpdated: instance?.lastUpdated ?? this.org.now.toISOString(), category: 'PRODUCTIVITY', verificationStatus: 'OKTA_VERIFIED',
      website: `https://${t.name}.example.com`, signOnModes: [instance?.signOnMode ?? 'SAML_2_0'], features: [],
      _links: { logo: [{ name: 'medium', href: `${LOGO_BASE}/okta-medium.png`, type: 'image/png' }] },
    };
    if (t.appId) body.id = t.appId;
    return body;
  }

  /** An OAuth client secret. The value is derived from its id: the simulator holds no real secrets. */
  clientSecret(a: SimApp, c: SimClientSecret): Json {
    const self = `${this.base}/api/v1/apps/${a.id}/credentials/secrets/${c.id}`;
    const value = createHash('sha256').update(`sim-client-secret:${c.id}`).digest('base64url');
    return {
      id: c.id, status: c.status, client_secret: value, secret_hash: createHash('sha256').update(value).digest('base64url').slice(0, 22),
      created: c.created, lastUpdated: c.lastUpdated,
      _links: c.status === 'ACTIVE'
        ? { deactivate: { href: `${self}/lifecycle/deactivate`, hints: { allow: ['POST'] } } }
        : { activate: { href: `${self}/lifecycle/activate`, hints: { allow: ['POST'] } }, delete: { href: self, hints: { allow: ['DELETE'] } } },
    };
  }

  jwk(a: SimApp, k: SimJwk): Json {
    const self = `${this.base}/api/v1/apps/${a.id}/credentials/jwks/${k.id}`;
    return {
      id: k.id, kid: k.kid, kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB', n: createHash('sha256').update(k.id).digest('base64url'),
      status: k.status, created: k.created, lastUpdated: k.lastUpdated,
      _links: k.status === 'ACTIVE'
        ? { deactivate: { href: `${self}/lifecycle/deactivate`, hints: { allow: ['POST'] } } }
        : { activate: { href: `${self}/lifecycle/activate`, hints: { allow: ['POST'] } }, delete: { href: self, hints: { allow: ['DELETE'] } } },
    };
  }

  /** API token metadata (never the token). */
  apiToken(t: SimApiToken): Json {
    return {
      name: t.name, userId: t.userId, tokenWindow: t.tokenWindow, network: { connection: 'ANYWHERE' }, id: t.id, clientName: t.clientName,
      expiresAt: t.expiresAt, created: t.created, lastUpdated: t.lastUpdated,
      _links: {
        self: { href: `${this.base}/api/v1/api-tokens/${t.id}`, hints: { allow: ['GET', 'DELETE'] } },
        user: { href: `${this.base}/api/v1/users/${t.userId}`, hints: { allow: ['GET'] } },
      },
    };
  }

  groupRule(r: SimGroupRule): Json {
    return {
      type: 'group_rule', id: r.id, status: r.status, name: r.name, created: r.created, lastUpdated: r.lastUpdated,
      conditions: {
        people: { users: { exclude: [...r.excludedUserIds] }, groups: { exclude: [] } },
        expression: { value: r.expression, type: 'urn:okta:expression:1.0' },
      },
      actions: { assignUserToGroups: { groupIds: [...r.targetGroupIds] } },
    };
  }

  assigneeUser(u: SimUser): Json {
    return {
      id: u.id,
      orn: `orn:okta:directory:00o${this.org.subdomain}:users:${u.id}`,
      _links: { roles: { href: `${this.base}/api/v1/users/${u.id}/roles` }, self: { href: `${this.base}/api/v1/users/${u.id}` } },
    };
  }
}
