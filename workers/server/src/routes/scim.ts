/**
 * The SCIM 2.0 service provider (RFC 7643/7644) Okta provisions into: /scim/v2/{integration}/…
 * Users and Groups (list with filter/startIndex/count, get, create, replace, modify, delete),
 * ServiceProviderConfig, ResourceTypes and Schemas. HTTP only: parsing and mapping live in
 * @idgraph/normalize, storage and the graph projection in @idgraph/graph (store.scim).
 *
 * Auth is its own: every route is `auth: 'none'` for the API-key hook, and this plugin checks the
 * integration's SCIM bearer token (never an API key) before the body is read, then takes one
 * request from the token's bucket (429 when empty). Bodies are application/scim+json or
 * application/json, at most `bodyLimitBytes`; answers are application/scim+json; every refusal is
 * a SCIM Error with a string `status`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseFilter } from 'scim2-parse-filter';
import { describeError } from '@idgraph/core';
import { ScimFilterError, ScimStoreError, type Integration, type ScimFilter, type ScimRecord, type ScimWrite } from '@idgraph/graph';
import { parseScimGroup, parseScimUser, scimProjector, ScimInputError } from '@idgraph/normalize';
import type { ServerDeps } from '../app.js';
import { ScimHttpError, scimErrorBody } from '../scim/errors.js';
import { applyScimPatch } from '../scim/patch.js';
import { DEFAULT_SCIM_RATE_LIMIT, TokenBuckets, type RateLimitOptions } from '../scim/rate-limit.js';
import { listResponse, MAX_PAGE, projectAttributes, renderResource, resourceTypes, schemas, serviceProviderConfig } from '../scim/render.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** Largest request body (a group replaced with ~10k members fits). */
export const DEFAULT_SCIM_BODY_LIMIT = 1024 * 1024;
const MAX_FILTER_CHARS = 4096;

export interface ScimOptions {
  bodyLimitBytes?: number;
  rateLimit?: RateLimitOptions;
}

declare module 'fastify' {
  interface FastifyRequest {
    scimIntegration: Integration | null;
  }
}

type Type = 'User' | 'Group';
type Params = { integration: string; id?: string };
type Query = Record<string, string | string[] | undefined>;

function errorOf(err: FastifyError & { scimCode?: unknown }, bodyLimit: number): { status: number; scimType: string | null; detail: string } {
  if (err instanceof ScimHttpError) return { status: err.status, scimType: err.scimType, detail: err.message };
  if (err instanceof ScimStoreError) return { status: err.status, scimType: err.scimType, detail: err.message };
  if (err instanceof ScimInputError) return { status: 400, scimType: err.scimType, detail: err.message };
  if (err instanceof ScimFilterError) return { status: 400, scimType: 'invalidFilter', detail: err.message };
  // The JSON parser's message quotes the text it choked on: never echoed.
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, scimType: 'invalidSyntax', detail: 'the request body is not valid JSON: send one JSON object as application/scim+json or application/json' };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, scimType: null, detail: 'send the body as application/scim+json or application/json' };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, scimType: null, detail: `the request body is larger than ${bodyLimit} bytes` };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, scimType: null, detail: describeError(err) };
  }
  return { status: 500, scimType: null, detail: 'the server failed to answer this request; its log says why' };
}

function one(q: Query, name: string): string | undefined {
  const key = Object.keys(q).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : q[key];
  if (Array.isArray(v)) throw new ScimHttpError(400, 'invalidValue', `give ${name} once`);
  return v;
}

function integer(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d{1,9}$/.test(v.trim())) throw new ScimHttpError(400, 'invalidValue', `${name} must be an integer, got "${v.slice(0, 20)}"`);
  return Number(v.trim());
}

function list(q: Query, name: string): string[] | null {
  const v = one(q, name);
  return v === undefined || v.trim() === '' ? null : v.split(',').map((s) => s.trim()).filter(Boolean);
}

function filterOf(q: Query): ScimFilter | undefined {
  const text = one(q, 'filter');
  if (text === undefined || text.trim() === '') return undefined;
  if (text.length > MAX_FILTER_CHARS) throw new ScimHttpError(400, 'invalidFilter', `the filter is longer than ${MAX_FILTER_CHARS} characters`);
  try {
    return parseFilter(text) as ScimFilter;
  } catch (err) {
    throw new ScimHttpError(400, 'invalidFilter', `the filter is not a SCIM filter (RFC 7644 §3.4.2.2), e.g. userName eq "alice@example.com": ${String((err as Error).message ?? err).slice(0, 200)}`);
  }
}

/** sortBy is not supported: 501, as ServiceProviderConfig says (sort.supported false). */
function refuseSort(q: Query): void {
  if (one(q, 'sortBy') !== undefined || one(q, 'sortOrder') !== undefined) {
    throw new ScimHttpError(501, null, 'sorting is not supported (ServiceProviderConfig: sort.supported is false); lists come in creation order');
  }
}

export async function scimRoutes(app: FastifyInstance, opts: { deps: ServerDeps; scim?: ScimOptions | undefined }): Promise<void> {
  const { store } = opts.deps;
  const bodyLimit = opts.scim?.bodyLimitBytes ?? DEFAULT_SCIM_BODY_LIMIT;
  const buckets = new TokenBuckets(opts.scim?.rateLimit ?? DEFAULT_SCIM_RATE_LIMIT);
  const config = { auth: 'none' as const };
  const schema = { hide: true };

  app.decorateRequest('scimIntegration', null);
  // JSON in either media type, nothing else (415); an empty body (a DELETE that names a content
  // type) is no body.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string', bodyLimit }, (request, body, done) =>
    typeof body === 'string' && body.trim() === '' ? done(null, undefined) : json(request, String(body), done),
  );

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, scimType, detail } = errorOf(err, bodyLimit);
    if (status >= 500) request.log.error({ err: describeError(err), route: request.routeOptions.url }, 'SCIM request failed');
    else request.log.info({ status, scimType }, 'SCIM request refused');
    return reply.code(status).type(SCIM_CONTENT_TYPE).send(scimErrorBody(status, detail, scimType));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(SCIM_CONTENT_TYPE)
      .send(scimErrorBody(404, `no SCIM endpoint ${request.method} ${request.url.split('?')[0]}: this server has /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas`)),
  );

  const unauthorized = (reply: FastifyReply) =>
    reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="idgraph SCIM"')
      .type(SCIM_CONTENT_TYPE)
      .send(scimErrorBody(401, 'the bearer token is missing or is not the SCIM token of this integration: send Authorization: Bearer TOKEN with the token from `idgraph integration scim-token NAME`'));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    request.scimIntegration = null;
    if (request.is404) return;
    const name = (request.params as Params).integration;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const integration = m && /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name) ? await store.getIntegration(name) : undefined;
    if (!m || !integration || integration.name !== name || !(await store.scim.verifyToken(integration.id, m[1]!))) {
      await unauthorized(reply);
      return;
    }
    const wait = buckets.take(integration.id);
    if (wait > 0) {
      await reply
        .code(429)
        .header('retry-after', String(wait))
        .type(SCIM_CONTENT_TYPE)
        .send(scimErrorBody(429, `too many requests with this token: retry in ${wait} s`));
      return;
    }
    request.scimIntegration = integration;
  });

  const integrationOf = (request: FastifyRequest): Integration => request.scimIntegration!;
  const baseOf = (request: FastifyRequest) => `${request.protocol}://${request.host}/scim/v2/${encodeURIComponent(integrationOf(request).name)}`;
  const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
  const notFound = (type: Type, id: string) => new ScimHttpError(404, null, `no ${type} with id "${id}" here (ids are the ones creation answered)`);

  // ---------------------------------------------------------------- discovery

  app.get('/ServiceProviderConfig', { config, schema }, async (request, reply) => send(reply, 200, serviceProviderConfig(baseOf(request))));
  app.get('/ResourceTypes', { config, schema }, async (request, reply) => {
    const all = resourceTypes(baseOf(request));
    return send(reply, 200, listResponse(all, all.length, 1));
  });
  app.get<{ Params: Params }>('/ResourceTypes/:id', { config, schema }, async (request, reply) => {
    const found = resourceTypes(baseOf(request)).find((r) => r.id === request.params.id);
    if (!found) throw new ScimHttpError(404, null, `no resource type "${request.params.id}": User and Group`);
    return send(reply, 200, found);
  });
  app.get('/Schemas', { config, schema }, async (request, reply) => {
    const all = schemas(baseOf(request));
    return send(reply, 200, listResponse(all, all.length, 1));
  });
  app.get<{ Params: Params }>('/Schemas/:id', { config, schema }, async (request, reply) => {
    const found = schemas(baseOf(request)).find((s) => s.id === request.params.id);
    if (!found) throw new ScimHttpError(404, null, `no schema "${request.params.id}"`);
    return send(reply, 200, found);
  });

  // ---------------------------------------------------------------- not supported

  const notImplemented = (what: string) => async () => {
    throw new ScimHttpError(501, null, `${what} is not supported by this server (see ServiceProviderConfig)`);
  };
  app.post('/Bulk', { config, schema, bodyLimit }, notImplemented('Bulk'));
  app.post('/.search', { config, schema, bodyLimit }, notImplemented('POST /.search'));
  app.post('/Users/.search', { config, schema, bodyLimit }, notImplemented('POST /Users/.search (use GET /Users?filter=…)'));
  app.post('/Groups/.search', { config, schema, bodyLimit }, notImplemented('POST /Groups/.search (use GET /Groups?filter=…)'));
  app.all('/Me', { config, schema, bodyLimit }, notImplemented('/Me'));

  // ---------------------------------------------------------------- Users and Groups

  const parse = (type: Type, body: unknown): ScimWrite => (type === 'User' ? parseScimUser(body) : parseScimGroup(body));
  const render = (request: FastifyRequest, r: ScimRecord) => renderResource(r, baseOf(request));

  for (const type of ['User', 'Group'] as const) {
    const path = `/${type}s`;
    const detail = { withMembers: type === 'Group', withGroups: type === 'User' };

    app.get<{ Params: Params; Querystring: Query }>(path, { config, schema }, async (request, reply) => {
      const q = request.query;
      refuseSort(q);
      const startIndex = Math.max(1, integer(q, 'startIndex') ?? 1);
      const count = Math.min(MAX_PAGE, Math.max(0, integer(q, 'count') ?? MAX_PAGE));
      const attributes = list(q, 'attributes');
      const excluded = list(q, 'excludedAttributes');
      const skipMembers = type === 'Group' && (excluded?.some((a) => a.toLowerCase() === 'members') || (attributes !== null && !attributes.some((a) => a.toLowerCase().split('.')[0] === 'members')));
      const page = await store.scim.list(integrationOf(request).id, type, { filter: filterOf(q), startIndex, count, withMembers: detail.withMembers && !skipMembers, withGroups: detail.withGroups });
      const resources = page.items.map((r) => projectAttributes(render(request, r), attributes, excluded));
      return send(reply, 200, listResponse(resources, page.total, startIndex));
    });

    app.get<{ Params: Params; Querystring: Query }>(`${path}/:id`, { config, schema }, async (request, reply) => {
      const record = await store.scim.get(integrationOf(request).id, type, request.params.id!, detail);
      if (!record) throw notFound(type, request.params.id!);
      return send(reply, 200, projectAttributes(render(request, record), list(request.query, 'attributes'), list(request.query, 'excludedAttributes')));
    });

    app.post<{ Params: Params }>(path, { config, schema, bodyLimit }, async (request, reply) => {
      const input = parse(type, request.body);
      const at = new Date();
      const { record } = await store.scim.create(integrationOf(request).id, type, input, at, scimProjector(at));
      const body = render(request, record);
      return reply.header('location', (body.meta as { location: string }).location).code(201).type(SCIM_CONTENT_TYPE).send(body);
    });

    app.put<{ Params: Params }>(`${path}/:id`, { config, schema, bodyLimit }, async (request, reply) => {
      const input = parse(type, request.body);
      const at = new Date();
      const { record } = await store.scim.replace(integrationOf(request).id, type, request.params.id!, input, at, scimProjector(at));
      return send(reply, 200, render(request, record));
    });

    app.patch<{ Params: Params }>(`${path}/:id`, { config, schema, bodyLimit }, async (request, reply) => {
      const integration = integrationOf(request);
      const id = request.params.id!;
      const current = await store.scim.get(integration.id, type, id, { withMembers: type === 'Group' });
      if (!current) throw notFound(type, id);
      const doc = renderResource(current, baseOf(request));
      delete doc.groups;
      const patched = applyScimPatch(type, doc, request.body);
      if (patched.id !== current.id) throw new ScimHttpError(400, 'mutability', 'id is read-only: a PATCH cannot change it');
      const input = parse(type, patched);
      const at = new Date();
      const { record } = await store.scim.replace(integration.id, type, id, input, at, scimProjector(at));
      return send(reply, 200, render(request, record));
    });

    app.delete<{ Params: Params }>(`${path}/:id`, { config, schema }, async (request, reply) => {
      await store.scim.delete(integrationOf(request).id, type, request.params.id!, new Date());
      return reply.code(204).send();
    });
  }
}
