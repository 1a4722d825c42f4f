import { QUEUES } from '@idgraph/core';
import { createMemoryRateGovernor, createOktaClient } from '@idgraph/okta';
import { TEST_REDIS_URL, testRedisPrefix } from '@idgraph/test-support';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectNow, redisConnection, startCollectorWorkers, syncSchedules, type CollectorWorkers } from './jobs.js';
import { startHarness, type Harness } from './testdata/harness.js';
import { LISTING_RESOURCES } from './resources.js';


describe('BullMQ collect and refresh jobs', () => {
  let h: Harness;
  let workers: CollectorWorkers;
  let queue: Queue;
  let events: QueueEvents;
  const prefix = testRedisPrefix('collector_jobs').replace(/:$/, '');
  const connection = redisConnection(TEST_REDIS_URL);
  let leastPrivilegeApp: { clientId: string; keyId: string; privateKeyPem: string } | undefined;

  beforeAll(async () => {
    h = await startHarness('collector_jobs', { users: 250, seed: 5 });
    queue = new Queue(QUEUES.collect, { connection, prefix });
    events = new QueueEvents(QUEUES.collect, { connection: redisConnection(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await workers?.close();
    await events?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    connection.disconnect();
    await h?.close();
  });

  it('Collect Now twice in quick succession starts one run, which collects the org', async () => {
    const first = await collectNow(queue, h.integration.id, LISTING_RESOURCES, { tenant: 't1' });
    const second = await collectNow(queue, h.integration.id, LISTING_RESOURCES, { tenant: 't1' });
    expect(first.joined).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, joined: true });
    expect(await queue.getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 1 });
    // Job data carries ids only.
    const job = await queue.getJob(first.jobId);
    expect(JSON.stringify(job?.data)).not.toContain(h.sim.apiToken);

    workers = startCollectorWorkers({
      redisUrl: TEST_REDIS_URL,
      store: h.store,
      logger: h.logger,
      prefix,
      makeClient: (integration, hooks) =>
        createOktaClient({
          orgUrl: h.sim.url,
          auth: integration.name === 'least-privilege' ? { kind: 'oauth', ...leastPrivilegeApp! } : { kind: 'ssws', token: h.sim.apiToken },
          allowInsecureHttp: true,
          governor: createMemoryRateGovernor({ share: 1, maxConcurrent: 16 }),
          onRequest: hooks.onRequest,
        }),
    });
    const result = (await job!.waitUntilFinished(events, 60_000)) as { status: string; runId: string };
    expect(result.status).toBe('succeeded');
    const runs = await h.store.latestRuns(h.integration.id, 10);
    expect(runs.map((r) => r.id)).toEqual([result.runId]);
    expect(runs[0]!.trigger).toBe('collect-now');
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });

  it('Collect Now with a run store opens the run up front; a job that fails for good marks that run failed', async () => {
    // A job for another tenant is refused without retry (UnrecoverableError) before any collection.
    const { jobId, joined, runId } = await collectNow(queue, h.integration.id, ['users'], { tenant: 'someone-else', runs: h.store });
    expect(joined).toBe(false);
    const opened = await h.store.getRun(runId!);
    expect(opened).toMatchObject({ status: 'running', trigger: 'collect-now', resources: [expect.objectContaining({ resource: 'users', state: 'pending' })] });
    const job = await queue.getJob(jobId);
    expect(job?.data.runId).toBe(runId);
    await expect(job!.waitUntilFinished(events, 30_000)).rejects.toThrow(/tenant/);
    for (let i = 0; i < 100 && (await h.store.getRun(runId!))?.status === 'running'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await h.store.getRun(runId!)).toMatchObject({ status: 'failed', error: expect.stringContaining('tenant') });
  });

  it('Collect Now with a least-privilege service app: the run is partial, the resources it may not read skipped with the reason', async () => {
    leastPrivilegeApp = await h.sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read', 'okta.logs.read'], roles: ['READ_ONLY_ADMIN'] });
    const lp = await h.store.createIntegration({ name: 'least-privilege', orgUrl: h.sim.url, authMethod: 'oauth', clientId: leastPrivilegeApp.clientId, keyId: leastPrivilegeApp.keyId, secrets: { privateKeyPem: leastPrivilegeApp.privateKeyPem }, allowHttp: true });
    try {
      const { jobId } = await collectNow(queue, lp.id, undefined, { tenant: 't1' });
      const job = await queue.getJob(jobId);
      const result = (await job!.waitUntilFinished(events, 60_000)) as { status: string; runId: string; skipped: string[] };
      expect(result).toMatchObject({ status: 'partial', skipped: ['apps', 'app_assignments', 'roles', 'api_tokens', 'app_credentials'] });
      const [run] = await h.store.latestRuns(lp.id, 1);
      expect(run).toMatchObject({ id: result.runId, status: 'partial', trigger: 'collect-now' });
      expect(run!.resources.filter((r) => r.state === 'skipped').map((r) => [r.resource, r.error])).toEqual([
        ['api_tokens', expect.stringMatching(/okta\.apiTokens\.read/)],
        ['app_assignments', expect.stringMatching(/needs apps/)],
        ['app_credentials', expect.stringMatching(/needs apps/)],
        ['apps', expect.stringMatching(/okta\.apps\.read/)],
        ['roles', expect.stringMatching(/needs apps.*okta\.roles\.read/)],
      ]);
      expect(run!.resources.filter((r) => r.state === 'done').map((r) => r.resource)).toEqual(['factors', 'group_members', 'group_rules', 'groups', 'system_log', 'users']);
    } finally {
      await h.store.removeIntegration('least-privilege');
    }
  });

  it('syncSchedules keeps one scheduler per integration and kind, and drops removed integrations', async () => {
    const scheduleQueue = new Queue('idgraph-schedules-test', { connection, prefix });
    try {
      const first = await syncSchedules(scheduleQueue, h.store);
      expect(first.upserted.sort()).toEqual(
        ['factors', 'full', 'incremental'].map((k) => `collect:${h.integration.id}:${k}`).sort(),
      );
      const again = await syncSchedules(scheduleQueue, h.store);
      expect(again.removed).toEqual([]);
      expect(await scheduleQueue.getJobSchedulersCount()).toBe(3);
      const schedulers = await scheduleQueue.getJobSchedulers(0, -1);
      for (const s of schedulers) expect(JSON.stringify(s)).not.toContain(h.sim.apiToken);

      await h.store.removeIntegration('sim');
      const after = await syncSchedules(scheduleQueue, h.store);
      expect(after.upserted).toEqual([]);
      expect(after.removed.sort()).toEqual(first.upserted.sort());
      expect(await scheduleQueue.getJobSchedulersCount()).toBe(0);
    } finally {
      await scheduleQueue.obliterate({ force: true }).catch(() => undefined);
      await scheduleQueue.close();
    }
  });
});
