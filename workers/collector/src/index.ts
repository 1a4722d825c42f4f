export * from './ports.js';
export * from './context.js';
export * from './resources.js';
export { forEachConcurrent, mapOrdered, chunks } from './concurrency.js';
export { ResourceProgress, RequestMeter, type ResourceSnapshot, type ResourceState } from './progress.js';
export { collectUsers, ALL_USERS_SEARCH, USER_STATUSES } from './collectors/users.js';
export { collectGroups, collectGroupMembers } from './collectors/groups.js';
export { collectApps, collectAppAssignments } from './collectors/apps.js';
export { collectRoles } from './collectors/roles.js';
export { collectFactors, canHaveFactors, STATUSES_WITHOUT_FACTORS } from './collectors/factors.js';
export { collectSystemLog, DEFAULT_LOG_BACKFILL_DAYS, MAX_LOG_BACKFILL_DAYS, type SystemLogOptions } from './collectors/system-log.js';
export { INCREMENTAL_SAFETY_MARGIN_MS } from './collectors/watermark.js';
export { refreshObjects, type RefreshOptions, type RefreshSummary } from './refresh.js';
export { AdminFirst, ADMIN_FACTORS_SCOPE_PREFIX, type AdminMilestone } from './admin-first.js';
export { runCollection, type RunCollectionOptions, type RunProgress, type RunSummary } from './run.js';
export { IntegrationLocks } from './integration-lock.js';
export {
  collectNow,
  nextScheduledCollections,
  type CollectNowRuns,
  collectNowDedupId,
  syncSchedules,
  scheduleOffsetMs,
  startCollectorWorkers,
  redisConnection,
  assertRedisReachable,
  displayRedisUrl,
  RedisUnreachableError,
  DEFAULT_SCHEDULE,
  DEFAULT_COLLECT_CONCURRENCY,
  type CollectJob,
  type CollectorWorkers,
  type CollectorWorkersOptions,
  type ClientFactory,
  type IntegrationRecord,
  type WorkerStore,
} from './jobs.js';
export { scanIntegration, type ScanOptions } from './scan.js';
export { estimateEta, remainingRequests, estimateRunEta, expectedObjectsFromLastRun, type Eta, type EtaInput, type BucketBudget, type RunEta, type RunForEta } from './eta.js';
