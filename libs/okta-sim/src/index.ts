/**
 * @idgraph/okta-sim — an Okta-compatible HTTP server with a deterministic synthetic org.
 * See README-level docs on each module: generate.ts (the org and the posture plants),
 * server.ts (endpoints, paging, limits), auth.ts (SSWS, private_key_jwt, DPoP),
 * rate-limit.ts (buckets), mutate.ts (live changes and their System Log events).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExportLine } from '@idgraph/graph';
import { AuthService } from './auth.js';
import type { KeyAlg } from './auth.js';
import type { PlantedPosture } from './generate.js';
import { generateOrg } from './generate.js';
import type { EventBridgeEnvelope, OktaLogEvent, SimApp, SimOrgState, StandardRoleType } from './model.js';
import { STANDARD_ROLE_LABELS, STANDARD_ROLE_TYPES } from './model.js';
import type { SimChange } from './mutate.js';
import { Mutator, SimClock } from './mutate.js';
import { RateLimiter } from './rate-limit.js';
import { Renderer } from './render.js';
import { Rng } from './rng.js';
import type { FaultOptions, SimStats } from './server.js';
import { SimHttpHandler } from './server.js';
import { orgTruth } from './truth.js';

export type { SimChange, SimChangeType } from './mutate.js';
export { SimChangeError } from './mutate.js';
export type * from './model.js';
export { APP_TARGET_ROLES, GROUP_TARGET_ROLES, STANDARD_ROLE_LABELS, STANDARD_ROLE_TYPES, USER_STATUSES } from './model.js';
export type { PlantedPosture } from './generate.js';
export type { FaultOptions, SimStats } from './server.js';
export { appUsersOf, roleAssignmentsOf, roleHolderUserIds, userRoleListOf } from './queries.js';
export { DEFAULT_BUCKETS, findBucket } from './rate-limit.js';
export type { BucketDef } from './rate-limit.js';
export { expectedFindings, type ExpectedFindings, type ExpectedFindingsThresholds } from './expected-findings.js';
export { expectedPrivilege, TIER_ZERO_ROLES, type ExpectedEdge, type ExpectedHolder, type ExpectedPrivilege } from './expected-privilege.js';
export type { PlantedPrivilege } from './generate-privilege.js';

export interface OktaSimOptions {
  /** Default 1; the org is a pure function of (seed, sizes, now). */
  seed?: number;
  /** Default 200. */
  users?: number;
  /** OKTA_GROUP/APP_GROUP count besides Everyone; default max(5, round(users/20)). */
  groups?: number;
  /** Default max(5, round(users/100)); two API service apps are added on top. */
  apps?: number;
  /** Average memberships besides Everyone; default 3. */
  membershipsPerUser?: number;
  /** Clock for generated timestamps; default now (whole seconds). */
  now?: Date;
  /** System Log history in days; default 90. */
  logDays?: number;
  port?: number;
  host?: string;
  /** SSWS token accepted with every scope; default `sim-token-<seed>`. */
  apiToken?: string;
  rateLimitFactor?: number;
  /** Per-minute limit overrides by bucket id (see DEFAULT_BUCKETS). */
  rateLimits?: Partial<Record<string, number>>;
  /** Share of a bucket one token/app may use before 429; default 0.5. */
  tokenShare?: number;
  /** In-flight requests before a concurrency 429; default 75. */
  concurrencyLimit?: number;
  faults?: FaultOptions;
  /** Plant the documented posture cases (PlantedPosture); default true. */
  plantPosture?: boolean;
  /** Access token lifetime (test knob); default 3600. */
  accessTokenTtlSeconds?: number;
  /**
   * Okta's clock minus the host's, in seconds (test knob for a host clock that is off): the
   * `Date` header of every response, rate-limit resets and every change's `published` and
   * `lastUpdated` read Okta's clock. Default 0.
   */
  clockSkewSeconds?: number;
  /**
   * Okta's list and search results trail writes (README, "Event timing"): each change is
   * published (and its object's `lastUpdated` set) this many seconds before reads show it, so a
   * read made up to this long after an event's `published` may not reflect it. Default 0.
   */
  readAfterWriteLagSeconds?: number;
}

export interface SimMutation {
  change: SimChange;
  event: OktaLogEvent;
  envelope: EventBridgeEnvelope;
}

export interface OktaSim {
  url: string;
  apiToken: string;
  eventSource: string;
  setFaults(f: OktaSimOptions['faults']): void;
  setRateLimitFactor(n: number): void;
  createServiceApp(opts: { scopes: string[]; alg?: KeyAlg; dpop?: boolean; roles?: string[] }): Promise<{ clientId: string; keyId: string; privateKeyPem: string }>;
  /**
   * An API token of another admin. It acts with that admin's roles: `ownerId` names the admin user
   * who created it (its roles, direct and through groups, apply, and GET /api/v1/users/me returns
   * that user); without an owner, `roles` (default SUPER_ADMIN) — `roles: ['READ_ONLY_ADMIN']`
   * reads users, groups, apps and logs but not admin roles. `scopes` restricts it further to the
   * endpoints those scopes cover (403 E0000006 elsewhere).
   */
  createApiToken(opts: { scopes?: string[]; roles?: string[]; ownerId?: string }): string;
  /** The user the default token (`apiToken`) belongs to, or null when the org has no ACTIVE super admin. */
  apiTokenOwnerId: string | null;
  mutate(change?: SimChange): SimMutation;
  truth(): ExportLine[];
  org: Readonly<SimOrgState>;
  /** The posture cases planted into the org, or null when `plantPosture: false`. */
  planted: PlantedPosture | null;
  stats(): SimStats;
  close(): Promise<void>;
}

/** API token metadata as /api/v1/api-tokens lists it (the token value is never part of it). */
function listToken(org: SimOrgState, tokenId: string, userId: string, name: string, atMs: number): void {
  const at = new Date(Math.floor(atMs / 1000) * 1000).toISOString();
  const expires = new Date(Math.floor(atMs / 1000) * 1000 + 30 * 86_400_000).toISOString();
  org.apiTokens.set(tokenId, { id: tokenId, name, userId, clientName: 'Okta API', created: at, lastUpdated: at, expiresAt: expires, tokenWindow: 'P30D' });
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) throw new Error(`okta-sim option ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return v;
}

export async function startOktaSim(opts: OktaSimOptions = {}): Promise<OktaSim> {
  const seed = positiveInt('seed', opts.seed, 1);
  const users = positiveInt('users', opts.users, 200);
  const groups = positiveInt('groups', opts.groups, Math.max(5, Math.round(users / 20)));
  const apps = positiveInt('apps', opts.apps, Math.max(5, Math.round(users / 100)));
  const membershipsPerUser = positiveInt('membershipsPerUser', opts.membershipsPerUser, 3);
  const logDays = positiveInt('logDays', opts.logDays, 90, 1);
  const concurrencyLimit = positiveInt('concurrencyLimit', opts.concurrencyLimit, 75, 1);
  const clockSkewSeconds = opts.clockSkewSeconds ?? 0;
  if (!Number.isFinite(clockSkewSeconds)) throw new Error(`okta-sim option clockSkewSeconds must be a number of seconds, got ${String(opts.clockSkewSeconds)}`);
  const lagSeconds = opts.readAfterWriteLagSeconds ?? 0;
  if (!Number.isFinite(lagSeconds) || lagSeconds < 0) throw new Error(`okta-sim option readAfterWriteLagSeconds must be a number ≥ 0, got ${String(opts.readAfterWriteLagSeconds)}`);
  const skewMs = Math.round(clockSkewSeconds * 1000);
  const now = opts.now ?? new Date(Math.floor((Date.now() + skewMs) / 1000) * 1000);
  if (Number.isNaN(now.getTime())) throw new Error('okta-sim option now must be a valid Date');
  const subdomain = `sim${seed}`;
  const gen = generateOrg({ seed, users, groups, apps, membershipsPerUser, now, logDays, plantPosture: opts.plantPosture ?? true, subdomain });
  const org = gen.org;

  let tokenUrl = '';
  const auth = new AuthService(() => tokenUrl, positiveInt('accessTokenTtlSeconds', opts.accessTokenTtlSeconds, 3600, 1));
  const apiToken = opts.apiToken ?? `sim-token-${seed}`;
  // The default token belongs to a super admin of the org (the first ACTIVE one by id), as a
  // real token belongs to the admin who created it; without one it acts with every permission.
  const owner = [...org.roleAssignments.values()]
    .filter((r) => r.principalKind === 'user' && r.type === 'SUPER_ADMIN' && org.users.get(r.principalId)?.status === 'ACTIVE')
    .map((r) => r.principalId)
    .sort()[0];
  const defaultToken = auth.addApiToken(apiToken, undefined, { ownerId: owner ?? null });
  // Okta lists every active token with its owner: the default token is one of them.
  if (owner) listToken(org, defaultToken.tokenId, owner, 'idgraph (simulator default token)', now.getTime());
  const clock = new SimClock(now, skewMs, Math.round(lagSeconds * 1000));
  const limiter = new RateLimiter(opts.rateLimits ?? {}, opts.rateLimitFactor ?? 1, opts.tokenShare ?? 0.5, () => clock.wall());
  const mutator = new Mutator(org, gen.ids, new Rng(seed * 31 + 17), gen.events, clock);
  const handler = new SimHttpHandler(org, new Renderer(org), auth, limiter, { concurrencyLimit, now: () => clock.now(), wall: () => clock.wall() }, mutator);
  handler.setFaults(opts.faults);

  const server = createServer((req, res) => handler.handle(req, res));
  server.keepAliveTimeout = 5000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  org.orgUrl = url;
  tokenUrl = `${url}/oauth2/v1/token`;
  const eventSource = `aws.partner/okta.com/${subdomain}/idgraph-sim`;
  let extraTokens = 0;

  return {
    url,
    apiToken,
    apiTokenOwnerId: owner ?? null,
    eventSource,
    org,
    planted: gen.planted,
    setFaults: (f) => handler.setFaults(f),
    setRateLimitFactor: (n) => {
      if (!(n > 0)) throw new Error(`rate limit factor must be > 0, got ${n}`);
      limiter.factor = n;
    },
    async createServiceApp(o) {
      const roles = o.roles ?? ['READ_ONLY_ADMIN'];
      for (const r of roles) {
        if (!STANDARD_ROLE_TYPES.includes(r as StandardRoleType)) throw new Error(`unknown role "${r}" for createServiceApp; use one of ${STANDARD_ROLE_TYPES.join(', ')}`);
      }
      const id = gen.ids.next('0oa');
      const at = new Date().toISOString();
      const { keyId, privateKeyPem } = await auth.registerServiceApp(id, { scopes: o.scopes, alg: o.alg ?? 'RS256', dpop: o.dpop ?? false });
      // private_key_jwt: the app's credentials are its registered public key (no client secret).
      const app: SimApp = {
        id, name: 'oidc_client', label: `Test service app ${id.slice(-6)}`, status: 'ACTIVE', signOnMode: 'OPENID_CONNECT', created: at, lastUpdated: at, isServiceApp: true, clientId: id,
        clientSecrets: [], jwks: [{ id: gen.ids.next('pks'), kid: keyId, status: 'ACTIVE', created: at, lastUpdated: at }],
      };
      org.apps.set(id, app);
      org.appUserAssignments.set(id, new Map());
      org.appGroupAssignments.set(id, new Map());
      for (const r of roles as StandardRoleType[]) {
        const assignmentId = gen.ids.next('rac');
        org.roleAssignments.set(assignmentId, { id: assignmentId, principalKind: 'app', principalId: id, type: r, customRoleId: null, resourceSetId: null, label: STANDARD_ROLE_LABELS[r], status: 'ACTIVE', created: at, lastUpdated: at, groupTargets: [], appTargets: [] });
      }
      org.version++;
      return { clientId: id, keyId, privateKeyPem };
    },
    createApiToken(o) {
      if (o.ownerId !== undefined && !org.users.has(o.ownerId)) throw new Error(`createApiToken: ownerId "${o.ownerId}" is not a user of the org; pick one from sim.org.users`);
      extraTokens++;
      const token = `sim-token-${seed}-${extraTokens}-${Math.random().toString(36).slice(2, 10)}`;
      const roles = o.roles ?? ['SUPER_ADMIN'];
      for (const r of roles) {
        if (!STANDARD_ROLE_TYPES.includes(r as StandardRoleType)) throw new Error(`unknown role "${r}" for createApiToken; use one of ${STANDARD_ROLE_TYPES.join(', ')}`);
      }
      const grant = auth.addApiToken(token, o.scopes, { roles, ownerId: o.ownerId ?? null });
      // Tokens with an owner are listed by /api/v1/api-tokens; an owner-less token is a test knob
      // standing for "some admin's token" and is not listed.
      if (o.ownerId !== undefined) {
        listToken(org, grant.tokenId, o.ownerId, `token ${extraTokens}`, clock.now());
        org.version++;
      }
      return token;
    },
    mutate(change) {
      const { change: applied, event } = mutator.apply(change);
      return { change: applied, event, envelope: gen.events.envelope(event, eventSource, '123456789012', 'us-east-1') };
    },
    truth: () => orgTruth(org),
    stats: () => ({ ...handler.stats, byBucket: { ...handler.stats.byBucket } }),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
