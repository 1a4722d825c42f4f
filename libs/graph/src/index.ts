export * from './model.js';
export * from './export-format.js';
export * as schema from './schema.js';
export type { IntegrationSchedule, RunMode, RunTrigger, RunStatus, RunResourceState } from './schema.js';
export { RUN_MODES, RUN_TRIGGERS, RUN_STATUSES, RUN_RESOURCE_STATES } from './schema.js';
export * from './db.js';
