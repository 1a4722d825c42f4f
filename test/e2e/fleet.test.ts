/**
 * A fleet: six simulated orgs in two tenants on one PostgreSQL and one Redis, collected at once by
 * two `idgraph workers` processes (the built CLI) while the simulators answer with concurrency
 * 429s, 5xx errors and dropped connections. One process is SIGKILLed in the middle of its runs:
 * the other takes them over from their checkpoints (BullMQ stalled-job recovery, the same runs).
 * In the end every org's graph export equals its `sim.truth()`, each org has exactly one run, and
 * the killed runs redid at most a page of work.
 */
import { QUEUES } from '@idgraph/core';
import { canHaveFactors, redisConnection } from '@idgraph/collector';
import { roleHolderUserIds } from '@idgraph/okta-sim';
import { TEST_REDIS_URL, waitFor } from '@idgraph/test-support';
import { QueueEvents, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeExportDiff, e2eLogger, exportLines } from './fixtures/collect-env.js';
import { collectEveryOrg, startFleet, startWorkersProcess, type Fleet, type WorkersProcess } from './fixtures/fleet.js';

const logger = e2eLogger('fleet-e2e');
const USERS = [420, 380, 460, 400, 440, 360];

describe('a fleet of orgs, two worker processes, faults, one process killed', () => {
  let fleet: Fleet;
  let events: QueueEvents;
  const processes: WorkersProcess[] = [];

  beforeAll(async () => {
    fleet = await startFleet(
      'fleet_e2e',
      USERS.map((users, i) => ({
        name: `org${i}`,
        tenant: i < 4 ? 't1' : 't2',
        sim: {
          seed: 100 + i,
          users,
          // Limits that bind (users bucket 1,200/min; the workers spend half), an org-wide limit of
          // 4 requests in flight (the governor allows 10: concurrency 429s), 5xx and drops.
          rateLimitFactor: 2,
          tokenShare: 1,
          concurrencyLimit: 4,
          faults: { error5xxRate: 0.02, dropRate: 0.005, latencyMs: 2, jitterMs: 4, seed: 7 + i },
        },
      })),
      logger,
    );
    events = new QueueEvents(QUEUES.collect, { connection: redisConnection(TEST_REDIS_URL), prefix: fleet.prefix });
    await events.waitUntilReady();
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) await p.stop(10_000);
    await events?.close();
    await fleet?.close();
  });

  it('collects every org exactly, the killed process\'s runs resumed by the other', async () => {
    const common = ['--lock-seconds', '4', '--rate-share', '0.5'];
    // The first process carries three runs; the second (default slots) the other three.
    const first = await startWorkersProcess(fleet, 'first', ['--concurrency', '3', ...common]);
    processes.push(first);
    const runs = await collectEveryOrg(fleet);
    const firstJobs = await waitFor(
      'the first process to take three runs',
      async () => {
        const active = await fleet.queue.getActive();
        return active.length === 3 ? active.map((j) => j.id!) : undefined;
      },
      30_000,
    );
    const second = await startWorkersProcess(fleet, 'second', common);
    processes.push(second);
    await waitFor('the second process to take the other three', async () => ((await fleet.queue.getActive()).length === 6 ? true : undefined), 30_000);

    // Kill the first once each of its runs is well into its factor sweep, or already over (a fast
    // machine can finish a small org first); at least one must still be running to be taken over.
    const orgOfJob = new Map([...runs].map(([name, r]) => [r.jobId, fleet.orgs.find((o) => o.name === name)!]));
    const firstOrgs = firstJobs.map((id) => orgOfJob.get(id)!);
    const runningAtKill = await waitFor(
      "the first process's runs to be under way",
      async () => {
        const running: typeof firstOrgs = [];
        for (const org of firstOrgs) {
          const run = await fleet.store(org.tenant).getRun(runs.get(org.name)!.runId);
          if (run && run.status !== 'running') continue;
          const factors = run?.resources.find((r) => r.resource === 'factors');
          if (!run || !factors || factors.pages < 1) return undefined;
          running.push(org);
        }
        return running;
      },
      150_000,
    );
    expect(runningAtKill.length, 'runs of the first process still running when it is killed').toBeGreaterThan(0);
    const killedOrgs = runningAtKill;
    const killedJobs = new Set(killedOrgs.map((o) => runs.get(o.name)!.jobId));
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const killedAt = new Map(killedOrgs.map((o) => [o.name, o.sim.stats()]));

    // Every job ends: the second process resumes the first one's runs once their locks expire.
    const results = await Promise.all(
      [...runs].map(async ([name, r]) => {
        const job = (await fleet.queue.getJob(r.jobId)) as Job;
        return { name, summary: (await job.waitUntilFinished(events, 170_000)) as { runId: string; status: string } };
      }),
    );

    for (const { name, summary } of results) {
      const org = fleet.orgs.find((o) => o.name === name)!;
      const store = fleet.store(org.tenant);
      expect(summary.runId, name).toBe(runs.get(name)!.runId);
      expect(summary.status, name).toBe('succeeded');
      // One run per org: the killed ones were resumed, not started again.
      const orgRuns = await store.latestRuns(org.integration.id, 10);
      expect(orgRuns.map((x) => x.id), name).toEqual([summary.runId]);
      expect(orgRuns[0]!.adminPostureFinal, name).toBe(true);
      const diff = describeExportDiff(await exportLines(store, org.integration.id), org.sim.truth());
      expect(diff, `${name}: ${diff}`).toBe('');
    }

    // The first process's jobs were taken over (stalled and recovered), by the second.
    for (const id of firstJobs.filter((j) => killedJobs.has(j))) {
      const job = (await fleet.queue.getJob(id))!;
      expect(job.stalledCounter, `job ${id}`).toBeGreaterThanOrEqual(1);
    }
    // Checkpoints were used: an org's users-bucket requests (listings, one factor request per user,
    // admins' role lists) exceed a clean run's by at most a page of factor reads, plus retries.
    for (const org of killedOrgs) {
      const users = [...org.sim.org.users.values()];
      const clean = users.filter((u) => canHaveFactors(u.status)).length + roleHolderUserIds(org.sim.org).length + 2 * Math.ceil(users.length / 200) + 4;
      const made = org.sim.stats().byBucket.users ?? 0;
      expect(made, `${org.name}: ${made} users-bucket requests, a clean run makes about ${clean}`).toBeLessThan(clean * 1.08 + 220);
      expect(made).toBeGreaterThan((killedAt.get(org.name)!.byBucket.users ?? 0));
    }
    // Faults were injected and survived.
    const faults = fleet.orgs.reduce((n, o) => n + o.sim.stats().concurrency429, 0);
    expect(faults).toBeGreaterThan(0);
    // Tenants stay apart: each tenant's store sees only its orgs' runs.
    for (const tenant of ['t1', 't2']) {
      const ids = new Set(fleet.orgs.filter((o) => o.tenant === tenant).map((o) => o.integration.id));
      const visible = await fleet.store(tenant).latestRuns(undefined, 50);
      expect(visible.every((r) => ids.has(r.integrationId))).toBe(true);
      expect(visible).toHaveLength(ids.size);
    }
    logger.info({ faults, killed: killedOrgs.map((o) => o.name) }, 'fleet collected');
  }, 300_000);
});
