/**
 * Targeted refreshes without the job machinery (BullMQ, Redis): the entry one-shot commands such
 * as `ingest-events` import, so they do not load what only the workers need.
 */
export { refreshObjects, type RefreshOptions, type RefreshSummary } from './refresh.js';
