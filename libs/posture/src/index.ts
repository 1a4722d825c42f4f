export * from './check.js';
export * from './thresholds.js';
export { ADMIN_POSTURE_CHECKS, POSTURE_CHECKS, findCheck } from './checks.js';
export { WEAK_FACTOR_TYPES } from './checks-mfa.js';
export { PHISHING_RESISTANT_FACTOR_TYPES, PRIVILEGED_APP_ROLES, PHONE_FACTOR_TYPES } from './checks-admin.js';
export * from './run.js';
export * from './report.js';
export * from './debounce.js';
