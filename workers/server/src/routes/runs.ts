/** /api/v1/runs: collection runs as `idgraph runs --json` prints them, and their progress as Server-Sent Events. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireIntegration } from '@idgraph/integrations';
import type { Run } from '@idgraph/graph';
import type { ServerDeps } from '../app.js';
import { ErrorBody, RunList, RunParams, RunsQuery, RunView } from '../schemas.js';
import { runView } from '../views.js';
import { notFound } from '../errors.js';

const tags = ['runs'];

export const runRoutes: FastifyPluginAsyncTypebox<{ deps: ServerDeps }> = async (app, { deps }) => {
  const { store } = deps;
  // Open event streams end when the server closes (it would otherwise wait for them forever).
  const streams = new Set<{ end(): void }>();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    for (const s of streams) s.end();
  });
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };
  const names = async () => new Map((await store.listIntegrations()).map((i) => [i.id, i.name]));

  const findRun = async (runId: string): Promise<Run> => {
    const run = await store.getRun(runId);
    if (!run) throw notFound(`no run ${runId} (see GET /api/v1/runs)`);
    return run;
  };

  app.get(
    '/api/v1/runs',
    { config: { auth: 'read' }, schema: { tags, summary: 'Collection runs, newest first', querystring: RunsQuery, response: { 200: RunList, ...errors, 404: ErrorBody } } },
    async (request) => {
      const limit = request.query.limit ?? 20;
      const integrationId = request.query.integration ? (await requireIntegration(store, request.query.integration)).id : undefined;
      const runs = await store.latestRuns(integrationId, limit);
      const byId = await names();
      return { items: await Promise.all(runs.map((r) => runView(deps, r, byId))) };
    },
  );

  app.get(
    '/api/v1/runs/:runId',
    { config: { auth: 'read' }, schema: { tags, summary: 'One run: status and per resource state, pages, objects, requests, 429s waited, ETA', params: RunParams, response: { 200: RunView, ...errors, 404: ErrorBody } } },
    async (request) => runView(deps, await findRun(request.params.runId), await names()),
  );

  app.get(
    '/api/v1/runs/:runId/events',
    {
      config: { auth: 'read' },
      schema: {
        tags,
        summary: 'Run progress as Server-Sent Events: `progress` events carry the run (as GET /api/v1/runs/{runId}) whenever it changes; `end` carries it once finished, then the stream closes',
        params: RunParams,
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errors, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      let run = await findRun(request.params.runId);
      const byId = await names();
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      res.on('close', () => (closed = true));
      const stream = { end: () => (closed = true) };
      streams.add(stream);
      const send = (event: string, data: unknown) => {
        if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      res.write('retry: 2000\n\n');
      let last = '';
      const interval = deps.sseIntervalMs ?? 1000;
      try {
        for (;;) {
          const view = await runView(deps, run, byId);
          const text = JSON.stringify({ ...view, eta: null, resources: view.resources.map((r) => ({ ...r, etaSeconds: null })) });
          if (run.status !== 'running') {
            send('end', view);
            break;
          }
          // Heartbeat comments keep proxies from timing the stream out while nothing changes.
          if (text !== last) send('progress', view);
          else if (!closed) res.write(': waiting\n\n');
          last = text;
          await new Promise((r) => setTimeout(r, interval));
          if (closed || closing) break;
          const next = await store.getRun(run.id);
          if (!next) break;
          run = next;
        }
      } catch (err) {
        request.log.warn({ runId: run.id, err: (err as Error).message }, 'run event stream failed');
        send('error', { error: 'internal', message: 'reading the run failed; reconnect to resume' });
      } finally {
        streams.delete(stream);
        res.end();
      }
    },
  );
};
