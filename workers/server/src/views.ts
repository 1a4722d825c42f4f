/** From library objects to the API's response shapes (dates as ISO strings, no secrets). */
import { estimateRunEta, expectedObjectsFromLastRun, nextScheduledCollections } from '@idgraph/collector';
import type { Integration, Run } from '@idgraph/graph';
import { publicIntegration } from '@idgraph/integrations';
import type { ServerDeps } from './app.js';

const isoOrNull = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

/** How far back the console looks for the newest Log Streaming event. */
export const STREAM_LOOK_BACK_DAYS = 7;

export function runBrief(r: Run) {
  const ended = r.endedAt ? new Date(r.endedAt).getTime() : Date.now();
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    mode: r.mode,
    startedAt: new Date(r.startedAt).toISOString(),
    endedAt: isoOrNull(r.endedAt),
    durationMs: Math.max(0, ended - new Date(r.startedAt).getTime()),
    error: r.error,
    adminPostureFinalAt: isoOrNull(r.adminPostureFinalAt),
  };
}

/** An integration tile: the integration, its last test, last and current run, schedule, stream and open findings. */
export async function integrationView(deps: ServerDeps, i: Integration, openFindings: number) {
  const [latest, running, next, lastEventAt] = await Promise.all([
    deps.store.latestRuns(i.id, 1),
    deps.store.runningRun(i.id),
    // The schedule lives in Redis: without it the tile still shows everything else.
    nextScheduledCollections(deps.collectQueue, i.id).catch((err: unknown) => {
      deps.logger.warn({ integration: i.name, err: (err as Error).message }, 'cannot read the collection schedule from Redis');
      return { full: null, incremental: null, factors: null };
    }),
    i.eventSource ? deps.store.lastStreamEventAt(i.id, STREAM_LOOK_BACK_DAYS) : Promise.resolve(null),
  ]);
  const finished = latest[0] && latest[0].status !== 'running' ? latest[0] : (await deps.store.latestRuns(i.id, 5)).find((r) => r.status !== 'running');
  return {
    ...publicIntegration(i),
    authMethod: i.authMethod,
    lastConnectivity: (i.lastConnectivity as { ok: boolean; resources: { resource: string; status: string; message: string }[] } | null) ?? null,
    lastConnectivityAt: isoOrNull(i.lastConnectivityAt),
    lastRun: finished ? runBrief(finished) : null,
    runningRunId: running?.id ?? null,
    nextCollections: { full: isoOrNull(next.full), incremental: isoOrNull(next.incremental), factors: isoOrNull(next.factors) },
    logStreaming: { configured: i.eventSource !== null, lastEventAt: isoOrNull(lastEventAt), lookBackDays: STREAM_LOOK_BACK_DAYS },
    openFindings,
  };
}

/** A run as `idgraph runs --json` prints it, dates as ISO strings, with its ETA while running. */
export async function runView(deps: ServerDeps, r: Run, names: Map<string, string>) {
  const eta = r.status === 'running' ? estimateRunEta(r, await expectedObjectsFromLastRun(deps.store, r.integrationId)) : null;
  const etaOf = new Map((eta?.resources ?? []).map((x) => [x.resource, x.seconds]));
  return {
    ...r,
    integration: names.get(r.integrationId) ?? null,
    startedAt: new Date(r.startedAt).toISOString(),
    endedAt: isoOrNull(r.endedAt),
    adminPostureFinalAt: isoOrNull(r.adminPostureFinalAt),
    resources: r.resources.map((x) => ({
      ...x,
      startedAt: isoOrNull(x.startedAt),
      endedAt: isoOrNull(x.endedAt),
      etaSeconds: etaOf.get(x.resource) ?? null,
    })),
    eta: eta ? { seconds: eta.seconds, requestsPerMinute: eta.requestsPerMinute } : null,
  };
}
