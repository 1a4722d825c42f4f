/**
 * BullMQ wiring: collect jobs (scheduled and Collect Now) and targeted refresh jobs. Job data holds
 * ids only — the worker reads the integration (and its sealed secrets) from the store and builds
 * the Okta client itself through `makeClient`.
 */
import { describeError, QUEUES, scrubSecrets, sharedAbortController, type CollectJobData, type Logger, type RefreshJobData } from '@idgraph/core';
import type { RefreshRequest } from '@idgraph/graph';
import type { EventLimits } from '@idgraph/normalize';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { IntegrationRef } from './context.js';
import { IntegrationLocks } from './integration-lock.js';
import type { CollectorClient, CollectorStore, GraphReader, RunInfo, RunStore } from './ports.js';
import { RequestMeter } from './progress.js';
import { refreshObjects } from './refresh.js';
import { parseResources } from './resources.js';
import { runCollection, type CountsReader, type RunSummary } from './run.js';

/** Collect job data as it travels: the run id is added once the run exists, so a retried job resumes it. */
export type CollectJob = CollectJobData & { runId?: string };

export interface IntegrationRecord extends IntegrationRef {
  name?: string;
  schedule?: {
    fullIntervalMinutes?: number;
    incrementalIntervalMinutes?: number;
    factorsIntervalMinutes?: number;
    logBackfillDays?: number;
  } | null;
}

export interface WorkerStore extends CollectorStore, GraphReader, RunStore, CountsReader {
  readonly tenant: string;
  getIntegration(nameOrId: string): Promise<IntegrationRecord | null | undefined>;
  listIntegrations(): Promise<IntegrationRecord[]>;
  runningRun(integrationId: string): Promise<RunInfo | null | undefined>;
}

export type ClientFactory = (
  integration: IntegrationRecord,
  hooks: { onRequest: RequestMeter['onRequest'] },
) => CollectorClient | Promise<CollectorClient>;

export const DEFAULT_SCHEDULE = {
  fullIntervalMinutes: 24 * 60,
  incrementalIntervalMinutes: 15,
  factorsIntervalMinutes: 7 * 24 * 60,
} as const;

/** BullMQ needs this on every connection a Worker uses (blocking commands). */
export function redisConnection(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null });
}

/** Redis could not be reached (or refused us) within the probe's time. The message names the URL without its password. */
export class RedisUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnreachableError';
  }
}

/**
 * Connects once to REDIS_URL and pings, within `timeoutMs`, on a throwaway connection that never
 * retries; BullMQ's own connections retry forever, so without this first check a command waits
 * silently on an unreachable Redis while ioredis prints its reconnect errors.
 */
export async function assertRedisReachable(redisUrl: string, timeoutMs = 5000): Promise<void> {
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  // A listener, so ioredis reports errors here instead of as "[ioredis] Unhandled error event".
  probe.on('error', (err: Error) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.connect().then(() => probe.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new RedisUnreachableError(
      `cannot reach Redis at ${displayRedisUrl(redisUrl)} (REDIS_URL): ${redisFailure(lastError ?? (err as Error))}; start Redis there, or set REDIS_URL to one that is reachable`,
    );
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

/** The URL with any password replaced, for messages. */
export function displayRedisUrl(redisUrl: string): string {
  try {
    const u = new URL(redisUrl);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return scrubSecrets(redisUrl);
  }
}

function redisFailure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'ETIMEDOUT') return 'the connection timed out';
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(err.message)) return 'Redis refused the user name or password in the URL';
  return scrubSecrets(err.message);
}

export function collectNowDedupId(integrationId: string): string {
  return `collect-now:${integrationId}`;
}

/** What Collect Now needs to open the run before enqueueing (GraphStore has it). */
export interface CollectNowRuns {
  startRun: RunStore['startRun'];
  discardRun(runId: string): Promise<boolean>;
}

/**
 * Collect Now: one job per integration while one is waiting or running (BullMQ deduplication),
 * so a second request joins the run under way instead of starting another.
 *
 * With `runs`, the run is opened here, before the job is queued, and its id travels in the job:
 * the caller can follow the run at once (the API answers with its id) even before a worker picks
 * it up. A request that joins discards the run it opened and answers with the joined run's id.
 */
export async function collectNow(
  queue: Queue,
  integrationId: string,
  resources?: readonly string[],
  opts: { tenant?: string; mode?: 'full' | 'incremental'; runs?: CollectNowRuns } = {},
): Promise<{ jobId: string; joined: boolean; runId?: string }> {
  const proposed = randomUUID();
  const mode = opts.mode ?? 'full';
  const parsed = resources && resources.length > 0 ? parseResources(resources) : undefined;
  const opened = opts.runs ? await opts.runs.startRun({ integrationId, mode, trigger: 'collect-now', resources: parseResources(parsed) }) : undefined;
  const data: CollectJob = {
    tenant: opts.tenant ?? 'default',
    integrationId,
    mode,
    trigger: 'collect-now',
    ...(parsed ? { resources: parsed } : {}),
    ...(opened ? { runId: opened.id } : {}),
  };
  let job: Job<CollectJob>;
  try {
    job = await queue.add('collect', data, {
      jobId: proposed,
      deduplication: { id: collectNowDedupId(integrationId) },
      attempts: 3,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: 1000,
      removeOnFail: 1000,
    });
  } catch (err) {
    if (opened) await opts.runs!.discardRun(opened.id).catch(() => undefined);
    throw err;
  }
  const jobId = job.id ?? proposed;
  const joined = jobId !== proposed;
  if (!joined) return { jobId, joined, ...(opened ? { runId: opened.id } : {}) };
  if (!opened) return { jobId, joined };
  await opts.runs!.discardRun(opened.id);
  const existing = (await queue.getJob(jobId)) as Job<CollectJob> | undefined;
  const runId = existing?.data.runId;
  return { jobId, joined, ...(runId ? { runId } : {}) };
}

type ScheduleKind = 'full' | 'incremental' | 'factors';
const schedulerId = (integrationId: string, kind: ScheduleKind): string => `collect:${integrationId}:${kind}`;

/**
 * Where in its interval a scheduled collection of an integration runs: a deterministic offset from
 * the integration id (and the kind), in [1, everyMs). BullMQ runs an `every` scheduler with an
 * offset at `k × every + offset`, so the collections of many orgs spread evenly over the interval
 * instead of all starting when the workers start (or at the top of the hour), and each keeps its
 * own slot across restarts and re-syncs.
 */
export function scheduleOffsetMs(integrationId: string, kind: ScheduleKind, everyMs: number): number {
  if (!Number.isInteger(everyMs) || everyMs < 2) throw new Error(`scheduleOffsetMs: the interval must be an integer ≥ 2 ms, got ${everyMs}`);
  const h = createHash('sha256').update(`${integrationId}:${kind}`).digest();
  return 1 + (h.readUIntBE(0, 6) % (everyMs - 1));
}

/**
 * Keeps job schedulers in step with the integrations table: per integration a full, an
 * incremental and a factors-sweep scheduler at the integration's intervals, each at its own offset
 * in the interval (scheduleOffsetMs); schedulers of integrations that no longer exist are removed.
 * Returns what it did.
 */
export async function syncSchedules(
  queue: Queue,
  /** The tenant's store, or one store per tenant when the workers serve every tenant. */
  stores: Pick<WorkerStore, 'listIntegrations' | 'tenant'> | readonly Pick<WorkerStore, 'listIntegrations' | 'tenant'>[],
): Promise<{ upserted: string[]; removed: string[] }> {
  const integrations: { tenant: string; integration: IntegrationRecord }[] = [];
  for (const store of Array.isArray(stores) ? stores : [stores]) {
    for (const integration of await store.listIntegrations()) integrations.push({ tenant: store.tenant, integration });
  }
  const existing = new Map((await queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
  const wanted = new Set<string>();
  const upserted: string[] = [];
  for (const { tenant, integration } of integrations) {
    const s = { ...DEFAULT_SCHEDULE, ...(integration.schedule ?? {}) };
    const base = { tenant, integrationId: integration.id, trigger: 'schedule' as const };
    const entries: [ScheduleKind, number, CollectJob][] = [
      ['full', s.fullIntervalMinutes, { ...base, mode: 'full', resources: ['users', 'groups', 'group_members', 'apps', 'app_assignments', 'roles', 'system_log'] }],
      ['incremental', s.incrementalIntervalMinutes, { ...base, mode: 'incremental' }],
      ['factors', s.factorsIntervalMinutes, { ...base, mode: 'full', resources: ['factors'] }],
    ];
    for (const [kind, minutes, data] of entries) {
      if (!Number.isFinite(minutes) || minutes <= 0) continue;
      const id = schedulerId(integration.id, kind);
      const every = Math.round(minutes * 60_000);
      const offset = scheduleOffsetMs(integration.id, kind, every);
      wanted.add(id);
      // A scheduler made with another interval or slot (e.g. before offsets) is made afresh:
      // BullMQ keeps an existing scheduler's slot on upsert.
      const before = existing.get(id);
      if (before && (before.every !== every || before.offset !== offset)) await queue.removeJobScheduler(id);
      await queue.upsertJobScheduler(id, { every, offset }, { name: 'collect', data, opts: { removeOnComplete: 100, removeOnFail: 100 } });
      upserted.push(id);
    }
  }
  const removed: string[] = [];
  for (const scheduler of existing.values()) {
    if (scheduler.key.startsWith('collect:') && !wanted.has(scheduler.key)) {
      await queue.removeJobScheduler(scheduler.key);
      removed.push(scheduler.key);
    }
  }
  return { upserted, removed };
}

/** When each scheduled collection of an integration runs next (null: no scheduler, e.g. before `idgraph workers` synced it). */
export async function nextScheduledCollections(
  queue: Queue,
  integrationId: string,
): Promise<{ full: Date | null; incremental: Date | null; factors: Date | null }> {
  const next = async (kind: 'full' | 'incremental' | 'factors') => {
    const scheduler = await queue.getJobScheduler(schedulerId(integrationId, kind));
    return scheduler?.next ? new Date(scheduler.next) : null;
  };
  const [full, incremental, factors] = await Promise.all([next('full'), next('incremental'), next('factors')]);
  return { full, incremental, factors };
}

/**
 * Collect jobs one process runs at once. A run spends most of its time waiting on its org's rate
 * limits (the governor sleeps until the bucket's window resets); waiting, it holds its job slot
 * and some memory, but no PostgreSQL or Redis connection: the process shares one database pool and
 * a fixed handful of Redis connections among all its runs, whatever their number. So slots are
 * cheap, and a process carries this many orgs at their own floors at once (with 2 slots, a third
 * rate-bound org waited for a slot while the other two slept; BENCHMARKS.md, fleet).
 */
export const DEFAULT_COLLECT_CONCURRENCY = 16;

export interface CollectorWorkersOptions {
  redisUrl: string;
  /** The store of the process's own tenant. */
  store: WorkerStore;
  /**
   * Serve every tenant: the store of a job's tenant (jobs carry their tenant; the integration is
   * looked up in that tenant only). Without it, jobs of other tenants fail for good.
   */
  storeFor?: (tenant: string) => WorkerStore | Promise<WorkerStore>;
  /** Collect jobs processed at once by this process (default DEFAULT_COLLECT_CONCURRENCY); refresh jobs use the same. */
  concurrency?: number;
  logger: Logger;
  makeClient: ClientFactory;
  /** How long a job's lock lives without renewal before another worker takes it over (default 30 s). */
  lockDurationMs?: number;
  /** Requests in flight per fanning-out collector (default 8). */
  requestConcurrency?: number;
  /** BullMQ key prefix (tests isolate with it). */
  prefix?: string;
  /** Size and depth limits of one System Log event (IdgraphConfig.eventLimits). */
  eventLimits?: Partial<EventLimits>;
  /** Runs the admin posture checks once a run has collected their inputs (see admin-first.ts). */
  onAdminPostureFinal?: (run: { runId: string; integrationId: string; tenant: string }) => Promise<void>;
}

export interface CollectorWorkers {
  /** Graceful: collectors finish the page in hand, interrupted runs go back to the queue to resume. */
  close(): Promise<void>;
  readonly collectWorker: Worker;
  readonly refreshWorker: Worker;
}

export function startCollectorWorkers(opts: CollectorWorkersOptions): CollectorWorkers {
  const connection = redisConnection(opts.redisUrl);
  const lockRedis = redisConnection(opts.redisUrl);
  const locks = new IntegrationLocks(lockRedis, `${opts.prefix ?? 'idgraph'}:collect-lock:`, opts.lockDurationMs ?? 30_000);
  const stop = sharedAbortController();
  const log = opts.logger.child({ component: 'collector-worker' });
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const common = {
    connection,
    concurrency: opts.concurrency ?? DEFAULT_COLLECT_CONCURRENCY,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    maxStalledCount: 10,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
  };

  const collectWorker = new Worker<CollectJob, RunSummary | { skipped: string }>(
    QUEUES.collect,
    async (job, token) => processCollect(job, token, { ...opts, locks, signal: stop.signal, log }),
    common,
  );
  const refreshWorker = new Worker<RefreshJobData>(
    QUEUES.refresh,
    async (job) => processRefresh(job, { ...opts, signal: stop.signal, log }),
    common,
  );
  // A job that fails for good before or outside its run (the integration vanished, its secrets
  // cannot be opened) would leave a run opened by Collect Now marked running forever.
  collectWorker.on('failed', (job, err) => {
    const runId = job?.data.runId;
    const final = err instanceof UnrecoverableError || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
    if (!runId || !final) return;
    void (async () => {
      // The run was opened in the job's tenant; a job of a tenant this process does not serve failed before reaching it.
      const store = await storeOf(opts, job!.data.tenant).catch(() => opts.store);
      const run = await store.getRun(runId);
      if (run && (run as { status?: string }).status === 'running') await store.finishRun(runId, 'failed', describeError(err));
    })().catch((e: unknown) => log.warn({ runId, err: describeError(e) }, 'could not mark the failed job\'s run failed'));
  });
  for (const w of [collectWorker, refreshWorker]) {
    w.on('failed', (job, err) => log.warn({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  return {
    collectWorker,
    refreshWorker,
    async close() {
      stop.abort(new Error('collector workers shutting down'));
      await Promise.all([collectWorker.close(), refreshWorker.close()]);
      connection.disconnect();
      lockRedis.disconnect();
    },
  };
}

interface ProcessDeps extends CollectorWorkersOptions {
  signal: AbortSignal;
  log: Logger;
}

/** The store of a job's tenant: the process's own, or (serving every tenant) that tenant's. */
async function storeOf(opts: Pick<CollectorWorkersOptions, 'store' | 'storeFor'>, tenant: string): Promise<WorkerStore> {
  if (tenant === opts.store.tenant) return opts.store;
  if (opts.storeFor) return opts.storeFor(tenant);
  throw new UnrecoverableError(`job is for tenant ${JSON.stringify(tenant)} but this worker serves ${JSON.stringify(opts.store.tenant)}`);
}

async function loadIntegration(store: WorkerStore, data: { tenant: string; integrationId: string }): Promise<IntegrationRecord> {
  const integration = await store.getIntegration(data.integrationId);
  if (!integration) throw new UnrecoverableError(`integration ${data.integrationId} does not exist (removed?)`);
  return integration;
}

async function processCollect(
  job: Job<CollectJob>,
  token: string | undefined,
  deps: ProcessDeps & { locks: IntegrationLocks },
): Promise<RunSummary | { skipped: string }> {
  const store = await storeOf(deps, job.data.tenant);
  const integration = await loadIntegration(store, job.data);
  const lock = await deps.locks.tryAcquire(integration.id);
  if (lock === null) {
    // A scheduled job that has not started its run yields to the collection under way; one that
    // carries its run id is resuming it (taken over from a process that died) and waits its turn,
    // as Collect Now does: the lock of a dead holder expires within its TTL.
    if (job.data.trigger === 'schedule' && !job.data.runId) return { skipped: 'another collection of this integration is under way' };
    await job.moveToDelayed(Date.now() + 15_000, token);
    throw new DelayedError();
  }
  if (job.data.runId) {
    // Delivered again after its run ended (its process died between the two): nothing to redo.
    const run = await store.getRun(job.data.runId);
    if (run && (run as { status?: string }).status !== 'running') {
      await lock.release();
      return { skipped: `run ${job.data.runId} already ended ${(run as { status?: string }).status}` };
    }
  }
  try {
    const meter = new RequestMeter();
    const client = await deps.makeClient(integration, { onRequest: meter.onRequest });
    let lastProgress = 0;
    const summary = await runCollection({
      client,
      store,
      integration,
      mode: job.data.mode,
      ...(job.data.resources ? { resources: job.data.resources } : {}),
      trigger: job.data.trigger,
      ...(job.data.runId ? { runId: job.data.runId } : {}),
      logger: deps.log.child({ jobId: job.id }),
      signal: deps.signal,
      meter,
      concurrency: deps.requestConcurrency ?? 8,
      ...(deps.eventLimits ? { eventLimits: deps.eventLimits } : {}),
      ...(deps.onAdminPostureFinal ? { onAdminPostureFinal: (run) => deps.onAdminPostureFinal!({ ...run, tenant: store.tenant }) } : {}),
      onRun: async (run) => {
        if (job.data.runId !== run.id) await job.updateData({ ...job.data, runId: run.id });
      },
      onProgress: (p) => {
        if (Date.now() - lastProgress < 1000) return;
        lastProgress = Date.now();
        void job.updateProgress({ runId: p.runId, resources: p.resources }).catch(() => undefined);
      },
    });
    if (summary.status === 'interrupted') {
      // Shutting down: the checkpoints hold the resume point; any worker picks the job up again.
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    return summary;
  } finally {
    await lock.release();
  }
}

async function processRefresh(job: Job<RefreshJobData>, deps: ProcessDeps): Promise<{ refreshed: number; vanished: number; failures: number }> {
  const store = await storeOf(deps, job.data.tenant);
  const integration = await loadIntegration(store, job.data);
  const client = await deps.makeClient(integration, { onRequest: () => undefined });
  // While a collection of this integration runs, refresh inside it: rows re-read now count as seen
  // by that run, so its tombstoning cannot remove them.
  const running = await store.runningRun(integration.id);
  const result = await refreshObjects({
    client,
    store,
    integration,
    requests: job.data.requests as RefreshRequest[],
    logger: deps.log.child({ jobId: job.id }),
    signal: deps.signal,
    ...(running ? { run: running } : {}),
  });
  if (result.failures.length > 0) throw new Error(`${result.failures.length} of ${job.data.requests.length} refreshes failed; retrying`);
  return { refreshed: result.refreshed, vanished: result.vanished, failures: 0 };
}
