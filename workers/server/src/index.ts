export { buildServer, type ServerDeps } from './app.js';
export { Sessions, SESSION_COOKIE, TenantStores, type AuthLevel, type Caller } from './auth.js';
export { HttpError, notFound } from './errors.js';
export { CONSOLE_DIR } from './routes/console.js';
