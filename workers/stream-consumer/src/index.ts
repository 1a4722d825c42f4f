export * from './consumer.js';
export * from './metrics.js';
export * from './event-handler.js';
export { Backoff } from './backoff.js';
