/** /api/v1/graph/export: the JSONL export of `idgraph graph export`, streamed as it is read. */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jsonlChunks } from '@idgraph/graph';
import { requireIntegration } from '@idgraph/integrations';
import type { ServerDeps } from '../app.js';
import { ErrorBody, ExportQuery } from '../schemas.js';

export const graphRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  app.get(
    '/api/v1/graph/export',
    {
      config: { auth: 'read' },
      schema: {
        tags: ['graph'],
        summary: 'The graph as sorted JSONL (node lines, then edge lines), streamed; the same bytes as `idgraph graph export`',
        querystring: ExportQuery,
        produces: ['application/x-ndjson'],
        response: { 200: { type: 'string', description: 'application/x-ndjson' }, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const integrationId = request.query.integration ? (await requireIntegration(store, request.query.integration)).id : undefined;
      const lines = store.exportGraph({ integrationId, includeDeleted: request.query.includeDeleted ?? false });
      return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(jsonlChunks(lines)) as never);
    },
  );
};
