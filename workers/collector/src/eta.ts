/**
 * ETA of a running collection for `idgraph status`: the requests still needed per Okta bucket
 * divided by what the rate limits let us spend per minute in that bucket; buckets are spent in
 * parallel, so the slowest bucket decides.
 */
export interface BucketBudget {
  /** Requests per minute we may spend in this bucket (limit × share). */
  perMinute: number;
}

export interface EtaInput {
  /** Requests still needed per bucket, e.g. from remaining users (factors) and groups (members). */
  remainingByBucket: Record<string, number>;
  budgets: Record<string, BucketBudget>;
}

export interface Eta {
  minutes: number;
  /** The bucket that decides the ETA. */
  bottleneck: string | null;
}

export function estimateEta(input: EtaInput): Eta {
  let worst: Eta = { minutes: 0, bottleneck: null };
  for (const [bucket, remaining] of Object.entries(input.remainingByBucket)) {
    if (remaining <= 0) continue;
    const budget = input.budgets[bucket]?.perMinute;
    if (budget === undefined || budget <= 0) {
      throw new Error(`no rate budget known for bucket ${JSON.stringify(bucket)}: pass its per-minute limit × share`);
    }
    const minutes = remaining / budget;
    if (minutes > worst.minutes) worst = { minutes, bottleneck: bucket };
  }
  return worst;
}

/**
 * Requests a full collection still needs per bucket from what is left to read (counts the CLI
 * reads from the store and the run's progress). Page sizes are Okta's maximums per endpoint.
 */
export function remainingRequests(left: {
  usersToList?: number;
  usersForFactors?: number;
  groupsForMembers?: number;
  membershipsToList?: number;
  groupsForRoles?: number;
  appsForAssignments?: number;
}): Record<string, number> {
  const pages = (n: number | undefined, size: number) => Math.ceil((n ?? 0) / size);
  return {
    '/api/v1/users': pages(left.usersToList, 200),
    '/api/v1':
      (left.usersForFactors ?? 0) +
      Math.max(left.groupsForMembers ?? 0, pages(left.membershipsToList, 1000)) +
      (left.groupsForRoles ?? 0),
    '/api/v1/apps': (left.appsForAssignments ?? 0) * 2,
  };
}

/** A run as the store returns it (GraphStore.getRun / latestRuns), as far as its ETA needs. */
export interface RunForEta {
  status: string;
  mode?: string;
  startedAt: Date | string;
  resources?: { resource: string; state: string; objects: number; requests: number; startedAt?: Date | string | null }[];
}

export interface RunEta {
  /** Time left for the whole run. */
  seconds: number;
  /** Requests per minute the run has achieved so far: what the rate budget lets it spend, in practice. */
  requestsPerMinute: number;
  /** Per unfinished resource with a known size: time left at its own pace so far (null: not started). */
  resources: { resource: string; seconds: number | null }[];
}

/**
 * ETA of a running run, from the objects each resource collected in the last successful full run
 * (`expectedObjects`) and the request rate achieved so far. Null when there is nothing to go on
 * yet (under 6 s in, no request made, no resource of known size left).
 */
export function estimateRunEta(run: RunForEta, expectedObjects: ReadonlyMap<string, number>, now = Date.now()): RunEta | null {
  if (run.status !== 'running') return null;
  const elapsedMin = (now - new Date(run.startedAt).getTime()) / 60_000;
  const resources = run.resources ?? [];
  const requests = resources.reduce((n, x) => n + x.requests, 0);
  if (elapsedMin < 0.1 || requests === 0) return null;
  let remainingFraction = 0;
  let counted = 0;
  const perResource: RunEta['resources'] = [];
  for (const x of resources) {
    if (x.state === 'done' || x.state === 'failed' || x.state === 'skipped') continue;
    const expected = expectedObjects.get(x.resource);
    if (!expected) continue;
    remainingFraction += Math.max(0, 1 - x.objects / expected);
    counted++;
    const started = x.startedAt ? new Date(x.startedAt).getTime() : null;
    const ownMinutes = started === null ? 0 : (now - started) / 60_000;
    perResource.push({
      resource: x.resource,
      seconds: x.objects > 0 && ownMinutes > 0 ? Math.round((Math.max(0, expected - x.objects) / (x.objects / ownMinutes)) * 60) : null,
    });
  }
  if (!counted) return null;
  const share = remainingFraction / counted;
  const remainingRequests = share >= 1 ? requests : (requests * share) / Math.max(1e-6, 1 - share);
  const rate = requests / elapsedMin;
  return { seconds: Math.round((remainingRequests / rate) * 60), requestsPerMinute: Math.round(rate), resources: perResource };
}

/** Objects per resource of the integration's last successful full run: the sizes an ETA aims at. */
export async function expectedObjectsFromLastRun(
  store: { latestRuns(integrationId: string, n: number): Promise<RunForEta[]> },
  integrationId: string,
): Promise<Map<string, number>> {
  const runs = await store.latestRuns(integrationId, 10);
  const done = runs.find((r) => r.status === 'succeeded' && r.mode === 'full');
  return new Map((done?.resources ?? []).map((x) => [x.resource, x.objects]));
}
