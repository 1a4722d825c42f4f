/** /api/v1/people: search people, and one person with their groups, apps, roles, factors, events and findings. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireIntegration } from '@idgraph/integrations';
import { shortestPathsTo } from '@idgraph/privilege';
import type { ServerDeps } from '../app.js';
import { PrivilegeCache } from '../privilege-cache.js';
import { notFound } from '../errors.js';
import { ErrorBody, PeopleList, PeopleQuery, PersonParams, PersonView } from '../schemas.js';

const tags = ['people'];

export const peopleRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
  const privilege = new PrivilegeCache(deps.privilegeTtlMs);
  /** At most this many principals that can reach a person are listed (shortest paths first). */
  const REACHED_BY_LIMIT = 50;

  app.get(
    '/api/v1/people',
    { config: { auth: 'read' }, schema: { tags, summary: 'People whose login, email or name contains q', querystring: PeopleQuery, response: { 200: PeopleList, ...errors } } },
    async (request) => {
      const q = request.query;
      const integrationId = q.integration ? (await requireIntegration(store, q.integration)).id : undefined;
      return { items: await store.searchPeople(q.q, { integrationId, limit: q.limit }) };
    },
  );

  app.get(
    '/api/v1/people/:integration/:userId',
    {
      config: { auth: 'read' },
      schema: {
        tags,
        summary:
          'A person: profile and status, groups, apps (direct or through which group), admin roles (direct or through which group), factors, last 50 System Log events, open findings, and effective privilege (roles held directly, through groups; the path from them to Tier Zero; who has a path to them)',
        params: PersonParams,
        response: { 200: PersonView, ...errors },
      },
    },
    async (request) => {
      const integration = await requireIntegration(store, request.params.integration);
      const person = await store.person(integration.id, request.params.userId);
      if (!person) throw notFound(`no user ${request.params.userId} in integration "${integration.name}" (search with GET /api/v1/people?q=…)`);
      const p = await privilege.get(store, integration.id);
      const ref = `user:${request.params.userId}`;
      const node = p.graph.nodeOf(ref);
      const reachedBy = node < 0 ? [] : [...shortestPathsTo(p.graph, [node]).paths()].slice(0, REACHED_BY_LIMIT);
      return {
        integration: integration.name,
        ...person,
        privilege: {
          effectiveRoles: p.holdersOf.get(ref) ?? [],
          pathToTierZero: node < 0 ? null : p.tierZero.path(node),
          reachedBy,
          computedAt: p.loadedAt.toISOString(),
        },
      };
    },
  );
};
