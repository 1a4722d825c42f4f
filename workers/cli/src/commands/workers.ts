import type { Command } from 'commander';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { describeError, env, QUEUES, rateGovernorKeyPrefix } from '@idgraph/core';
import { DEFAULT_COLLECT_CONCURRENCY, startCollectorWorkers, syncSchedules, redisConnection } from '@idgraph/collector';
import { createRedisRateGovernor } from '@idgraph/okta';
import { migrationsCurrent, type GraphStore } from '@idgraph/graph';
import { ADMIN_POSTURE_CHECKS, createPostureDebouncer, runPostureChecks, postureThresholdsFromEnv } from '@idgraph/posture';
import { runStreamWorker, type StreamWorker, type EventStreamStore } from '@idgraph/stream-consumer';
import { action } from '../action.js';
import { requirePostgres, requireRedis } from '../context.js';
import type { CliContext } from '../context.js';
import { clientForIntegration } from '../credentials.js';
import { intOption, numberOption } from '../options.js';
import { out } from '../output.js';
import { startOpsServer } from '../ops/server.js';
import { WorkerMetrics, type MetricSources } from '../ops/metrics.js';

interface WorkersOptions {
  concurrency: number;
  stream: boolean;
  port?: number;
  host?: string;
  rateShare: number;
  scheduleSyncSeconds: number;
  lockSeconds: number;
}

/** Wraps the store given to the stream worker so committed batches trigger (debounced) posture checks. */
function withPostureTrigger(store: GraphStore, trigger: (integrationId: string) => void): EventStreamStore {
  return {
    integrationByEventSource: (source) => store.integrationByEventSource(source),
    async ingestEvents(items) {
      const result = await store.ingestEvents(items);
      if (result.applied > 0) for (const id of new Set(items.map((i) => i.integrationId))) trigger(id);
      return result;
    },
  };
}

/** The scrape-time sources of /metrics: queue job counts, collection totals and open findings of this tenant, the stream consumer's counters. */
function metricSources(ctx: CliContext, store: GraphStore, queues: Queue[], stream: () => StreamWorker | null): MetricSources {
  return {
    jobCounts: () =>
      Promise.all(queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children') }))),
    async collectionTotals() {
      const gdb = await ctx.database();
      const rows = await gdb.execute<{ integration: string; resource: string; pages: number; objects: number; requests: number; waited_429: number; retries: number }>(sql`
        SELECT i.name AS integration, rr.resource, SUM(rr.pages)::float8 AS pages, SUM(rr.objects)::float8 AS objects,
               SUM(rr.requests)::float8 AS requests, SUM(rr.waited_429)::float8 AS waited_429, SUM(rr.retries)::float8 AS retries
        FROM run_resources rr JOIN collection_runs r ON r.id = rr.run_id JOIN integrations i ON i.id = r.integration_id
        WHERE r.tenant_id = ${store.tenant}
        GROUP BY i.name, rr.resource`);
      return rows.map((r) => ({
        integration: r.integration,
        resource: r.resource,
        pages: Number(r.pages),
        objects: Number(r.objects),
        requests: Number(r.requests),
        waited429: Number(r.waited_429),
        retries: Number(r.retries),
      }));
    },
    async openFindings() {
      const gdb = await ctx.database();
      const rows = await gdb.execute<{ check_id: string; open: number }>(sql`
        SELECT check_id, COUNT(*)::float8 AS open FROM findings WHERE tenant_id = ${store.tenant} AND resolved_at IS NULL GROUP BY check_id`);
      return rows.map((r) => ({ check: r.check_id, open: Number(r.open) }));
    },
    stream: () => stream()?.metrics.snapshot() ?? null,
  };
}

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description('Run collector workers (scheduled collections, Collect Now, targeted refreshes) on Redis; --stream adds the Log Streaming consumer (SQS_QUEUE_URL, SQS_DLQ_URL).')
    .option(
      '--concurrency <n>',
      "collection jobs at once in this process: a run waiting on an org's rate limits holds a slot but no connection, so one slot per org this process should carry",
      intOption('--concurrency', 1, 256),
      DEFAULT_COLLECT_CONCURRENCY,
    )
    .option('--stream', 'also consume Okta Log Streaming events from SQS', false)
    .option('--port <port>', 'port for /healthz, /readyz and /metrics (0 = any; default IDGRAPH_OPS_PORT or 9464)', intOption('--port', 0, 65535))
    .option('--host <address>', 'address to serve them on (default IDGRAPH_OPS_HOST or 127.0.0.1; 0.0.0.0 for every interface)')
    .option('--rate-share <share>', "share of each Okta rate-limit bucket all workers together may spend (0-1]", numberOption('--rate-share', { above: 0, max: 1, example: '0.5' }), 0.5)
    .option('--schedule-sync-seconds <s>', 'how often schedules are re-synced with the integrations table', intOption('--schedule-sync-seconds', 1), 30)
    .option(
      '--lock-seconds <s>',
      "how long a run outlives a process that died (killed, crashed): its job lock and the integration's lock expire after this without renewal, and another worker resumes the run from its checkpoints",
      intOption('--lock-seconds', 2, 600),
      30,
    )
    .action(
      action(
        async (ctx, opts: WorkersOptions) => {
          requirePostgres(ctx, 'workers');
          const opsPort = opts.port ?? env.int(process.env, 'IDGRAPH_OPS_PORT', { default: 9464, min: 0, max: 65535 });
          const opsHost = opts.host ?? env.string(process.env, 'IDGRAPH_OPS_HOST', { default: '127.0.0.1' });
          await requireRedis(ctx);
          const store = await ctx.store();
          const gdb = await ctx.database();
          const log = ctx.logger;
          const redis = new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 2 });
          // Reconnects after a Redis outage are logged, not printed as "[ioredis] Unhandled error event".
          redis.on('error', (err: Error) => log.warn({ err: describeError(err) }, 'redis connection error; reconnecting'));
          // Keyed under the queue prefix: two deployments sharing one Redis keep separate budgets.
          const governor = createRedisRateGovernor(redis, { share: opts.rateShare, keyPrefix: rateGovernorKeyPrefix(ctx.config.queuePrefix) });
          let stream: StreamWorker | null = null;
          // The workers serve every tenant of the database: a job carries its tenant, and everything
          // it reads and writes goes through that tenant's store (one per tenant, on one pool).
          const tenantStores = new Map<string, GraphStore>([[store.tenant, store]]);
          const storeFor = (tenant: string): GraphStore => {
            let s = tenantStores.get(tenant);
            if (!s) tenantStores.set(tenant, (s = store.forTenant(tenant)));
            return s;
          };
          const tenantOf = new Map<string, string>();
          const postureDebouncer = createPostureDebouncer({
            delayMs: 5000,
            logger: log,
            run: async (integrationId: string) => {
              const s = storeFor(tenantOf.get(integrationId) ?? store.tenant);
              await runPostureChecks({ store: s, db: gdb, integrationId, thresholds: postureThresholdsFromEnv(), logger: log });
            },
          });
          const queueConnection = redisConnection(ctx.config.redisUrl);
          const collectQueue = new Queue(QUEUES.collect, { connection: queueConnection, prefix: ctx.config.queuePrefix });
          const refreshQueue = new Queue(QUEUES.refresh, { connection: queueConnection, prefix: ctx.config.queuePrefix });
          const metrics = new WorkerMetrics(metricSources(ctx, store, [collectQueue, refreshQueue], () => stream));
          const collectors = startCollectorWorkers({
            redisUrl: ctx.config.redisUrl,
            prefix: ctx.config.queuePrefix,
            eventLimits: ctx.config.eventLimits,
            // Admin findings as soon as a run has admin roles, holders and their factors (every check runs after the run).
            onAdminPostureFinal: async ({ integrationId, tenant }) => {
              await runPostureChecks({ store: storeFor(tenant), db: gdb, integrationId, thresholds: postureThresholdsFromEnv(), logger: log, checks: ADMIN_POSTURE_CHECKS });
            },
            store,
            storeFor,
            concurrency: opts.concurrency,
            lockDurationMs: opts.lockSeconds * 1000,
            logger: log,
            makeClient: (integration, hooks) =>
              clientForIntegration(storeFor((integration as { tenantId?: string }).tenantId ?? store.tenant), integration as Parameters<typeof clientForIntegration>[1], {
                logger: log,
                governor,
                onRequest: (e) => {
                  hooks.onRequest(e);
                  metrics.oktaRequest(integration.name ?? integration.id, e);
                },
              }),
          });
          collectors.collectWorker.on('completed', (job: Job) => {
            const { integrationId: id, tenant } = job.data as { integrationId?: string; tenant?: string };
            if (!id) return;
            if (tenant) tenantOf.set(id, tenant);
            postureDebouncer.trigger(id);
          });
          const sync = async () => {
            try {
              const tenants = await store.listTenants();
              const r = await syncSchedules(collectQueue, tenants.map(storeFor));
              log.debug({ upserted: r.upserted.length, removed: r.removed.length }, 'schedules synced');
            } catch (err) {
              log.warn({ err: (err as Error).message }, 'schedule sync failed; retrying at the next interval');
            }
          };
          await sync();
          const syncTimer = setInterval(() => void sync(), opts.scheduleSyncSeconds * 1000);
          stream = opts.stream ? await runStreamWorker(ctx.config, { logger: log, store: withPostureTrigger(store, (id) => postureDebouncer.trigger(id)), sideEffects: store }) : null;
          const ops = await startOpsServer({
            port: opsPort,
            host: opsHost,
            logger: log,
            readiness: [
              { name: 'redis', check: async () => void (await redis.ping()) },
              { name: 'postgres', check: async () => void (await gdb.execute(sql`SELECT 1`)) },
              { name: 'migrations', check: async () => { if (!(await migrationsCurrent(gdb))) throw new Error('migrations pending: run `idgraph migrate`'); } },
            ],
            metrics: () => metrics.scrape(),
          });
          out.note(`idgraph workers running (concurrency ${opts.concurrency}${stream ? ', stream consumer on' : ''}); health and metrics on ${ops.url}`);
          log.info({ concurrency: opts.concurrency, stream: Boolean(stream), ops: ops.url }, 'workers started');
          await new Promise<void>((resolve) => {
            process.once('SIGTERM', resolve);
            process.once('SIGINT', resolve);
          });
          log.info('shutting down: finishing the pages and batches in hand');
          clearInterval(syncTimer);
          await Promise.all([collectors.close(), stream?.stop()]);
          await postureDebouncer.close();
          await ops.close();
          await collectQueue.close();
          await refreshQueue.close();
          queueConnection.disconnect();
          redis.disconnect();
        },
        { verbose: (_opts: WorkersOptions) => true },
      ),
    );
}
