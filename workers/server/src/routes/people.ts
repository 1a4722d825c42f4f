/** /api/v1/people: search people, and one person with their groups, apps, roles, factors, events and findings. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireIntegration } from '@idgraph/integrations';
import type { ServerDeps } from '../app.js';
import { notFound } from '../errors.js';
import { ErrorBody, PeopleList, PeopleQuery, PersonParams, PersonView } from '../schemas.js';

const tags = ['people'];

export const peopleRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

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
        summary: 'A person: profile and status, groups, apps (direct or through which group), admin roles (direct or through which group), factors, last 50 System Log events, open findings',
        params: PersonParams,
        response: { 200: PersonView, ...errors },
      },
    },
    async (request) => {
      const integration = await requireIntegration(store, request.params.integration);
      const person = await store.person(integration.id, request.params.userId);
      if (!person) throw notFound(`no user ${request.params.userId} in integration "${integration.name}" (search with GET /api/v1/people?q=…)`);
      return { integration: integration.name, ...person };
    },
  );
};
