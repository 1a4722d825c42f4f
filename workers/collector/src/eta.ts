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
