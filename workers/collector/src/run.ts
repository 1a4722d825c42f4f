/**
 * One collection run of an integration: creates (or resumes) the run, runs each resource's
 * collector as soon as the resources it depends on are done, records progress per resource, and
 * returns a summary. A resumed run (same runId, e.g. after a SIGKILL) continues every resource from
 * its checkpoints; the final graph is the same as an uninterrupted run's.
 *
 * A resource the credentials may not read (a scope not granted to the service app, or an admin role
 * that does not allow it) is `skipped` with the reason, and what depends on it with it; the others
 * are collected and the run ends `partial`. A skipped resource never reaches its tombstone pass.
 */
import { describeError, sharedAbortController } from '@idgraph/core';
import { accessDenial, RESOURCE_SCOPES } from '@idgraph/okta';
import type { Logger } from '@idgraph/core';
import type { EventLimits } from '@idgraph/normalize';
import { planAdminFirst, type AdminFirst } from './admin-first.js';
import { collectAppAssignments, collectApps } from './collectors/apps.js';
import { collectFactors } from './collectors/factors.js';
import { collectGroupMembers, collectGroups } from './collectors/groups.js';
import { collectApiTokens, collectAppCredentials, collectGroupRules } from './collectors/privilege.js';
import { collectRoles } from './collectors/roles.js';
import { collectSystemLog } from './collectors/system-log.js';
import { collectUsers } from './collectors/users.js';
import type { CollectionMode, CollectorContext, CollectorResult, IntegrationRef } from './context.js';
import type { CollectorClient, CollectorStore, GraphReader, RunInfo, RunStatus, RunStore, RunTrigger } from './ports.js';
import { RequestMeter, ResourceProgress, type ResourceSnapshot } from './progress.js';
import { refreshObjects } from './refresh.js';
import { type CollectorResource, RESOURCE_DEPENDENCIES, parseResources } from './resources.js';

export interface CountsReader {
  /** Live rows per kind (GraphStore.counts). */
  counts?(integrationId: string): Promise<object>;
}

export interface RunCollectionOptions {
  client: CollectorClient;
  store: CollectorStore & GraphReader & RunStore & CountsReader;
  integration: IntegrationRef;
  mode: CollectionMode;
  resources?: readonly string[];
  trigger: RunTrigger;
  /** Resume this run (its checkpoints) instead of starting a new one. */
  runId?: string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (update: RunProgress) => void;
  /** Wire `meter.onRequest` into the client's `onRequest` to attribute retries and 429 waits per resource. */
  meter?: RequestMeter;
  /** Requests in flight per fanning-out collector (default 8). */
  concurrency?: number;
  /** Size and depth limits of one System Log event (IdgraphConfig.eventLimits). */
  eventLimits?: Partial<EventLimits>;
  /** Called with the run as soon as it exists (e.g. to tell a waiting CLI its id). */
  onRun?: (run: RunInfo) => void | Promise<void>;
  /**
   * Called once the admin posture inputs are collected (admin-first.ts), to run the admin checks;
   * the run is marked `adminPostureFinalAt` after it returns. Not called when a milestone failed.
   */
  onAdminPostureFinal?: (run: { runId: string; integrationId: string }) => Promise<void>;
}

export interface RunProgress {
  runId: string;
  resources: ResourceSnapshot[];
}

export type RunOutcome = RunStatus | 'interrupted';
type ResourceOutcome = 'done' | 'failed' | 'skipped';

export interface RunSummary {
  runId: string;
  /**
   * `interrupted`: stopped by the signal; the run stays resumable. `partial`: some resources were
   * collected, others failed or were skipped (see `perResource`).
   */
  status: Exclude<RunOutcome, 'running'>;
  /** Resources not collected because the credentials may not read them (a subset of perResource). */
  skipped: string[];
  perResource: Record<string, ResourceSnapshot>;
  counts: object;
  requests: number;
  waited429: number;
  retries: number;
  durationMs: number;
  error?: string;
}

type Collector = (ctx: CollectorContext) => Promise<CollectorResult>;

export async function runCollection(opts: RunCollectionOptions): Promise<RunSummary> {
  const started = Date.now();
  const resources = parseResources(opts.resources);
  const signal = opts.signal ?? sharedAbortController().signal;
  const run = await openRun(opts, resources);
  await opts.onRun?.(run);
  const log = opts.logger.child({ runId: run.id, integrationId: opts.integration.id });
  const statsBefore = opts.client.stats();

  const progress = new Map<CollectorResource, ResourceProgress>();
  const emit = (): void => opts.onProgress?.({ runId: run.id, resources: [...progress.values()].map((p) => p.snapshot()) });
  for (const resource of resources) {
    const writer = async (name: string, patch: Parameters<RunStore['updateRunResource']>[2]) => {
      await opts.store.updateRunResource(run.id, name, patch);
    };
    progress.set(resource, new ResourceProgress(resource, writer, opts.meter === undefined, emit));
  }

  const collectors = collectorTable(opts, run);
  const adminFirst = planAdminFirst(resources, run.mode === 'incremental' ? 'incremental' : 'full', opts.store);
  const finished = new Map<CollectorResource, Promise<ResourceOutcome>>();
  const runOne = async (resource: CollectorResource): Promise<ResourceOutcome> => {
    const deps = RESOURCE_DEPENDENCIES[resource].filter((d) => finished.has(d));
    const depOutcomes = await Promise.all(deps.map((d) => finished.get(d)!));
    const p = progress.get(resource)!;
    const failedDeps = deps.filter((_, i) => depOutcomes[i] === 'failed');
    if (failedDeps.length > 0) {
      await p.finish('failed', `not collected: ${failedDeps.join(', ')} failed`);
      return 'failed';
    }
    const skippedDeps = deps.filter((_, i) => depOutcomes[i] === 'skipped');
    if (skippedDeps.length > 0) {
      // Say also when its own scope was refused, so one round of granting fixes both.
      const ownScope = RESOURCE_SCOPES[resource];
      const alsoRefused = opts.client.scopeState?.()?.refused.includes(ownScope) ? `; it also needs ${ownScope}, which Okta refused to grant` : '';
      await p.skip(`not collected: it needs ${skippedDeps.join(', ')}, which ${skippedDeps.length > 1 ? 'were' : 'was'} skipped${alsoRefused}`);
      return 'skipped';
    }
    const ctx: CollectorContext = {
      client: opts.client,
      store: opts.store,
      integration: opts.integration,
      run,
      logger: log.child({ resource }),
      signal,
      progress: p,
      mode: run.mode === 'incremental' ? 'incremental' : 'full',
      concurrency: opts.concurrency ?? 8,
      ...(opts.eventLimits ? { eventLimits: opts.eventLimits } : {}),
      ...(adminFirst ? { adminFirst } : {}),
    };
    try {
      await p.start(ctx.mode === 'full');
      const work = () => collectors[resource](ctx);
      const result = opts.meter ? await opts.meter.scope(p, work) : await work();
      await p.finish('done', result.warning);
      ctx.logger.info({ objects: result.objects, complete: result.complete, ...(result.rejected ? { rejected: result.rejected } : {}) }, 'resource collected');
      if (result.warning) ctx.logger.warn({ warning: result.warning }, 'resource collected with a warning');
      return 'done';
    } catch (err) {
      const message = describeError(err);
      if (signal.aborted) {
        // Leave it resumable: state stays running, checkpoints hold the resume point.
        await p.flush({}).catch(() => undefined);
        throw err;
      }
      const denial = accessDenial(resource, err, opts.client.scopeState?.() ?? null);
      if (denial) {
        ctx.logger.warn({ status: denial.status, scope: denial.scope }, 'resource skipped: the credentials may not read it');
        await p.skip(denial.message).catch(() => undefined);
        return 'skipped';
      }
      ctx.logger.error({ err: message }, 'resource failed');
      await p.finish('failed', message).catch(() => undefined);
      return 'failed';
    }
  };
  for (const resource of resources) {
    const outcome = runOne(resource);
    finished.set(resource, outcome);
    if (adminFirst) void outcome.then((o) => adminFirst.settleResource(resource, o), () => adminFirst.settleResource(resource, 'failed'));
  }
  const adminPosture = adminFirst ? finalizeAdminPosture(opts, adminFirst, run.id, signal, log) : Promise.resolve();

  const settled = await Promise.allSettled(finished.values());
  await adminPosture;
  const interrupted = signal.aborted && settled.some((s) => s.status === 'rejected');
  const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed'));
  const doneCount = outcomes.filter((o) => o === 'done').length;
  const status: Exclude<RunOutcome, 'running'> = interrupted
    ? 'interrupted'
    : doneCount === resources.length
      ? 'succeeded'
      : doneCount === 0
        ? 'failed'
        : 'partial';
  const failedNames = resources.filter((r) => progress.get(r)!.snapshot().state === 'failed');
  const skippedNames = resources.filter((r) => progress.get(r)!.snapshot().state === 'skipped');
  const problems = [
    ...(failedNames.length > 0 ? [`failed: ${failedNames.map((r) => `${r} (${progress.get(r)!.snapshot().error})`).join('; ')}`] : []),
    // Nothing collected at all is a failed run; say why for the skipped resources too.
    ...(doneCount === 0 && skippedNames.length > 0 ? [`skipped: ${skippedNames.map((r) => `${r} (${progress.get(r)!.snapshot().reason})`).join('; ')}`] : []),
  ];
  const error = problems.length > 0 ? problems.join(' — ') : undefined;
  if (status !== 'interrupted') await opts.store.finishRun(run.id, status, error);
  const statsAfter = opts.client.stats();
  const summary: RunSummary = {
    runId: run.id,
    status,
    skipped: skippedNames,
    perResource: Object.fromEntries([...progress].map(([r, p]) => [r, p.snapshot()])),
    counts: (await opts.store.counts?.(opts.integration.id)) ?? {},
    requests: statsAfter.requests - statsBefore.requests,
    waited429: statsAfter.waited429 - statsBefore.waited429,
    retries: statsAfter.retries - statsBefore.retries,
    durationMs: Date.now() - started,
    ...(error ? { error } : {}),
  };
  log.info({ status, requests: summary.requests, durationMs: summary.durationMs }, 'collection run ended');
  emit();
  return summary;
}

/**
 * Waits until every admin milestone is settled; when all succeeded, runs the admin checks and
 * marks the run. Never throws: the admin step only ever makes findings earlier.
 */
async function finalizeAdminPosture(opts: RunCollectionOptions, gate: AdminFirst, runId: string, signal: AbortSignal, log: Logger): Promise<void> {
  try {
    if (!(await gate.final(signal))) {
      log.info('admin posture not final in this run: a resource it needs failed or was skipped');
      return;
    }
    await opts.onAdminPostureFinal?.({ runId, integrationId: opts.integration.id });
    await opts.store.markAdminPostureFinal?.(runId);
    log.info('admin posture final');
  } catch (err) {
    if (!signal.aborted) log.warn({ err: describeError(err) }, 'admin posture checks failed; they run again at the end of the run');
  }
}

async function openRun(opts: RunCollectionOptions, resources: CollectorResource[]): Promise<RunInfo & { mode: string }> {
  if (opts.runId !== undefined) {
    const existing = await opts.store.getRun(opts.runId);
    if (existing == null) throw new Error(`run ${opts.runId} does not exist: pass a run id from \`idgraph runs\` or omit it to start a new run`);
    if (existing.integrationId !== opts.integration.id) throw new Error(`run ${opts.runId} belongs to another integration`);
    return existing;
  }
  const run = await opts.store.startRun({ integrationId: opts.integration.id, mode: opts.mode, trigger: opts.trigger, resources: [...resources] });
  return { ...run, mode: opts.mode };
}

function collectorTable(opts: RunCollectionOptions, run: RunInfo & { mode: string }): Record<CollectorResource, Collector> {
  const full = run.mode !== 'incremental';
  return {
    users: collectUsers,
    groups: collectGroups,
    group_members: collectGroupMembers,
    apps: collectApps,
    app_assignments: collectAppAssignments,
    roles: collectRoles,
    factors: collectFactors,
    api_tokens: collectApiTokens,
    group_rules: collectGroupRules,
    app_credentials: collectAppCredentials,
    system_log: (ctx) =>
      collectSystemLog(ctx, {
        // A full run re-reads every object, so only events newer than the run need targeted re-reads.
        needsRefresh: full ? (e) => Date.parse(e.published) >= run.startedAt.getTime() : () => true,
        onRefresh: async (requests) => {
          const result = await refreshObjects({
            client: opts.client,
            store: opts.store,
            integration: opts.integration,
            requests,
            logger: ctx.logger,
            signal: ctx.signal,
            // Within this run: rows re-read now count as seen by it, so its tombstoning stays right.
            run,
          });
          if (result.failures.length > 0) ctx.logger.warn({ failures: result.failures.length }, 'some targeted refreshes failed');
        },
      }),
  };
}

export { describeError };
