/**
 * Collection end to end: a simulated Okta org (5,000 users) with faults injected — 5xx answers,
 * dropped connections, truncated bodies, latency and bursts of concurrency 429s — is collected by
 * the collector workers (BullMQ on real Redis, graph in real PostgreSQL, rate governor shared
 * through Redis) processing a Collect Now job; the exported graph must equal `sim.truth()` line
 * for line. Then Collect Now clicked twice (and once more while the run is under way) starts one run.
 */
import { collectNow, redisConnection, startCollectorWorkers, type CollectorWorkers, type RunSummary } from '@idgraph/collector';
import type { OktaSim } from '@idgraph/okta-sim';
import { TEST_REDIS_URL, waitFor } from '@idgraph/test-support';
import type { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integration } from '@idgraph/graph';
import {
  describeExportDiff,
  E2E_TENANT,
  e2eLogger,
  exportLines,
  makeGovernor,
  storeClientFactory,
  type CollectorDb,
} from './fixtures/collect-env.js';
import { startCollectionE2e, type CollectionE2e } from './fixtures/collection-e2e.js';

const logger = e2eLogger('collection-e2e');

/** Modest fault rates: every kind shows up a number of times in a ~6k-request run. */
const FAULTS = { latencyMs: 1, jitterMs: 6, error5xxRate: 0.02, dropRate: 0.004, truncateRate: 0.004, seed: 99 };

describe('collection end to end: workers on Redis + PostgreSQL against a faulty simulator', () => {
  let env: CollectionE2e;
  let sim: OktaSim;
  let db: CollectorDb;
  let integration: Integration;
  let workers: CollectorWorkers;
  let queue: Queue;
  let events: QueueEvents;
  const governorRedis = redisConnection(TEST_REDIS_URL);

  beforeAll(async () => {
    env = await startCollectionE2e('collection_e2e', {
      users: 5000,
      seed: 21,
      // Limits × 40 so the run takes seconds, the whole bucket ours (the governor runs at share 1).
      rateLimitFactor: 40,
      tokenShare: 1,
      // The client keeps up to 16 requests in flight; Okta's concurrency limit below that makes
      // bursts of concurrency 429s (X-Rate-Limit-Limit: 0) whenever the collectors overlap.
      concurrencyLimit: 10,
      faults: FAULTS,
    }, logger);
    ({ sim, db, integration, queue, events } = env);
    const prefix = env.prefix;
    workers = startCollectorWorkers({
      redisUrl: TEST_REDIS_URL,
      store: db.store,
      logger,
      prefix,
      lockDurationMs: 15_000,
      makeClient: storeClientFactory(db.graph, makeGovernor({ redis: governorRedis, keyPrefix: `${prefix}:rl:`, share: 1, maxConcurrent: 16 }), logger),
    });
  });

  afterAll(async () => {
    await workers?.close();
    governorRedis.disconnect();
    await env?.close();
  });

  it('a Collect Now job collects the whole org through 5xx, drops, truncation and 429 bursts; export equals sim.truth()', async () => {
    const started = Date.now();
    const { jobId, joined } = await collectNow(queue, integration.id, undefined, { tenant: E2E_TENANT });
    expect(joined).toBe(false);
    const job = await queue.getJob(jobId);
    expect(JSON.stringify(job?.data)).not.toContain(sim.apiToken);
    const summary = (await job!.waitUntilFinished(events, 120_000)) as RunSummary;
    const wallMs = Date.now() - started;

    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    const stats = sim.stats();
    // The faults really happened and were absorbed by retries and 429 waits.
    expect(summary.retries).toBeGreaterThan(10);
    expect(stats.concurrency429 + stats.throttled429).toBeGreaterThan(0);
    expect(summary.waited429).toBeGreaterThan(0);

    const diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');
    // Deprovisioned users (absent from a plain /api/v1/users list) are in the graph.
    expect(sim.truth().some((l) => l.type === 'node' && l.kind === 'user' && l.status === 'DEPROVISIONED')).toBe(true);

    // Progress recorded per resource in the run tables.
    const run = await db.graph.getRun(summary.runId);
    expect(run?.status).toBe('succeeded');
    expect(run?.trigger).toBe('collect-now');
    for (const r of run!.resources) {
      expect(r.state, r.resource).toBe('done');
      expect(r.requests, r.resource).toBeGreaterThan(0);
    }
    logger.info({ wallMs, requests: summary.requests, retries: summary.retries, waited429: summary.waited429, sim: stats }, 'faulty full run');
  });

  it('Collect Now twice in quick succession, and again while the run is under way, starts one run', async () => {
    const runsBefore = (await db.graph.latestRuns(integration.id, 100)).length;
    // Everything but the factor sweep (the slow part, already proven above): long enough to click during it.
    const resources = ['users', 'groups', 'group_members', 'apps', 'app_assignments', 'roles', 'system_log'];
    const first = await collectNow(queue, integration.id, resources, { tenant: E2E_TENANT });
    const second = await collectNow(queue, integration.id, resources, { tenant: E2E_TENANT });
    expect(first.joined).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, joined: true });

    const job = (await queue.getJob(first.jobId))!;
    // Wait until the worker has the job and the run exists, then click again.
    await waitFor('the Collect Now job to be active with its run', async () => (await job.isActive()) && (await db.graph.runningRun(integration.id)) !== undefined, 30_000, 50);
    const third = await collectNow(queue, integration.id, resources, { tenant: E2E_TENANT });
    expect(third).toEqual({ jobId: first.jobId, joined: true });

    const summary = (await job.waitUntilFinished(events, 120_000)) as RunSummary;
    expect(summary.status).toBe('succeeded');
    const runs = await db.graph.latestRuns(integration.id, 100);
    expect(runs.length).toBe(runsBefore + 1);
    expect(runs[0]!.id).toBe(summary.runId);
    const diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');

    // Once that run is over, Collect Now starts a new one again (the dedup key is released).
    const after = await collectNow(queue, integration.id, ['groups'], { tenant: E2E_TENANT });
    expect(after.joined).toBe(false);
    expect(after.jobId).not.toBe(first.jobId);
    const later = (await (await queue.getJob(after.jobId))!.waitUntilFinished(events, 60_000)) as RunSummary;
    expect(later.status).toBe('succeeded');
    expect((await db.graph.latestRuns(integration.id, 100)).length).toBe(runsBefore + 2);
  });
});
