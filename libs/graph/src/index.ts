export * from './model.js';
export * from './export-format.js';
export {
  GRAPH_RESOURCES,
  GRAPH_RESOURCE_SPECS,
  UNKNOWN_STATUS,
  resourceSpec,
  type GraphResource,
  type GraphResourceSpecs,
  type FullSyncScope,
} from './resources.js';
export type { GraphResourceSpec, GraphRow, RowOf, OwnRow, Sourced } from './resource-spec.js';
export * as schema from './schema.js';
export type { IntegrationSchedule, RunMode, RunTrigger, RunStatus, RunResourceState } from './schema.js';
export { RUN_MODES, RUN_TRIGGERS, RUN_STATUSES, RUN_RESOURCE_STATES } from './schema.js';
export * from './db.js';
export { executorOf, type Executor } from './executor.js';
export { createSecretBox, resolveSecretKey, secretKeyFingerprint, SecretStoreError, type SecretBinding, type SecretBox } from './secrets.js';
export {
  GraphStore,
  type GraphStoreOptions,
  type PageRows,
  type CommitPageInput,
  type CommitPageResult,
  type Checkpoint,
  type GraphCounts,
} from './store.js';
export type { Integration, NewIntegration, IntegrationPatch, IntegrationSecrets, AuthMethod } from './integrations.js';
export type { Run, RunResource, RunResourcePatch, StartRunInput } from './runs.js';
export type { IngestItem, IngestResult, IngestOptions, DeferredRefresh, EventVia, EncodedEventBatch, EncodedIngestResult } from './event-ingest.js';
export { refreshForMutation } from './event-ingest.js';
export { writeEventCopyTuple, CopyTupleWriter, copyTupleEnd, COPY_EVENT_COLUMNS } from './event-copy.js';
export type { CurrentFinding, Finding, FindingsSync } from './findings.js';
