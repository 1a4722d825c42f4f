import { ConfigError, maxResponseBytesFromEnv, type Logger } from '@idgraph/core';
import { OAuthAuthorizer, SswsAuthorizer, type OktaAuth, type RequestAuthorizer, type ScopeState } from './auth/authorizer.js';
import { OktaApiError } from './errors.js';
import { createMemoryRateGovernor } from './governor/memory.js';
import type { RateGovernor } from './governor/types.js';
import { bodyNextLink, pageItems, parseLinkHeader } from './links.js';
import { SecretsInHand } from './secrets-in-hand.js';
import { Transport, type RequestEvent, type TransportStats } from './transport.js';
import type {
  OktaApiToken,
  OktaApp,
  OktaAppGroup,
  OktaCatalogAppTarget,
  OktaClientCredential,
  OktaGroupRule,
  OktaPermission,
  OktaResourceSetResource,
  OktaAppUser,
  OktaCustomRole,
  OktaFactor,
  OktaGroup,
  OktaLogEvent,
  OktaResourceSet,
  OktaRoleAssignee,
  OktaRoleAssignment,
  OktaUser,
} from './types.js';

export type Query = Record<string, string | number | undefined>;

export interface OktaClientOptions {
  orgUrl: string;
  auth: OktaAuth;
  /** https is required unless this is set (local simulators and tests only). */
  allowInsecureHttp?: boolean;
  /** Default: createMemoryRateGovernor(). */
  governor?: RateGovernor;
  /** Per request, default 30000. */
  timeoutMs?: number;
  /** Retries of 5xx, network errors, timeouts and truncated bodies; default 6. */
  maxRetries?: number;
  /** Largest response body accepted (bytes, after decompression); default IDGRAPH_MAX_RESPONSE_BYTES or 64 MiB. */
  maxResponseBytes?: number;
  signal?: AbortSignal;
  logger?: Logger;
  onRequest?: (e: RequestEvent) => void;
}

/** The holder of a role assignment: a user, a group, or a service app by its OAuth client id. */
export interface RolePrincipal {
  kind: 'user' | 'group' | 'app';
  id: string;
}

export interface OktaPage<T> {
  items: T[];
  nextUrl: string | null;
  selfUrl: string | null;
  /** The response's Date header (Okta's clock), else the local receive time. */
  fetchedAt: Date;
}

export interface ListResult<T> {
  items: T[];
  fetchedAt: Date;
}

export interface Fetched<T> {
  body: T;
  fetchedAt: Date;
}

export interface PagesOptions {
  query?: Query;
  startUrl?: string | null;
  itemsKey?: string;
}

export interface OktaClient {
  readonly orgUrl: string;
  stats(): TransportStats;
  /** OAuth: the scopes requested, granted and refused so far; null for an API token (it is not scoped). */
  scopeState(): ScopeState | null;
  getJson<T>(pathOrUrl: string, query?: Query): Promise<{ body: T; fetchedAt: Date; headers: Headers }>;
  /**
   * A management-API write without a request body (lifecycle POSTs, DELETEs). Resolves on 2xx
   * (`body` undefined for 204 and empty 200s), throws OktaApiError otherwise. A write whose answer
   * was lost is retried like any request up to `maxRetries`, so callers that must not repeat a
   * change (a second DELETE of a user deletes what the first only deactivated) use maxRetries 0.
   */
  write(method: 'POST' | 'DELETE', path: string, query?: Query): Promise<{ status: number; body: unknown; fetchedAt: Date; headers: Headers }>;
  /** Follows `next` exactly as given; `startUrl` resumes from a saved next link. */
  pages<T>(path: string, opts?: PagesOptions): AsyncIterable<OktaPage<T>>;
  listUsers(opts?: { search?: string; filter?: string; startUrl?: string | null }): AsyncIterable<OktaPage<OktaUser>>;
  listGroups(opts?: { filter?: string; search?: string; startUrl?: string | null }): AsyncIterable<OktaPage<OktaGroup>>;
  listGroupUsers(groupId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaUser>>;
  listApps(opts?: { filter?: string; startUrl?: string | null }): AsyncIterable<OktaPage<OktaApp>>;
  listAppUsers(appId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaAppUser>>;
  listAppGroups(appId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaAppGroup>>;
  listUserFactors(userId: string): Promise<ListResult<OktaFactor>>;
  listUserRoles(userId: string): Promise<ListResult<OktaRoleAssignment>>;
  listGroupRoles(groupId: string): Promise<ListResult<OktaRoleAssignment>>;
  /** Role assignments of a service app (GET /oauth2/v1/clients/{clientId}/roles). */
  listClientRoles(clientId: string): Promise<ListResult<OktaRoleAssignment>>;
  listRoleAssigneeUsers(opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaRoleAssignee>>;
  listCustomRoles(opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaCustomRole>>;
  listResourceSets(opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaResourceSet>>;
  /** Permissions of a custom role (one list, no paging). */
  listCustomRolePermissions(roleId: string): Promise<ListResult<OktaPermission>>;
  /** Resources of a resource set, by ORN (paged in the body). */
  listResourceSetResources(resourceSetId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaResourceSetResource>>;
  /** Group targets of a USER_ADMIN, HELP_DESK_ADMIN or GROUP_MEMBERSHIP_ADMIN assignment of a user, group or service app (its client id). */
  listRoleTargetGroups(principal: RolePrincipal, assignmentId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaGroup>>;
  /** App targets of an APP_ADMIN assignment. */
  listRoleTargetApps(principal: RolePrincipal, assignmentId: string, opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaCatalogAppTarget>>;
  /** API token metadata (okta.apiTokens.read). */
  listApiTokens(): Promise<ListResult<OktaApiToken>>;
  /** OAuth client secrets of an app: the client strips every secret value before returning. */
  listAppClientSecrets(appId: string): Promise<ListResult<OktaClientCredential>>;
  /** JSON Web Keys of an OAuth client app (public keys; only their metadata matters). */
  listAppJwks(appId: string): Promise<ListResult<OktaClientCredential>>;
  listGroupRules(opts?: { startUrl?: string | null }): AsyncIterable<OktaPage<OktaGroupRule>>;
  getUser(id: string): Promise<Fetched<OktaUser> | null>;
  getGroup(id: string): Promise<Fetched<OktaGroup> | null>;
  getApp(id: string): Promise<Fetched<OktaApp> | null>;
  /** System Log polling (ASCENDING, no until): one page; `nextUrl` is always set. */
  pollLogs(opts: { since?: Date; startUrl?: string | null; limit?: number }): Promise<OktaPage<OktaLogEvent>>;
}

/** Largest `limit` each list endpoint accepts (each operation's `limit` in Okta's management OpenAPI spec); fewer pages = fewer rate-limited calls. */
export const PAGE_LIMITS = {
  users: 200,
  groups: 10_000,
  groupUsers: 1000,
  apps: 200,
  appUsers: 500,
  appGroups: 200,
  roleAssignees: 100,
  resourceSetResources: 100,
  roleTargets: 200,
  groupRules: 200,
  logs: 1000,
} as const;

/** Validates and normalises the org URL to its origin: `https://acme.okta.com`. */
export function normalizeOrgUrl(orgUrl: string, allowInsecureHttp = false): string {
  const expected = 'an https:// Okta org URL such as https://acme.okta.com (http only with allowInsecureHttp, for local simulators)';
  let u: URL;
  try {
    u = new URL(orgUrl);
  } catch {
    throw new ConfigError('orgUrl', expected, orgUrl);
  }
  if (u.username || u.password) throw new ConfigError('orgUrl', `${expected}, without user:password`, `${u.protocol}//***@${u.host}`);
  if (u.protocol === 'http:' && !allowInsecureHttp) throw new ConfigError('orgUrl', expected, orgUrl);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError('orgUrl', expected, orgUrl);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    throw new ConfigError('orgUrl', `${expected}, with no path or query (got path ${u.pathname})`, u.origin);
  }
  return u.origin;
}

export function createOktaClient(opts: OktaClientOptions): OktaClient {
  return new HttpOktaClient(opts);
}

class HttpOktaClient implements OktaClient {
  readonly orgUrl: string;
  private readonly transport: Transport;
  private readonly authorizer: RequestAuthorizer;
  private readonly logger: Logger | undefined;
  /** Credentials this client holds or made; removed from every error it throws. */
  private readonly secrets = new SecretsInHand();

  constructor(opts: OktaClientOptions) {
    this.orgUrl = normalizeOrgUrl(opts.orgUrl, opts.allowInsecureHttp ?? false);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const maxRetries = opts.maxRetries ?? 6;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError(`maxRetries must be a non-negative integer, got ${maxRetries}`);
    const maxResponseBytes = opts.maxResponseBytes ?? maxResponseBytesFromEnv();
    if (!Number.isInteger(maxResponseBytes) || maxResponseBytes < 1) throw new RangeError(`maxResponseBytes must be a positive integer, got ${maxResponseBytes}`);
    this.logger = opts.logger;
    this.transport = new Transport({
      org: this.orgUrl,
      governor: opts.governor ?? createMemoryRateGovernor(),
      timeoutMs,
      maxRetries,
      maxResponseBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    });
    switch (opts.auth.kind) {
      case 'ssws':
        this.authorizer = new SswsAuthorizer(opts.auth.token);
        this.secrets.addFixed(opts.auth.token);
        break;
      case 'oauth':
        this.authorizer = new OAuthAuthorizer(opts.auth, this.orgUrl, this.transport, opts.logger, this.secrets);
        break;
      default:
        throw new TypeError(`auth.kind must be 'ssws' or 'oauth'`);
    }
  }

  stats(): TransportStats {
    return { ...this.transport.stats };
  }

  scopeState(): ScopeState | null {
    return this.authorizer instanceof OAuthAuthorizer ? this.authorizer.scopeState() : null;
  }

  /** Resolves a path (+ query) or an absolute URL and refuses URLs outside the org: credentials go nowhere else. */
  private resolve(pathOrUrl: string, query?: Query): string {
    const u = new URL(pathOrUrl, this.orgUrl);
    if (u.origin !== this.orgUrl) {
      throw new TypeError(`refusing to send Okta credentials to ${u.origin}: URLs must be on the org ${this.orgUrl} (a saved next link from another org?)`);
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Every request goes through here, token requests included: no error leaves it with a credential in it. */
  private async send(method: string, url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
    try {
      let res = await this.transport.exchange({ method, url, headers: () => this.authorizer.headersFor(method, url) });
      if ((res.status === 401 || res.status === 400) && this.authorizer.recover(res)) {
        res = await this.transport.exchange({ method, url, headers: () => this.authorizer.headersFor(method, url) });
      }
      if (res.status >= 200 && res.status < 300) return res;
      throw new OktaApiError({ status: res.status, method, url, body: res.body, wwwAuthenticate: res.headers.get('www-authenticate') });
    } catch (err) {
      throw this.secrets.redactError(err);
    }
  }

  async getJson<T>(pathOrUrl: string, query?: Query): Promise<{ body: T; fetchedAt: Date; headers: Headers }> {
    const res = await this.send('GET', this.resolve(pathOrUrl, query));
    return { body: res.body as T, fetchedAt: responseDate(res.headers), headers: res.headers };
  }

  async write(method: 'POST' | 'DELETE', path: string, query?: Query): Promise<{ status: number; body: unknown; fetchedAt: Date; headers: Headers }> {
    if (method !== 'POST' && method !== 'DELETE') throw new TypeError(`write method must be POST or DELETE, got ${String(method)}`);
    const res = await this.send(method, this.resolve(path, query));
    return { status: res.status, body: res.body, fetchedAt: responseDate(res.headers), headers: res.headers };
  }

  async *pages<T>(path: string, opts: PagesOptions = {}): AsyncIterable<OktaPage<T>> {
    let url: string | null = opts.startUrl ? this.resolve(opts.startUrl) : this.resolve(path, opts.query);
    while (url) {
      const res: { body: unknown; headers: Headers; fetchedAt: Date } = await this.getJson<unknown>(url);
      const { body, headers, fetchedAt } = res;
      const links = parseLinkHeader(headers.get('link'));
      const next: string | null = links.next ?? bodyNextLink(body);
      let items: T[];
      try {
        items = pageItems<T>(body, opts.itemsKey);
      } catch (err) {
        throw this.secrets.redactError(new TypeError(`Okta GET ${new URL(url).pathname}: ${(err as Error).message}`));
      }
      const nextUrl: string | null = next ? this.resolve(next) : null;
      yield { items, nextUrl, selfUrl: links.self ?? null, fetchedAt };
      url = nextUrl;
    }
  }

  listUsers(opts: { search?: string; filter?: string; startUrl?: string | null } = {}) {
    return this.pages<OktaUser>('/api/v1/users', {
      query: { limit: PAGE_LIMITS.users, search: opts.search, filter: opts.filter },
      startUrl: opts.startUrl ?? null,
    });
  }

  listGroups(opts: { filter?: string; search?: string; startUrl?: string | null } = {}) {
    return this.pages<OktaGroup>('/api/v1/groups', {
      query: { limit: PAGE_LIMITS.groups, filter: opts.filter, search: opts.search },
      startUrl: opts.startUrl ?? null,
    });
  }

  listGroupUsers(groupId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaUser>(`/api/v1/groups/${segment(groupId, 'groupId')}/users`, {
      query: { limit: PAGE_LIMITS.groupUsers },
      startUrl: opts.startUrl ?? null,
    });
  }

  listApps(opts: { filter?: string; startUrl?: string | null } = {}) {
    // includeNonDeleted: inactive apps still carry assignments that matter for posture.
    return this.pages<OktaApp>('/api/v1/apps', {
      query: { limit: PAGE_LIMITS.apps, filter: opts.filter, includeNonDeleted: 'true' },
      startUrl: opts.startUrl ?? null,
    });
  }

  listAppUsers(appId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaAppUser>(`/api/v1/apps/${segment(appId, 'appId')}/users`, {
      query: { limit: PAGE_LIMITS.appUsers },
      startUrl: opts.startUrl ?? null,
    });
  }

  listAppGroups(appId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaAppGroup>(`/api/v1/apps/${segment(appId, 'appId')}/groups`, {
      query: { limit: PAGE_LIMITS.appGroups },
      startUrl: opts.startUrl ?? null,
    });
  }

  private async listAll<T>(path: string): Promise<ListResult<T>> {
    const items: T[] = [];
    let fetchedAt: Date | null = null;
    // These endpoints return one array; follow a next link anyway should Okta ever add one.
    for await (const page of this.pages<T>(path)) {
      items.push(...page.items);
      fetchedAt ??= page.fetchedAt;
    }
    return { items, fetchedAt: fetchedAt ?? new Date() };
  }

  private async listAllOf<T>(path: string, itemsKey: string): Promise<ListResult<T>> {
    const items: T[] = [];
    let fetchedAt: Date | null = null;
    for await (const page of this.pages<T>(path, { itemsKey })) {
      items.push(...page.items);
      fetchedAt ??= page.fetchedAt;
    }
    return { items, fetchedAt: fetchedAt ?? new Date() };
  }

  listUserFactors(userId: string) {
    return this.listAll<OktaFactor>(`/api/v1/users/${segment(userId, 'userId')}/factors`);
  }

  listUserRoles(userId: string) {
    return this.listAll<OktaRoleAssignment>(`/api/v1/users/${segment(userId, 'userId')}/roles`);
  }

  listGroupRoles(groupId: string) {
    return this.listAll<OktaRoleAssignment>(`/api/v1/groups/${segment(groupId, 'groupId')}/roles`);
  }

  listClientRoles(clientId: string) {
    return this.listAll<OktaRoleAssignment>(`/oauth2/v1/clients/${segment(clientId, 'clientId')}/roles`);
  }

  listRoleAssigneeUsers(opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaRoleAssignee>('/api/v1/iam/assignees/users', {
      query: { limit: PAGE_LIMITS.roleAssignees },
      startUrl: opts.startUrl ?? null,
      itemsKey: 'value',
    });
  }

  listCustomRoles(opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaCustomRole>('/api/v1/iam/roles', { startUrl: opts.startUrl ?? null, itemsKey: 'roles' });
  }

  listResourceSets(opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaResourceSet>('/api/v1/iam/resource-sets', { startUrl: opts.startUrl ?? null, itemsKey: 'resource-sets' });
  }

  listCustomRolePermissions(roleId: string) {
    return this.listAllOf<OktaPermission>(`/api/v1/iam/roles/${segment(roleId, 'roleId')}/permissions`, 'permissions');
  }

  listResourceSetResources(resourceSetId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaResourceSetResource>(`/api/v1/iam/resource-sets/${segment(resourceSetId, 'resourceSetId')}/resources`, {
      query: { limit: PAGE_LIMITS.resourceSetResources },
      startUrl: opts.startUrl ?? null,
      itemsKey: 'resources',
    });
  }

  private roleAssignmentPath(principal: RolePrincipal, assignmentId: string): string {
    const base = principal.kind === 'user' ? `/api/v1/users/${segment(principal.id, 'userId')}`
      : principal.kind === 'group' ? `/api/v1/groups/${segment(principal.id, 'groupId')}`
        : `/oauth2/v1/clients/${segment(principal.id, 'clientId')}`;
    return `${base}/roles/${segment(assignmentId, 'roleAssignmentId')}`;
  }

  listRoleTargetGroups(principal: RolePrincipal, assignmentId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaGroup>(`${this.roleAssignmentPath(principal, assignmentId)}/targets/groups`, {
      query: { limit: PAGE_LIMITS.roleTargets },
      startUrl: opts.startUrl ?? null,
    });
  }

  listRoleTargetApps(principal: RolePrincipal, assignmentId: string, opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaCatalogAppTarget>(`${this.roleAssignmentPath(principal, assignmentId)}/targets/catalog/apps`, {
      query: { limit: PAGE_LIMITS.roleTargets },
      startUrl: opts.startUrl ?? null,
    });
  }

  listApiTokens() {
    return this.listAll<OktaApiToken>('/api/v1/api-tokens');
  }

  async listAppClientSecrets(appId: string): Promise<ListResult<OktaClientCredential>> {
    const { items, fetchedAt } = await this.listAll<OktaClientCredential>(`/api/v1/apps/${segment(appId, 'appId')}/credentials/secrets`);
    // The listing carries each secret's value and hash: they never leave the client.
    return { items: items.map(({ client_secret: _value, secret_hash: _hash, ...metadata }) => metadata as OktaClientCredential), fetchedAt };
  }

  async listAppJwks(appId: string): Promise<ListResult<OktaClientCredential>> {
    const { body, fetchedAt } = await this.getJson<unknown>(`/api/v1/apps/${segment(appId, 'appId')}/credentials/jwks`);
    // The spec's schema is an array of keys; its example wraps them as {jwks: {keys: […]}}.
    const keys = Array.isArray(body) ? body : ((body as { jwks?: { keys?: unknown } } | null)?.jwks?.keys ?? []);
    if (!Array.isArray(keys)) throw new TypeError(`Okta GET /api/v1/apps/${appId}/credentials/jwks: the body is neither a list of keys nor {jwks: {keys}}`);
    return { items: keys as OktaClientCredential[], fetchedAt };
  }

  listGroupRules(opts: { startUrl?: string | null } = {}) {
    return this.pages<OktaGroupRule>('/api/v1/groups/rules', {
      query: { limit: PAGE_LIMITS.groupRules },
      startUrl: opts.startUrl ?? null,
    });
  }

  private async getOrNull<T>(path: string): Promise<Fetched<T> | null> {
    try {
      const { body, fetchedAt } = await this.getJson<T>(path);
      return { body, fetchedAt };
    } catch (err) {
      if (err instanceof OktaApiError && err.status === 404) return null;
      throw err;
    }
  }

  getUser(id: string) {
    return this.getOrNull<OktaUser>(`/api/v1/users/${segment(id, 'user id')}`);
  }

  getGroup(id: string) {
    return this.getOrNull<OktaGroup>(`/api/v1/groups/${segment(id, 'group id')}`);
  }

  getApp(id: string) {
    return this.getOrNull<OktaApp>(`/api/v1/apps/${segment(id, 'app id')}`);
  }

  async pollLogs(opts: { since?: Date; startUrl?: string | null; limit?: number }): Promise<OktaPage<OktaLogEvent>> {
    const limit = opts.limit ?? PAGE_LIMITS.logs;
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMITS.logs) {
      throw new RangeError(`pollLogs limit must be an integer from 1 to ${PAGE_LIMITS.logs}, got ${limit}`);
    }
    let url: string;
    if (opts.startUrl) {
      url = this.resolve(opts.startUrl);
    } else {
      if (!opts.since || Number.isNaN(opts.since.getTime())) {
        throw new TypeError('pollLogs needs `since` (a valid Date) for the first request, or `startUrl` (the saved next link) to resume');
      }
      // Polling = ASCENDING without `until`: Okta then always returns a next link.
      url = this.resolve('/api/v1/logs', { since: opts.since.toISOString(), sortOrder: 'ASCENDING', limit });
    }
    const { body, headers, fetchedAt } = await this.getJson<unknown>(url);
    const links = parseLinkHeader(headers.get('link'));
    let nextUrl = links.next ? this.resolve(links.next) : null;
    if (!nextUrl) {
      // Contract breach; re-polling the same URL may repeat events (deduped on uuid) but never skips any.
      this.logger?.warn({ path: '/api/v1/logs' }, 'System Log polling response had no next link; will re-poll the same URL');
      nextUrl = url;
    }
    return { items: pageItems<OktaLogEvent>(body), nextUrl, selfUrl: links.self ?? null, fetchedAt };
  }
}

/** One path segment: ids never contain '/', and an encoded id cannot escape the intended path. */
function segment(id: string, what: string): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`${what} must be a non-empty string`);
  return encodeURIComponent(id);
}

/**
 * The Okta-side time of a response. The `Date` header has whole-second precision while events'
 * `published` has milliseconds, so a re-read made right after an event would look older than the
 * event and lose to it; within the header's second the local receive time (clocks are NTP-close)
 * supplies the milliseconds.
 */
export function responseDate(headers: Headers, receivedAt: number = Date.now()): Date {
  const d = headers.get('date');
  const t = d ? Date.parse(d) : Number.NaN;
  if (!Number.isFinite(t)) return new Date(receivedAt);
  return new Date(Math.max(t, Math.min(receivedAt, t + 999)));
}
