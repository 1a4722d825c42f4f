export * from './model.js';
export * from './export-format.js';
