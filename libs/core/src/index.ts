export * from './config.js';
export * from './logger.js';
export * from './queues.js';
export * from './errors.js';
export * from './retry.js';
