/** /api/v1/integrations: the same library calls as `idgraph integration add|test|remove` and `collect-now`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { collectNow } from '@idgraph/collector';
import {
  addIntegration,
  removeIntegration,
  requireIntegration,
  skippedResources,
  testIntegration,
  updateIntegration,
  type IntegrationCredentials,
} from '@idgraph/integrations';
import type { ServerDeps } from '../app.js';
import {
  AuthBody,
  CollectBody,
  CollectResponse,
  ConnectivityReport,
  CreateIntegrationBody,
  ErrorBody,
  IntegrationList,
  IntegrationView,
  NameParams,
  PatchIntegrationBody,
} from '../schemas.js';
import { integrationView } from '../views.js';

const tags = ['integrations'];

export function credentialsOf(auth: AuthBody): IntegrationCredentials {
  // The library checks and normalizes the token (a pasted "SSWS " prefix, stray spaces).
  if (auth.type === 'token') return { authMethod: 'ssws', secrets: { token: auth.token } };
  return { authMethod: 'oauth', clientId: auth.clientId, keyId: auth.kid, ...(auth.scopes ? { scopes: auth.scopes } : {}), secrets: { privateKeyPem: auth.privateKeyPem } };
}

async function openCounts(deps: ServerDeps): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of await deps.store.openFindingCounts()) counts.set(c.integrationId, (counts.get(c.integrationId) ?? 0) + c.open);
  return counts;
}

export const integrationRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

  app.get('/api/v1/integrations', { config: { auth: 'read' }, schema: { tags, summary: 'Integrations with their state', response: { 200: IntegrationList, ...errors } } }, async () => {
    const counts = await openCounts(deps);
    const list = await store.listIntegrations();
    return { items: await Promise.all(list.map((i) => integrationView(deps, i, counts.get(i.id) ?? 0))) };
  });

  app.post(
    '/api/v1/integrations',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Add an integration (its connectivity is tested first, as `idgraph integration add` does)',
        body: CreateIntegrationBody,
        response: { 201: IntegrationView, ...errors, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { integration, connectivity } = await addIntegration(
        store,
        { name: b.name, orgUrl: b.orgUrl, allowHttp: b.allowHttp ?? false, allowActions: b.allowActions ?? false, eventSource: b.eventSource, credentials: credentialsOf(b.auth) },
        { skipTest: b.skipTest ?? false },
      );
      request.log.info({ integration: integration.name, by: request.caller?.name }, 'integration added');
      return reply.code(201).send({ ...(await integrationView(deps, integration, 0)), willSkip: skippedResources(connectivity) });
    },
  );

  app.patch(
    '/api/v1/integrations/:name',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Change an integration (new credentials or org URL are tested first)',
        params: NameParams,
        body: PatchIntegrationBody,
        response: { 200: IntegrationView, ...errors, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const b = request.body;
      const { integration, connectivity } = await updateIntegration(
        store,
        request.params.name,
        { name: b.name, orgUrl: b.orgUrl, allowHttp: b.allowHttp, allowActions: b.allowActions, eventSource: b.eventSource, credentials: b.auth ? credentialsOf(b.auth) : undefined },
        { skipTest: b.skipTest ?? false },
      );
      request.log.info({ integration: integration.name, by: request.caller?.name }, 'integration changed');
      const view = await integrationView(deps, integration, (await openCounts(deps)).get(integration.id) ?? 0);
      return connectivity ? { ...view, willSkip: skippedResources(connectivity) } : view;
    },
  );

  app.delete(
    '/api/v1/integrations/:name',
    { config: { auth: 'admin' }, schema: { tags, summary: 'Remove an integration (its graph rows are kept, tombstoned)', params: NameParams, response: { 204: { type: 'null' }, ...errors, 404: ErrorBody } } },
    async (request, reply) => {
      const removed = await removeIntegration(store, request.params.name);
      request.log.info({ integration: removed.name, by: request.caller?.name }, 'integration removed');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/integrations/:name/test',
    {
      config: { auth: 'admin' },
      schema: { tags, summary: 'Test connectivity: per resource ok / missing_scope / forbidden / error (`integration test NAME --json`)', params: NameParams, response: { 200: ConnectivityReport, ...errors, 404: ErrorBody } },
    },
    async (request) => testIntegration(store, request.params.name, { logger: deps.logger }),
  );

  app.post(
    '/api/v1/integrations/:name/collect',
    {
      config: { auth: 'admin' },
      schema: {
        tags,
        summary: 'Collect Now on the workers (a second request while one is queued or running joins it)',
        params: NameParams,
        body: CollectBody,
        response: { 202: CollectResponse, ...errors, 404: ErrorBody },
      },
      // The body is optional: no body means every resource.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
      },
    },
    async (request, reply) => {
      const integration = await requireIntegration(store, request.params.name);
      const { jobId, joined, runId } = await collectNow(deps.collectQueue, integration.id, request.body?.resources, { tenant: store.tenant, runs: store });
      request.log.info({ integration: integration.name, jobId, joined, by: request.caller?.name }, 'collect now');
      return reply.code(202).send({ runId: runId ?? null, joined, jobId });
    },
  );
};
