/**
 * The `idgraph serve` HTTP application: fastify with TypeBox schemas, the OpenAPI document
 * generated from them, API-key and session auth, and one plugin per module of routes. Later
 * modules register the same way: a plugin given the same ServerDeps. The SCIM service provider
 * (/scim/v2/{integration}/) is one too, with its own bearer tokens, errors and media type.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Queue } from 'bullmq';
import { describeError, type Logger } from '@idgraph/core';
import { CursorError, type GraphStore } from '@idgraph/graph';
import { IntegrationError } from '@idgraph/integrations';
import { authHook, Sessions, TenantStores } from './auth.js';
import { HttpError } from './errors.js';
import { Health } from './schemas.js';
import { integrationRoutes } from './routes/integrations.js';
import { runRoutes } from './routes/runs.js';
import { findingRoutes } from './routes/findings.js';
import { peopleRoutes } from './routes/people.js';
import { graphRoutes } from './routes/graph.js';
import { sessionRoutes } from './routes/session.js';
import { consoleRoutes } from './routes/console.js';
import { actionRoutes } from './routes/actions.js';
import { scimRoutes, type ScimOptions } from './routes/scim.js';

export interface ServerDeps {
  /**
   * The store of the server's tenant (IDGRAPH_TENANT; its database pool is the server's). Routes
   * see, through `deps.store`, the store of the tenant of the key each request is made with.
   */
  store: GraphStore;
  /** The collect queue `idgraph workers` consume (the one `collect-now` uses). */
  collectQueue: Queue;
  logger: Logger;
  /** The deployment's secret key (IDGRAPH_SECRET_KEY or the data directory's); console sessions are signed with a key derived from it. */
  secretKey: string;
  /** How often run event streams look for progress (default 1000 ms). */
  sseIntervalMs?: number;
  /**
   * How old an integration's effective-privilege graph may get before the person route loads a
   * newer one, in the background (default 60 s): until it is loaded, the older one is served, with its computedAt.
   */
  privilegeTtlMs?: number;
  /** The SCIM endpoint's body limit and per-token rate limit (defaults in routes/scim.ts). */
  scim?: ScimOptions;
}

/** Error bodies that never carry what was submitted: messages come from schemas and our own checks. */
function errorReply(err: FastifyError & { connectivity?: unknown }): { status: number; body: Record<string, unknown> } {
  if (err.validation) {
    // Name the allowed values where the schema has a list (ajv's message only says "one of the allowed values").
    const allowed = err.validation.map((v) => (v.params as { allowedValues?: unknown[] }).allowedValues).find(Array.isArray);
    return { status: 400, body: { error: 'bad_request', message: allowed ? `${err.message}: ${allowed.join(', ')}` : err.message } };
  }
  if (err instanceof IntegrationError) {
    const status = { invalid: 400, not_found: 404, conflict: 409, connectivity: 422 }[err.code];
    const error = { invalid: 'bad_request', not_found: 'not_found', conflict: 'conflict', connectivity: 'connectivity_failed' }[err.code];
    return { status: status!, body: { error: error!, message: err.message, ...(err.connectivity ? { connectivity: err.connectivity } : {}) } };
  }
  if (err instanceof HttpError) return { status: err.statusCode, body: { error: err.error, message: err.message } };
  if (err instanceof CursorError) return { status: 400, body: { error: 'bad_request', message: err.message } };
  // Body parsing: the JSON parser's message quotes the text it choked on (which may be a token).
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, body: { error: 'bad_request', message: 'the request body is not valid JSON: send a JSON object with Content-Type: application/json' } };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: { error: 'unsupported_media_type', message: 'send the body as application/json' } };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: 'too_large', message: 'the request body is larger than 1 MiB' } };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: { error: 'bad_request', message: describeError(err) } };
  }
  return { status: 500, body: { error: 'internal', message: 'the server failed to answer this request; its log says why' } };
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is fastify's logger; only the declared generics differ.
    loggerInstance: deps.logger as FastifyBaseLogger,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const sessions = new Sessions(deps.secretKey);
  // Every request acts in the tenant of its key: routes get a store that resolves per request.
  const tenants = new TenantStores(deps.store);
  const base = deps.store;
  deps = { ...deps, store: tenants.view };
  app.decorateRequest('caller', null);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'idgraph operator API', version: '1', description: 'Integrations, collection runs, findings, people and the graph of idgraph. Every route but /healthz, /openapi.json and POST /api/v1/session needs an API key.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'a key from `idgraph api-key create NAME --role read|admin`' } } },
      security: [{ apiKey: [] }],
    },
  });
  app.addHook('onRequest', tenants.enter);
  app.addHook('onRequest', authHook(base, sessions, tenants));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, body } = errorReply(err);
    if (status >= 500) request.log.error({ err: describeError(err), route: request.routeOptions.url }, 'request failed');
    else request.log.info({ status, error: body.error }, 'request refused');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}: see /openapi.json` }),
  );

  app.get('/healthz', { config: { auth: 'none' }, schema: { hide: false, tags: ['ops'], response: { 200: Health } } }, async () => ({ status: 'ok' as const }));
  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(sessionRoutes, { deps, sessions });
  await app.register(integrationRoutes, { deps });
  await app.register(runRoutes, { deps });
  await app.register(findingRoutes, { deps });
  await app.register(peopleRoutes, { deps });
  await app.register(graphRoutes, { deps });
  await app.register(actionRoutes, { deps });
  await app.register(consoleRoutes, { deps });
  await app.register(scimRoutes, { prefix: '/scim/v2/:integration', deps, scim: deps.scim });
  return app;
}
