/**
 * A collector worker process SIGKILLed in the middle of a run, and a new one started: the new
 * process takes the stalled BullMQ job over, resumes the SAME run from its committed checkpoints
 * (it does not start over), and the final graph equals `sim.truth()` exactly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { canHaveFactors, collectNow, type RunSummary } from '@idgraph/collector';
import type { Integration } from '@idgraph/graph';
import type { OktaSim } from '@idgraph/okta-sim';
import { TEST_REDIS_URL, waitFor } from '@idgraph/test-support';
import type { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeExportDiff, E2E_TENANT, e2eLogger, exportLines, type CollectorDb } from './fixtures/collect-env.js';
import { startCollectionE2e, type CollectionE2e } from './fixtures/collection-e2e.js';

const logger = e2eLogger('collection-restart-e2e');
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_SCRIPT = 'test/e2e/fixtures/collect-worker.ts';
const USERS = 5000;

describe('collection end to end: a worker SIGKILLed mid-run and restarted', () => {
  let env: CollectionE2e;
  let sim: OktaSim;
  let db: CollectorDb;
  let integration: Integration;
  let queue: Queue;
  let events: QueueEvents;
  const children: ChildProcess[] = [];

  /** Starts a worker process and resolves once it says `ready`. */
  async function startWorker(name: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: env.tdb.url,
        REDIS_URL: TEST_REDIS_URL,
        E2E_QUEUE_PREFIX: env.prefix,
        E2E_SECRET_KEY: env.secretKey,
        // A killed worker's job lock (and integration lock) expires after this; the next worker takes over.
        E2E_LOCK_MS: '4000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`worker ${name} exited before ready (code ${code}, signal ${signal}): ${stderr}`)));
    });
    return child;
  }

  beforeAll(async () => {
    // Latency keeps the run long enough to kill it in the middle; no error faults here (the
    // request counts below compare the two processes, and the faulty path has its own test).
    env = await startCollectionE2e('collection_restart', { users: USERS, seed: 33, rateLimitFactor: 40, tokenShare: 1, faults: { latencyMs: 2, jitterMs: 4, seed: 5 } }, logger);
    ({ sim, db, integration, queue, events } = env);
  });

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    await env?.close();
  });

  it('resumes the same run from its checkpoints in a new process; export equals sim.truth()', async () => {
    const first = await startWorker('first');
    const { jobId } = await collectNow(queue, integration.id, undefined, { tenant: E2E_TENANT });

    // Kill once pages are committed and the factor sweep (one request per user) is well under way.
    const runId = await waitFor(
      'the first worker to get far enough into the run to be killed (8 pages of factors)',
      async () => {
        const run = (await db.graph.latestRuns(integration.id, 1))[0];
        const factors = run?.resources.find((r) => r.resource === 'factors');
        return run && factors && factors.pages >= 8 ? run.id : undefined;
      },
      90_000,
    );
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = sim.stats();

    const killedRun = await db.graph.getRun(runId);
    expect(killedRun?.status).toBe('running');
    const committedBeforeKill = killedRun!.resources.reduce((n, r) => n + r.pages, 0);
    expect(committedBeforeKill).toBeGreaterThan(0);
    const partial = await exportLines(db.graph, integration.id);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(sim.truth().length);

    await startWorker('second');
    const summary = (await (await queue.getJob(jobId))!.waitUntilFinished(events, 120_000)) as RunSummary;
    const atEnd = sim.stats();

    // The same run, resumed — not a second run.
    expect(summary.runId).toBe(runId);
    expect(summary.status).toBe('succeeded');
    const runs = await db.graph.latestRuns(integration.id, 10);
    expect(runs.map((r) => r.id)).toEqual([runId]);
    expect(runs[0]!.status).toBe('succeeded');

    const diff = describeExportDiff(await exportLines(db.graph, integration.id), sim.truth());
    expect(diff, diff).toBe('');

    // Checkpoints were used: a full factor sweep alone costs one users-bucket request per user
    // that can have factors; the second process made far fewer, because the first one's
    // committed chunks (≥ 8 × 100 users) were not read again.
    const factorUsers = [...sim.org.users.values()].filter((u) => canHaveFactors(u.status)).length;
    const secondUsersBucket = (atEnd.byBucket.users ?? 0) - (atKill.byBucket.users ?? 0);
    expect(secondUsersBucket).toBeLessThan(factorUsers - 700);
    expect(atEnd.requests - atKill.requests).toBeLessThan(atEnd.requests);
    logger.info({ runId, committedBeforeKill, factorUsers, secondUsersBucket, firstRequests: atKill.requests, secondRequests: atEnd.requests - atKill.requests }, 'resumed after SIGKILL');
  });
});
