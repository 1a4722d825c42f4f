/** Queue names and job contracts shared by the CLI, collector and stream workers. Job data never holds secrets. */
export const QUEUES = {
  collect: 'idgraph-collect',
  refresh: 'idgraph-refresh',
} as const;

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
