export * from './consumer.js';
export * from './metrics.js';
export * from './event-handler.js';
export * from './config.js';
export * from './worker.js';
export { coalesceBatches, type CoalesceOptions } from './coalesce.js';
export { startLocalSqs, type LocalSqs } from './local-sqs.js';
