/**
 * The HTTP face of the simulator: routing, Okta paging (Link headers, opaque `after`), limit
 * clamps, search/filter, rate-limit headers and 429s, concurrency 429s, auth and scope checks,
 * and injected faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { sleep } from '@idgraph/core';
import type { AuthFailure, AuthService, Caller } from './auth.js';
import { TokenError, hasScope } from './auth.js';
import { OKTA_ERRORS } from './errors.js';
import type { FilterAst, FilterPolicy } from './filter.js';
import { FilterSyntaxError, evaluateFilter, parseFilter, pathGetter, validateFilter } from './filter.js';
import type {
  OktaLogEvent, SimApiToken, SimApp, SimAppTarget, SimAppUser, SimCustomRole, SimGroup, SimGroupRule, SimOrgState, SimResourceSet, SimResourceSetResource, SimUser,
  StandardRoleType,
} from './model.js';
import { APP_TARGET_ROLES, GROUP_TARGET_ROLES } from './model.js';
import { appUsersOf, roleAssignmentsOf, roleHolderUserIds, sortedIds, userRoleListOf } from './queries.js';
import type { RateLimiter } from './rate-limit.js';
import { findBucket } from './rate-limit.js';
import type { Renderer } from './render.js';
import { HttpError, type Reply } from './reply.js';
import { Rng } from './rng.js';
import type { Mutator } from './mutate.js';
import { findWriteRoute, routeWrite, writeMethodsFor } from './writes.js';

export interface FaultOptions {
  latencyMs?: number;
  jitterMs?: number;
  error5xxRate?: number;
  dropRate?: number;
  truncateRate?: number;
  seed?: number;
}

export interface SimStats {
  requests: number;
  byBucket: Record<string, number>;
  throttled429: number;
  concurrency429: number;
}


const DAY = 86_400_000;

/** Standard roles allowed to view administrators and their role assignments. */
const ROLES_THAT_VIEW_ADMINS: ReadonlySet<string> = new Set(['SUPER_ADMIN']);

/** `after` cursors are opaque to clients: base64url of the sort key. */
const encodeCursor = (key: string): string => Buffer.from(`c1:${key}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const raw = Buffer.from(cursor, 'base64url').toString();
  if (!raw.startsWith('c1:')) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation('after: the cursor is not valid; follow the next link as given') });
  return raw.slice(3);
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as string) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const USER_FILTER_ATTRS = new Set(['status', 'lastUpdated', 'id', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName']);
const USER_TOP_LEVEL = new Set(['id', 'status', 'created', 'activated', 'statusChanged', 'lastUpdated', 'type.id']);
const RANGE_OPS = new Set(['gt', 'ge', 'lt', 'le']);

const userFilterPolicy: FilterPolicy = {
  allowNot: false,
  check: (path, op) => {
    if (!USER_FILTER_ATTRS.has(path)) return `filter does not support the attribute "${path}"; use search for other attributes`;
    if (op === 'eq') return null;
    if (RANGE_OPS.has(op) && path === 'lastUpdated') return null;
    return `filter supports only eq (and gt/ge/lt/le on lastUpdated); "${op}" on "${path}" is not allowed`;
  },
};
const userSearchPolicy: FilterPolicy = {
  allowNot: false,
  check: (path, op) => {
    if (op === 'ne') return 'search does not support "ne"; use "lt … or … gt" instead';
    if (!(USER_TOP_LEVEL.has(path) || path.startsWith('profile.'))) return `search does not support the attribute "${path}"`;
    if (op === 'co' && !['profile.firstName', 'profile.lastName', 'profile.email', 'profile.login'].includes(path)) return `"co" is supported only on profile.firstName, profile.lastName, profile.email and profile.login, not "${path}"`;
    return null;
  },
};
const GROUP_FILTER_ATTRS = new Set(['id', 'type', 'lastUpdated', 'lastMembershipUpdated']);
const groupFilterPolicy: FilterPolicy = {
  allowNot: false,
  check: (path, op) => {
    if (!GROUP_FILTER_ATTRS.has(path)) return `filter supports only id, type, lastUpdated and lastMembershipUpdated, not "${path}"`;
    if (op === 'eq') return null;
    if (RANGE_OPS.has(op) && (path === 'lastUpdated' || path === 'lastMembershipUpdated')) return null;
    return `"${op}" is not supported on "${path}"`;
  },
};
const groupSearchPolicy: FilterPolicy = {
  allowNot: false,
  check: (path) => (path.startsWith('_embedded') || path.startsWith('_links') || path === 'objectClass' ? `search does not support "${path}"` : null),
};
const APP_FILTER_ATTRS = new Set(['id', 'status', 'name', 'credentials.signing.kid', 'settings.slo.enabled']);
const appFilterPolicy: FilterPolicy = {
  allowNot: false,
  check: (path, op) => (APP_FILTER_ATTRS.has(path) && op === 'eq' ? null : `apps filter supports only eq on id, status, name, credentials.signing.kid and settings.slo.enabled (got "${path} ${op}")`),
};
const logFilterPolicy: FilterPolicy = {
  allowNot: true,
  check: (path, op) => {
    if (path === 'published') return 'published cannot be used in filter; use since and until';
    if (op === 'co' && (path === 'debugContext.debugData.url' || path === 'debugContext.debugData.requestUri')) return `"co" is not supported on ${path}`;
    return null;
  },
};

export interface ServerConfig {
  concurrencyLimit: number;
  /** The org's current time in ms (see SimClock). */
  now: () => number;
  /** Okta's wall clock in ms, for `Date` headers and rate-limit resets (see SimClock). */
  wall: () => number;
}

export class SimHttpHandler {
  readonly stats: SimStats = { requests: 0, byBucket: {}, throttled429: 0, concurrency429: 0 };
  private inFlight = 0;
  private faults: FaultOptions = {};
  private faultRng = new Rng(1);
  private readonly cache = new Map<string, { version: number; value: unknown }>();

  constructor(
    private readonly org: SimOrgState,
    private readonly render: Renderer,
    private readonly auth: AuthService,
    private readonly limiter: RateLimiter,
    private readonly config: ServerConfig,
    /** Applies the changes of write requests (and records their System Log events). */
    private readonly mutator?: Mutator,
  ) {}

  setFaults(f: FaultOptions | undefined): void {
    this.faults = { ...(f ?? {}) };
    this.faultRng = new Rng(f?.seed ?? 1);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    let released = false;
    const release = (): void => {
      if (!released) { released = true; this.inFlight--; }
    };
    res.on('close', release);
    res.on('finish', release);
    this.process(req, res).catch((err: unknown) => {
      if (!res.headersSent) this.send(res, { status: 500, body: OKTA_ERRORS.internal() }, null);
      else res.destroy(err instanceof Error ? err : undefined);
    });
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.org.orgUrl);
    const method = req.method ?? 'GET';
    this.stats.requests++;
    const requestId = randomBytes(15).toString('base64url');
    res.setHeader('X-Okta-Request-Id', requestId);

    if (this.inFlight > this.config.concurrencyLimit) {
      this.stats.concurrency429++;
      res.setHeader('X-Rate-Limit-Limit', '0');
      res.setHeader('X-Rate-Limit-Remaining', '0');
      res.setHeader('X-Rate-Limit-Reset', String(Math.ceil(this.config.wall() / 1000) + 1));
      this.send(res, { status: 429, body: OKTA_ERRORS.rateLimited() }, null);
      return;
    }

    // Faults first: they model the network and Okta's front end, not the API semantics.
    const f = this.faults;
    const delay = (f.latencyMs ?? 0) + (f.jitterMs ? this.faultRng.int(f.jitterMs + 1) : 0);
    const drop = this.faultRng.chance(f.dropRate ?? 0);
    const fail = this.faultRng.chance(f.error5xxRate ?? 0);
    const truncate = this.faultRng.chance(f.truncateRate ?? 0);
    if (delay > 0) await sleep(delay);
    if (drop) { req.socket.destroy(); return; }

    const bucket = findBucket(method, url.pathname);
    const bucketId = bucket?.id ?? 'none';
    this.stats.byBucket[bucketId] = (this.stats.byBucket[bucketId] ?? 0) + 1;

    if (url.pathname === '/oauth2/v1/token') {
      if (bucket) {
        const d = this.limiter.take(bucket, 'token-endpoint');
        this.rateHeaders(res, d.limit, d.remaining, d.reset);
        if (!d.allowed) { this.stats.throttled429++; this.send(res, { status: 429, body: OKTA_ERRORS.rateLimited() }, null); return; }
      }
      if (fail) { this.send(res, { status: 500, body: OKTA_ERRORS.internal() }, null); return; }
      await this.tokenEndpoint(req, res, method);
      return;
    }

    const caller = await this.auth.authenticate(req.headers.authorization, headerOf(req, 'dpop'), method, `${this.org.orgUrl}${url.pathname}`);
    if (bucket) {
      const principal = 'principal' in caller ? caller.principal : 'unauthenticated';
      const d = this.limiter.take(bucket, principal);
      this.rateHeaders(res, d.limit, d.remaining, d.reset);
      if (!d.allowed) { this.stats.throttled429++; this.send(res, { status: 429, body: OKTA_ERRORS.rateLimited() }, null); return; }
    }
    if (!('principal' in caller)) { this.send(res, this.authFailure(caller), null); return; }
    if (fail) { this.send(res, { status: 500, body: OKTA_ERRORS.internal() }, null); return; }
    const write = method === 'GET' ? null : findWriteRoute(method, url.pathname);
    if (method !== 'GET' && (!write || !this.mutator)) {
      const allow = ['GET', ...writeMethodsFor(url.pathname)].join(', ');
      this.send(res, { status: 405, body: OKTA_ERRORS.methodNotAllowed(), headers: { Allow: allow } }, null);
      return;
    }

    let reply: Reply;
    try {
      reply = write && this.mutator
        ? routeWrite({ org: this.org, mutator: this.mutator, requireScope: (c, scope, resource) => this.requireScope(c, scope, resource) }, write, url.pathname, caller)
        : this.route(url, caller);
    } catch (err) {
      if (err instanceof HttpError) reply = err.reply;
      else throw err;
    }
    this.send(res, reply, truncate ? 0.5 : null);
  }

  private authFailure(f: AuthFailure): Reply {
    if (f.kind === 'okta') return { status: 401, body: OKTA_ERRORS.invalidToken(), headers: f.wwwAuthenticate ? { 'WWW-Authenticate': f.wwwAuthenticate } : {} };
    return { status: f.status, body: { error: f.error, error_description: f.description }, headers: { 'WWW-Authenticate': f.wwwAuthenticate } };
  }

  private rateHeaders(res: ServerResponse, limit: number, remaining: number, reset: number): void {
    res.setHeader('X-Rate-Limit-Limit', String(limit));
    res.setHeader('X-Rate-Limit-Remaining', String(remaining));
    res.setHeader('X-Rate-Limit-Reset', String(reset));
  }

  private send(res: ServerResponse, reply: Reply, truncateShare: number | null): void {
    res.statusCode = reply.status;
    // Okta's clock, which may differ from the host's (clockSkewSeconds).
    res.setHeader('Date', new Date(this.config.wall()).toUTCString());
    if (reply.body === undefined) {
      // 204, and the 200s Okta documents without content (lifecycle operations).
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      res.setHeader('Content-Length', 0);
      res.end();
      return;
    }
    const body = JSON.stringify(reply.body);
    res.setHeader('Content-Type', 'application/json');
    if (reply.links?.length) res.setHeader('Link', reply.links);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (truncateShare !== null) {
      // Chunked, half the JSON, then a clean end: the client sees a complete but broken body.
      res.end(body.slice(0, Math.floor(body.length * truncateShare)));
      return;
    }
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  }

  private async tokenEndpoint(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method !== 'POST') { this.send(res, { status: 405, body: OKTA_ERRORS.methodNotAllowed(), headers: { Allow: 'POST' } }, null); return; }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    try {
      const body = await this.auth.issueToken(form, headerOf(req, 'dpop'));
      this.send(res, { status: 200, body, headers: { 'Cache-Control': 'no-cache, no-store', Pragma: 'no-cache' } }, null);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      this.send(res, { status: err.status, body: { error: err.error, error_description: err.description }, headers: err.headers }, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Routing

  private route(url: URL, caller: Caller): Reply {
    const parts = url.pathname.split('/').filter(Boolean);
    const q = url.searchParams;
    const need = (scope: string): void => this.requireScope(caller, scope, url.pathname);
    const [a0, a1, a2, a3, a4] = parts;
    if (a0 === 'oauth2' && a1 === 'v1' && a2 === 'clients' && a3 && a4 === 'roles') {
      need('okta.roles.read');
      if (![...this.org.apps.values()].some((app) => app.clientId === a3)) throw this.notFound(`${a3} (OAuth2Client)`);
      if (parts.length === 5) return { status: 200, body: roleAssignmentsOf(this.org, 'app', a3).map((r) => this.render.roleAssignment(r)) };
      const targets = this.roleTargets(url, 'app', a3, parts.slice(5));
      if (targets) return targets;
    }
    if (a0 !== 'api' || a1 !== 'v1') throw this.notFound(url.pathname);
    switch (a2) {
      case 'users': {
        need(a4 === 'roles' ? 'okta.roles.read' : 'okta.users.read');
        if (!a3) return this.listUsers(url);
        // `me` = the user linked to the API token: the admin who created it (management-openapi.yaml, GET /api/v1/users/{id}).
        const user = a3 === 'me' ? this.tokenOwner(caller) : this.findUser(a3);
        if (parts.length === 4) return { status: 200, body: this.render.user(user) };
        if (parts.length === 5 && a4 === 'factors') return { status: 200, body: (this.org.factors.get(user.id) ?? []).map((f) => this.render.factor(f)) };
        if (parts.length === 5 && a4 === 'roles') return { status: 200, body: userRoleListOf(this.org, user.id).map((r) => this.render.roleAssignment(r)) };
        if (a4 === 'roles' && parts.length > 5) {
          const targets = this.roleTargets(url, 'user', user.id, parts.slice(5));
          if (targets) return targets;
        }
        if (parts.length === 5 && a4 === 'groups') {
          const ids = this.cached(`ug:${user.id}`, () => sortedIds(this.org.userGroups.get(user.id) ?? []));
          return this.pageSorted(url, ids, 200, 200, (id) => this.render.group(this.org.groups.get(id) as SimGroup));
        }
        break;
      }
      case 'groups': {
        need(a4 === 'roles' ? 'okta.roles.read' : 'okta.groups.read');
        if (!a3) return this.listGroups(url);
        if (a3 === 'rules' && parts.length === 4) {
          const ids = this.cached('groupRuleIds', () => sortedIds(this.org.groupRules.keys()));
          return this.pageSorted(url, ids, 50, 200, (id) => this.render.groupRule(this.org.groupRules.get(id) as SimGroupRule));
        }
        const group = this.org.groups.get(a3);
        if (!group) throw this.notFound(`${a3} (UserGroup)`);
        if (parts.length === 4) return { status: 200, body: this.render.group(group) };
        if (parts.length === 5 && a4 === 'users') {
          const ids = this.cached(`gm:${group.id}`, () => sortedIds(this.org.groupMembers.get(group.id) ?? []));
          return this.pageSorted(url, ids, 1000, 1000, (id) => this.render.user(this.org.users.get(id) as SimUser));
        }
        if (parts.length === 5 && a4 === 'roles') return { status: 200, body: roleAssignmentsOf(this.org, 'group', group.id).map((r) => this.render.roleAssignment(r)) };
        if (a4 === 'roles' && parts.length > 5) {
          const targets = this.roleTargets(url, 'group', group.id, parts.slice(5));
          if (targets) return targets;
        }
        break;
      }
      case 'apps': {
        need('okta.apps.read');
        if (!a3) return this.listApps(url);
        const app = this.org.apps.get(a3);
        if (!app) throw this.notFound(`${a3} (AppInstance)`);
        if (parts.length === 4) return { status: 200, body: this.render.app(app) };
        if (parts.length === 5 && a4 === 'users') {
          const view = this.cached(`au:${app.id}`, () => {
            const users = appUsersOf(this.org, app.id);
            return { keys: users.map((u) => u.userId), byId: new Map(users.map((u) => [u.userId, u] as const)) };
          });
          return this.pageSorted(url, view.keys, 50, 500, (id) => this.render.appUser(view.byId.get(id) as SimAppUser), 1);
        }
        if (parts.length === 6 && a4 === 'credentials' && (parts[5] === 'secrets' || parts[5] === 'jwks')) {
          // OAuth client credentials exist for OAuth clients (OIDC apps) only.
          if (!app.clientId) throw this.notFound(`${app.id} (OAuth2Client)`);
          return parts[5] === 'secrets'
            ? { status: 200, body: app.clientSecrets.map((c) => this.render.clientSecret(app, c)) }
            : { status: 200, body: app.jwks.map((k) => this.render.jwk(app, k)) };
        }
        if (parts.length === 5 && a4 === 'groups') {
          const assignments = this.org.appGroupAssignments.get(app.id) ?? new Map();
          const keys = sortedIds(assignments.keys());
          return this.pageSorted(url, keys, 20, 200, (id) => this.render.appGroup(assignments.get(id)), 20);
        }
        break;
      }
      case 'logs':
        need('okta.logs.read');
        if (parts.length === 3) return this.listLogs(url);
        break;
      case 'iam': {
        need('okta.roles.read');
        if (a3 === 'roles' && parts.length === 4) {
          const ids = sortedIds(this.org.customRoles.keys());
          return this.bodyPaged(url, ids, 20, 'roles', (id) => this.render.customRole(this.org.customRoles.get(id) as SimCustomRole));
        }
        if (a3 === 'roles' && a4 && parts.length === 6 && parts[5] === 'permissions') {
          const role = this.org.customRoles.get(a4) ?? [...this.org.customRoles.values()].find((r) => r.label === decodeURIComponent(a4));
          if (!role) throw this.notFound(`${a4} (IamRole)`);
          return { status: 200, body: { permissions: role.permissions.map((p) => this.render.permission(role, p)) } };
        }
        if (a3 === 'resource-sets' && a4 && parts.length === 6 && parts[5] === 'resources') {
          const set = this.org.resourceSets.get(a4) ?? [...this.org.resourceSets.values()].find((r) => r.label === decodeURIComponent(a4));
          if (!set) throw this.notFound(`${a4} (ResourceSet)`);
          const byId = new Map(set.resources.map((r) => [r.id, r] as const));
          const limit = this.limitParam(q, 100, 100, 1);
          return this.bodyPaged(url, sortedIds(byId.keys()), limit, 'resources', (id) => this.render.resourceSetResource(set, byId.get(id) as SimResourceSetResource), {
            'resource-set': { href: `${this.org.orgUrl}/api/v1/iam/resource-sets/${set.id}` },
          });
        }
        if (a3 === 'resource-sets' && parts.length === 4) {
          const ids = sortedIds(this.org.resourceSets.keys());
          return this.bodyPaged(url, ids, 20, 'resource-sets', (id) => this.render.resourceSet(this.org.resourceSets.get(id) as SimResourceSet));
        }
        if (a3 === 'assignees' && a4 === 'users' && parts.length === 5) {
          const ids = this.cached('assignees', () => roleHolderUserIds(this.org));
          const limit = this.limitParam(q, 100, 100, 1);
          return this.bodyPaged(url, ids, limit, 'value', (id) => this.render.assigneeUser(this.org.users.get(id) as SimUser));
        }
        break;
      }
      case 'api-tokens': {
        need('okta.apiTokens.read');
        if (parts.length === 3) return { status: 200, body: this.visibleApiTokens(caller).map((t) => this.render.apiToken(t)) };
        break;
      }
      default:
        break;
    }
    throw this.notFound(url.pathname);
  }

  /**
   * `GET /api/v1/api-tokens`: super and org admins see every token; other admins their own
   * ("view user tokens: self only" in Okta's permission table); a service app without either role none.
   */
  private visibleApiTokens(caller: Caller): SimApiToken[] {
    const roles = caller.kind === 'oauth'
      ? roleAssignmentsOf(this.org, 'app', caller.clientId ?? '').map((r) => r.type as string)
      : caller.ownerId ? userRoleListOf(this.org, caller.ownerId).map((r) => r.type as string) : [...(caller.roles ?? [])];
    const all = sortedIds(this.org.apiTokens.keys()).map((id) => this.org.apiTokens.get(id) as SimApiToken);
    if (roles.includes('SUPER_ADMIN') || roles.includes('ORG_ADMIN')) return all;
    return caller.ownerId ? all.filter((t) => t.userId === caller.ownerId) : [];
  }

  /**
   * `…/roles/{roleAssignmentId}/targets/groups` and `…/targets/catalog/apps` of a user's, group's or
   * service app's own assignment; null when `rest` is not one of those paths. An empty array when
   * the role is not scoped; 400 E0000091 for a role that takes no targets of that kind.
   */
  private roleTargets(url: URL, kind: 'user' | 'group' | 'app', principalId: string, rest: string[]): Reply | null {
    const [assignmentId, t0, t1, t2] = rest;
    const groups = rest.length === 3 && t0 === 'targets' && t1 === 'groups';
    const apps = rest.length === 4 && t0 === 'targets' && t1 === 'catalog' && t2 === 'apps';
    if (!assignmentId || (!groups && !apps)) return null;
    const a = this.org.roleAssignments.get(assignmentId);
    if (!a || a.principalKind !== kind || a.principalId !== principalId) throw this.notFound(`${assignmentId} (RoleAssignment)`);
    if (groups) {
      if (!GROUP_TARGET_ROLES.includes(a.type as StandardRoleType)) throw new HttpError({ status: 400, body: OKTA_ERRORS.roleTypeMismatch() });
      const ids = sortedIds(a.groupTargets.filter((id) => this.org.groups.has(id)));
      return this.pageSorted(url, ids, 20, 200, (id) => this.render.group(this.org.groups.get(id) as SimGroup));
    }
    if (!APP_TARGET_ROLES.includes(a.type as StandardRoleType)) throw new HttpError({ status: 400, body: OKTA_ERRORS.roleTypeMismatch() });
    const byKey = new Map<string, SimAppTarget>(a.appTargets.map((t) => [`${t.name}\u0000${t.appId ?? ''}`, t]));
    return this.pageSorted(url, sortedIds(byKey.keys()), 20, 200, (key) => this.render.appTarget(byKey.get(key) as SimAppTarget));
  }

  private requireScope(caller: Caller, scope: string, resource: string): void {
    const appRoles = caller.kind === 'oauth' && caller.clientId !== null ? roleAssignmentsOf(this.org, 'app', caller.clientId).map((r) => r.type) : null;
    if (appRoles !== null && appRoles.length === 0) {
      // Permissions = scopes ∩ admin roles: a service app without an admin role may do nothing.
      throw new HttpError({ status: 403, body: OKTA_ERRORS.forbidden() });
    }
    if (!hasScope(caller.scopes, scope)) {
      if (caller.kind === 'ssws') {
        // An API token acts with its admin's role: a restricted token is "forbidden by role".
        throw new HttpError({ status: 403, body: OKTA_ERRORS.forbidden() });
      }
      const scheme = caller.scheme === 'DPoP' ? 'DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512",' : 'Bearer';
      throw new HttpError({
        status: 403,
        body: OKTA_ERRORS.forbidden(),
        headers: {
          'WWW-Authenticate': `${scheme} authorization_uri="${this.org.orgUrl}/oauth2/v1/authorize", realm="IdpMe", scope="${scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${resource}"`,
        },
      });
    }
    // Okta's table of standard admin permissions gives "Add, remove, and view administrators" to
    // the super admin alone (https://help.okta.com/en-us/content/topics/security/administrators-admin-comparison.htm):
    // a read-only admin (its API token, or a service app holding only that role) reads users, groups,
    // apps and the System Log, but role assignments and the IAM listings answer 403 E0000006.
    if (scope === 'okta.roles.read') {
      const roles = appRoles ?? [...(caller.roles ?? [])];
      if (!roles.some((r) => ROLES_THAT_VIEW_ADMINS.has(r))) throw new HttpError({ status: 403, body: OKTA_ERRORS.forbidden() });
    }
  }

  private notFound(what: string): HttpError {
    return new HttpError({ status: 404, body: OKTA_ERRORS.notFound(what) });
  }

  private tokenOwner(caller: Caller): SimUser {
    const owner = caller.ownerId ? this.org.users.get(caller.ownerId) : undefined;
    if (!owner) throw this.notFound('me (User)');
    return owner;
  }

  private findUser(idOrLogin: string): SimUser {
    const byId = this.org.users.get(idOrLogin);
    if (byId) return byId;
    const login = decodeURIComponent(idOrLogin);
    const idx = this.cached('loginIndex', () => new Map([...this.org.users.values()].map((u) => [u.profile.login.toLowerCase(), u.id] as const)));
    const id = idx.get(login.toLowerCase());
    const u = id ? this.org.users.get(id) : undefined;
    if (!u) throw this.notFound(`${idOrLogin} (User)`);
    return u;
  }

  private cached<T>(key: string, compute: () => T): T {
    const hit = this.cache.get(key);
    if (hit && hit.version === this.org.version) return hit.value as T;
    const value = compute();
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(key, { version: this.org.version, value });
    return value;
  }

  /** Call after changes that bypass `org.version` bookkeeping. */
  invalidate(): void {
    this.cache.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Paging helpers

  private limitParam(q: URLSearchParams, def: number, max: number, min: number): number {
    const raw = q.get('limit');
    if (raw === null || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation(`limit: "${raw}" is not an integer`) });
    if (n < 1) return Math.max(min, def);
    return Math.min(max, Math.max(min, n));
  }

  /** Self/next links echoing the effective query: after (if any), limit, then the other parameters. */
  private links(url: URL, limit: number, after: string | null, next: string | null, dropInNext: readonly string[] = []): string[] {
    const build = (cursor: string | null, drop: readonly string[]): string => {
      const q = new URLSearchParams();
      if (cursor !== null) q.set('after', cursor);
      q.set('limit', String(limit));
      for (const [k, v] of url.searchParams) if (k !== 'after' && k !== 'limit' && !drop.includes(k)) q.append(k, v);
      return `<${this.org.orgUrl}${url.pathname}?${q.toString()}>`;
    };
    const out = [`${build(after, [])}; rel="self"`];
    if (next !== null) out.push(`${build(next, dropInNext)}; rel="next"`);
    return out;
  }

  private pageSorted(url: URL, keys: readonly string[], def: number, max: number, renderOne: (key: string) => unknown, min = 1, accept?: (key: string) => boolean): Reply {
    const limit = this.limitParam(url.searchParams, def, max, min);
    const afterParam = url.searchParams.get('after');
    let i = afterParam ? lowerBound(keys, decodeCursor(afterParam)) : 0;
    const out: unknown[] = [];
    let last: string | null = null;
    for (; i < keys.length && out.length < limit; i++) {
      const key = keys[i] as string;
      if (accept && !accept(key)) continue;
      out.push(renderOne(key));
      last = key;
    }
    let more = false;
    for (let j = i; j < keys.length; j++) {
      if (!accept || accept(keys[j] as string)) { more = true; break; }
    }
    const next = more && last !== null ? encodeCursor(last) : null;
    return { status: 200, body: out, links: this.links(url, limit, afterParam, next) };
  }

  /** IAM endpoints page in the body (`_links.next`), without a Link header. */
  private bodyPaged(url: URL, keys: readonly string[], pageSize: number, field: string, renderOne: (key: string) => unknown, extraLinks: Record<string, unknown> = {}): Reply {
    const afterParam = url.searchParams.get('after');
    const start = afterParam ? lowerBound(keys, decodeCursor(afterParam)) : 0;
    const slice = keys.slice(start, start + pageSize);
    const body: Record<string, unknown> = { [field]: slice.map(renderOne) };
    const links: Record<string, unknown> = { ...extraLinks };
    if (start + pageSize < keys.length) {
      const q = new URLSearchParams(url.searchParams);
      q.set('after', encodeCursor(slice[slice.length - 1] as string));
      links.next = { href: `${this.org.orgUrl}${url.pathname}?${q.toString()}` };
    }
    if (Object.keys(links).length) body._links = links;
    return { status: 200, body };
  }

  private parse(expr: string, policy: FilterPolicy, kind: 'search' | 'filter'): FilterAst {
    try {
      const ast = parseFilter(expr);
      validateFilter(ast, policy);
      return ast;
    } catch (err) {
      if (!(err instanceof FilterSyntaxError)) throw err;
      throw new HttpError({ status: 400, body: kind === 'search' ? OKTA_ERRORS.invalidSearch(`search: ${err.message}`) : OKTA_ERRORS.invalidFilter(`filter: ${err.message}`) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lists

  private listUsers(url: URL): Reply {
    const q = url.searchParams;
    const ids = this.cached('userIds', () => sortedIds(this.org.users.keys()));
    const users = this.org.users;
    const qText = q.get('q');
    const search = q.get('search');
    const filter = q.get('filter');
    if (qText !== null && search === null && filter === null) {
      // q: startsWith on firstName/lastName/email, default 10, not pageable, DEPROVISIONED omitted.
      const limit = this.limitParam(q, 10, 200, 1);
      const needle = qText.toLowerCase();
      const out: unknown[] = [];
      for (const id of ids) {
        const u = users.get(id) as SimUser;
        if (u.status === 'DEPROVISIONED') continue;
        const p = u.profile;
        if (p.firstName.toLowerCase().startsWith(needle) || p.lastName.toLowerCase().startsWith(needle) || p.email.toLowerCase().startsWith(needle)) {
          out.push(this.render.user(u));
          if (out.length >= limit) break;
        }
      }
      return { status: 200, body: out, links: this.links(url, limit, null, null) };
    }
    let accept: (id: string) => boolean;
    if (search !== null) {
      const ast = this.parse(search, userSearchPolicy, 'search');
      accept = (id) => evaluateFilter(ast, pathGetter(users.get(id)), true);
    } else if (filter !== null) {
      const ast = this.parse(filter, userFilterPolicy, 'filter');
      accept = (id) => evaluateFilter(ast, pathGetter(users.get(id)), false);
    } else {
      accept = (id) => users.get(id)?.status !== 'DEPROVISIONED';
    }
    return this.pageSorted(url, ids, 200, 200, (id) => this.render.user(users.get(id) as SimUser), 1, accept);
  }

  private listGroups(url: URL): Reply {
    const q = url.searchParams;
    const ids = this.cached('groupIds', () => sortedIds(this.org.groups.keys()));
    const groups = this.org.groups;
    const view = (g: SimGroup): Record<string, unknown> => ({ ...g, profile: { name: g.name, description: g.description }, source: g.sourceAppId ? { id: g.sourceAppId } : undefined });
    const qText = q.get('q');
    if (qText !== null) {
      // q: startsWith on name, default 300, no paging and no Link header.
      const limit = this.limitParam(q, 300, 10000, 1);
      const needle = qText.toLowerCase();
      const out = ids.map((id) => groups.get(id) as SimGroup).filter((g) => g.name.toLowerCase().startsWith(needle)).slice(0, limit);
      return { status: 200, body: out.map((g) => this.render.group(g)) };
    }
    let accept: ((id: string) => boolean) | undefined;
    const search = q.get('search');
    const filter = q.get('filter');
    if (search !== null) {
      const ast = this.parse(search, groupSearchPolicy, 'search');
      accept = (id) => evaluateFilter(ast, pathGetter(view(groups.get(id) as SimGroup)), true);
    } else if (filter !== null) {
      const ast = this.parse(filter, groupFilterPolicy, 'filter');
      accept = (id) => evaluateFilter(ast, pathGetter(view(groups.get(id) as SimGroup)), false);
    }
    const stats = (q.get('expand') ?? '').split(',').includes('stats');
    return this.pageSorted(url, ids, 10000, 10000, (id) => this.groupWithStats(groups.get(id) as SimGroup, stats), 1, accept);
  }

  /** `expand=stats` adds `_embedded.stats` (the spec's listGroups `expand` parameter). */
  private groupWithStats(g: SimGroup, stats: boolean): unknown {
    const body = this.render.group(g);
    if (!stats) return body;
    let appsCount = 0;
    for (const assignments of this.org.appGroupAssignments.values()) if (assignments.has(g.id)) appsCount++;
    const hasAdminPrivilege = [...this.org.roleAssignments.values()].some((r) => r.principalKind === 'group' && r.principalId === g.id);
    return {
      ...body,
      _embedded: {
        stats: {
          // Okta's spelling (the spec's Group._embedded.stats).
          usersCount: this.org.groupMembers.get(g.id)?.size ?? 0, appsCount, groupPushMappingsCount: 0, hasAdminPrivlege: hasAdminPrivilege,
        },
      },
    };
  }

  private listApps(url: URL): Reply {
    const q = url.searchParams;
    const ids = this.cached('appIds', () => sortedIds(this.org.apps.keys()));
    const apps = this.org.apps;
    let accept: ((id: string) => boolean) | undefined;
    const filter = q.get('filter');
    const qText = q.get('q');
    if (filter !== null) {
      const ast = this.parse(filter, appFilterPolicy, 'filter');
      accept = (id) => evaluateFilter(ast, pathGetter(this.render.app(apps.get(id) as SimApp)), false);
    } else if (qText !== null) {
      const needle = qText.toLowerCase();
      accept = (id) => {
        const a = apps.get(id);
        return !!a && (a.name.toLowerCase().startsWith(needle) || a.label.toLowerCase().startsWith(needle));
      };
    }
    return this.pageSorted(url, ids, 20, 200, (id) => this.render.app(apps.get(id) as SimApp), 1, accept);
  }

  /** System Log with Okta's polling semantics (https://developer.okta.com/docs/reference/system-log-query/). */
  private listLogs(url: URL): Reply {
    const q = url.searchParams;
    const limit = this.limitParam(q, 100, 1000, 1);
    const sortOrder = (q.get('sortOrder') ?? 'ASCENDING').toUpperCase();
    if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') throw new HttpError({ status: 400, body: OKTA_ERRORS.validation(`sortOrder: must be ASCENDING or DESCENDING, got "${sortOrder}"`) });
    const parseTime = (name: string): number | null => {
      const raw = q.get(name);
      if (raw === null) return null;
      const t = Date.parse(raw);
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(raw)) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation(`${name}: "${raw}" is not an ISO 8601 timestamp`) });
      return t;
    };
    const since = parseTime('since');
    const until = parseTime('until');
    const afterParam = q.get('after');
    if (since !== null && afterParam !== null) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation('since and after cannot be used together; follow the next link as given') });
    const nowMs = this.config.now();
    if (since !== null && since < nowMs - 180 * DAY) throw new HttpError({ status: 400, body: OKTA_ERRORS.invalidFilter('Invalid parameter: The since parameter is over 180 days prior to the current day.') });
    const filterExpr = q.get('filter');
    const ast = filterExpr !== null ? this.parse(filterExpr, logFilterPolicy, 'filter') : null;
    const keywords = (q.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (keywords.length > 10 || keywords.some((k) => k.length > 40)) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation('q: at most 10 keywords of at most 40 characters') });
    const matches = (e: OktaLogEvent): boolean => {
      if (ast && !evaluateFilter(ast, pathGetter(e), true)) return false;
      if (keywords.length) {
        const text = JSON.stringify(e).toLowerCase();
        return keywords.every((k) => text.includes(k));
      }
      return true;
    };
    const events = this.org.events;
    const effectiveSince = since ?? (until ?? nowMs) - 7 * DAY;
    const retention = nowMs - 90 * DAY;

    if (sortOrder === 'ASCENDING' && until === null) {
      // Polling: persistence order, infinite — a next link is always present.
      let start = 0;
      if (afterParam !== null) start = Number(decodeCursor(afterParam).replace(/^p:/, '')) + 1;
      if (!Number.isInteger(start) || start < 0) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation('after: the cursor is not valid; follow the next link as given') });
      const out: OktaLogEvent[] = [];
      let i = start;
      for (; i < events.length && out.length < limit; i++) {
        const e = events[i] as OktaLogEvent;
        if (afterParam === null) {
          const t = Date.parse(e.published);
          if (t < effectiveSince || t < retention) continue;
        }
        if (matches(e)) out.push(e);
      }
      const cursor = encodeCursor(`p:${i - 1}`);
      // `since` and `after` are mutually exclusive: the cursor carries the position.
      return { status: 200, body: out, links: this.links(url, limit, afterParam, cursor, ['since']) };
    }
    // Bounded or descending: ordered by published, finite. The cursor carries the window start.
    let windowStart = effectiveSince;
    let offset = 0;
    if (afterParam !== null) {
      const m = /^b:(-?\d+):(\d+)$/.exec(decodeCursor(afterParam));
      if (!m) throw new HttpError({ status: 400, body: OKTA_ERRORS.validation('after: the cursor is not valid; follow the next link as given') });
      windowStart = Number(m[1]);
      offset = Number(m[2]);
    }
    const upper = until ?? nowMs + 1;
    const window = this.cached(`logs:${windowStart}:${upper}:${filterExpr ?? ''}:${keywords.join(' ')}`, () => {
      const idx: number[] = [];
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as OktaLogEvent;
        const t = Date.parse(e.published);
        if (t >= windowStart && t < upper && t >= retention && matches(e)) idx.push(i);
      }
      idx.sort((x, y) => Date.parse((events[x] as OktaLogEvent).published) - Date.parse((events[y] as OktaLogEvent).published) || x - y);
      return idx;
    });
    const ordered = sortOrder === 'DESCENDING' ? [...window].reverse() : window;
    const page = ordered.slice(offset, offset + limit);
    const next = offset + limit < ordered.length ? encodeCursor(`b:${windowStart}:${offset + limit}`) : null;
    return { status: 200, body: page.map((i) => events[i]), links: this.links(url, limit, afterParam, next, ['since']) };
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
