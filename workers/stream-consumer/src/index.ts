export * from './consumer.js';
export * from './metrics.js';
export { Backoff } from './backoff.js';
