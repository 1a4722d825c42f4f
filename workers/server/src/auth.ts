/**
 * Who is calling, and may they: an API key (`Authorization: Bearer KEY`) or a console session
 * cookie. Every route declares its level in `config.auth` (`none`, `read`, `admin`); the check
 * runs in onRequest, before the body is even parsed, so a refused request changes nothing.
 *
 * Sessions: signing in with a key sets an HttpOnly, SameSite=Strict cookie that holds the key's
 * public id (never the key), an expiry and a CSRF token, signed with a key derived from the
 * secret key. Revoking the API key ends its sessions (each request looks the key id up). Writes
 * made with the cookie must repeat the CSRF token in `X-CSRF-Token` (a signed double submit:
 * another site can make the browser send the cookie, but cannot read the token).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRole, GraphStore } from '@idgraph/graph';

export type AuthLevel = 'none' | 'read' | 'admin';

export interface Caller {
  name: string;
  role: ApiKeyRole;
  /** The key's tenant: the request reads and writes only this tenant's integrations, runs, graph and findings. */
  tenant: string;
  via: 'key' | 'session';
  csrfToken: string | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export const SESSION_COOKIE = 'idgraph_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface SessionPayload {
  /** API key id */
  k: string;
  /** CSRF token */
  c: string;
  /** expiry, ms since epoch */
  e: number;
}

export class Sessions {
  private readonly key: Buffer;

  /** `secret` is the deployment's secret key (IDGRAPH_SECRET_KEY); sessions use a key derived from it. */
  constructor(secret: string | Buffer) {
    this.key = createHmac('sha256', secret).update('idgraph console session v1').digest();
  }

  issue(keyId: string, now = Date.now()): { cookie: string; csrfToken: string; maxAgeSeconds: number } {
    const payload: SessionPayload = { k: keyId, c: randomBytes(24).toString('base64url'), e: now + SESSION_TTL_MS };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { cookie: `${body}.${this.sign(body)}`, csrfToken: payload.c, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  read(cookie: string, now = Date.now()): SessionPayload | undefined {
    const [body, sig] = cookie.split('.');
    if (!body || !sig) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
      if (typeof p.k !== 'string' || typeof p.c !== 'string' || typeof p.e !== 'number' || p.e < now) return undefined;
      return p;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function deny(reply: FastifyReply, status: 401 | 403, error: string, message: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="idgraph"');
  return reply.code(status).send({ error, message });
}

/** Resolves the caller from the request (key first, then session cookie); null when neither is valid. Keys of every tenant count. */
export async function identify(request: FastifyRequest, store: GraphStore, sessions: Sessions): Promise<Caller | null | 'bad_key'> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return 'bad_key';
    const info = await store.apiKeys.verifyInAnyTenant(m[1]!);
    return info ? { name: info.name, role: info.role, tenant: info.tenantId, via: 'key', csrfToken: null } : 'bad_key';
  }
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (!cookie) return null;
  const session = sessions.read(cookie);
  if (!session) return null;
  const info = await store.apiKeys.byKeyIdInAnyTenant(session.k);
  return info ? { name: info.name, role: info.role, tenant: info.tenantId, via: 'session', csrfToken: session.c } : null;
}

/**
 * Each request acts in its caller's tenant. `ServerDeps.store` is a view that resolves, on every
 * use, to the store of the tenant of the request being handled (one store per tenant, made on
 * first use, all on the server's database pool); so every route, present or added later, reads
 * and writes only the calling key's tenant. Outside an authenticated request it is the server's
 * own tenant (IDGRAPH_TENANT), which only routes without auth touch (health, OpenAPI, sign-in).
 */
export class TenantStores {
  private readonly current = new AsyncLocalStorage<{ store: GraphStore | null }>();
  private readonly stores = new Map<string, GraphStore>();
  /** The view to hand to routes as `deps.store`. */
  readonly view: GraphStore;

  constructor(private readonly base: GraphStore) {
    this.stores.set(base.tenant, base);
    const current = this.current;
    this.view = new Proxy(base, {
      get(target, prop) {
        const store = current.getStore()?.store ?? target;
        const value: unknown = Reflect.get(store, prop, store);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(store) : value;
      },
    });
  }

  /** The store of a tenant (made on first use). */
  of(tenant: string): GraphStore {
    let store = this.stores.get(tenant);
    if (!store) {
      store = this.base.forTenant(tenant);
      this.stores.set(tenant, store);
    }
    return store;
  }

  /** onRequest hook, registered first: the rest of the request runs in its own context. */
  readonly enter = (_request: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
    this.current.run({ store: null }, done);
  };

  /** Makes the rest of the current request act in the tenant. */
  actIn(tenant: string): void {
    const ctx = this.current.getStore();
    if (!ctx) throw new Error('TenantStores.actIn outside a request: register `enter` as the first onRequest hook');
    ctx.store = this.of(tenant);
  }
}

/** The onRequest hook enforcing each route's `config.auth`, and putting the request in its caller's tenant. */
export function authHook(store: GraphStore, sessions: Sessions, tenants?: TenantStores) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    request.caller = null;
    // Unknown routes have no config: they answer 404 whoever asks.
    if (request.is404) return;
    const level = request.routeOptions.config.auth ?? 'admin';
    if (level === 'none') return;
    const caller = await identify(request, store, sessions);
    if (caller === 'bad_key') {
      await deny(reply, 401, 'unauthorized', 'the API key is not valid (revoked, mistyped or not a key of this server): send Authorization: Bearer KEY with a key from `idgraph api-key create`');
      return;
    }
    if (caller === null) {
      await deny(reply, 401, 'unauthorized', 'this route needs an API key: send Authorization: Bearer KEY (create one with `idgraph api-key create NAME --role read|admin`), or sign in to the console');
      return;
    }
    if (caller.via === 'session' && !SAFE_METHODS.has(request.method)) {
      const token = request.headers['x-csrf-token'];
      if (typeof token !== 'string' || !caller.csrfToken || !sameToken(token, caller.csrfToken)) {
        await deny(reply, 403, 'csrf', 'a write with the session cookie needs the X-CSRF-Token header (the csrfToken of GET /api/v1/session)');
        return;
      }
    }
    if (level === 'admin' && caller.role !== 'admin') {
      await deny(reply, 403, 'forbidden', `the key "${caller.name}" has the read role; this route changes something and needs an admin key`);
      return;
    }
    tenants?.actIn(caller.tenant);
    request.caller = caller;
  };
}
