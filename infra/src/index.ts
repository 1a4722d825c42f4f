export * from './plan.js';
export * from './apply.js';
