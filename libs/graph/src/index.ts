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
export type { IntegrationSchedule, RunMode, RunTrigger, RunStatus, RunResourceState, ApiKeyRole, ScimResourceType } from './schema.js';
export { RUN_MODES, RUN_TRIGGERS, RUN_STATUSES, RUN_RESOURCE_STATES, API_KEY_ROLES, SCIM_RESOURCE_TYPES } from './schema.js';
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
export { refreshForMutation } from './mutations.js';
export { EventSideEffects, refreshesAfterStoring, type ImplyingEvent, type SideEffectLookups, type StoredEventRefreshes } from './side-effects.js';
export { writeEventCopyTuple, CopyTupleWriter, copyTupleEnd, COPY_EVENT_COLUMNS } from './event-copy.js';
export type { CurrentFinding, Finding, FindingsSync } from './findings.js';
export { ApiKeyRepo, apiKeyId, hashApiKey, matchesStoredHash, mintBearerSecret, type ApiKeyInfo } from './api-keys.js';
export { ScimRepo, ScimStoreError, type ScimChange, type ScimListQuery, type ScimMemberRef, type ScimProjector, type ScimRecord, type ScimWrite, type ScimWriteResult } from './scim.js';
export { ENTERPRISE_USER_SCHEMA, SCIM_FILTERABLE, ScimFilterError, scimFilterSql, type ScimFilter } from './scim-filter.js';
export { CursorError, FINDING_STATES, type FindingState, type FindingsQuery, type FindingsPage, type FindingView, type FindingCount, type PersonSummary, type PersonView } from './read-models.js';
