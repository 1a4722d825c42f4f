/** Queue names and job contracts shared by the CLI, collector and stream workers. Job data never holds secrets. */
export const QUEUES = {
  collect: 'idgraph-collect',
  refresh: 'idgraph-refresh',
} as const;

/**
 * Redis key prefix of the shared Okta rate governor for a deployment's queue prefix
 * (IDGRAPH_QUEUE_PREFIX), so deployments sharing one Redis never share a rate budget.
 */
export function rateGovernorKeyPrefix(queuePrefix: string): string {
  return `${queuePrefix}:idgraph:rl:`;
}

export interface CollectJobData {
  tenant: string;
  integrationId: string;
  /** full re-collection (tombstones what is gone) or incremental (changes since the last run) */
  mode: 'full' | 'incremental';
  /** resources to collect; absent = all */
  resources?: string[];
  trigger: 'schedule' | 'collect-now';
}

export interface RefreshJobData {
  tenant: string;
  integrationId: string;
  requests: unknown[];
}
