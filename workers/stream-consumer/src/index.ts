export * from './consumer.js';
export * from './metrics.js';
export * from './event-handler.js';
export * from './config.js';
export * from './worker.js';
export {
  OktaSideEffects,
  refreshesAfterStoring,
  type SideEffectLookups,
  type SideEffectEvent,
  type StoredEventRefreshes,
} from './side-effects.js';
export { Backoff } from './backoff.js';
export { coalesceBatches, type CoalesceOptions } from './coalesce.js';
export { startLocalSqs, type LocalSqs } from './local-sqs.js';
