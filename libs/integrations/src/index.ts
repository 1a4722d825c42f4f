export * from './errors.js';
export * from './credentials.js';
export * from './manage.js';
