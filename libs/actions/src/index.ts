/**
 * @idgraph/actions — remediation actions on Okta (permission check, dry run, audit, graph update)
 * and privacy requests (access, erasure). The CLI and the HTTP API are thin wrappers over these
 * calls; the routes below take and return exactly these shapes.
 *
 * ## POST /api/v1/actions (admin keys)
 * Body: `{action, integration, subject, target?, resourceSet?, dryRun?}` — `dryRun` defaults to
 * true; call `runAction(ctx, {action, integration, subject, target, resourceSet, apply: !dryRun})`.
 * Response: `ActionResponse` = `{action, subject, target, applied, requests:[{method, path}], result}`
 * where `result` = `{outcome: 'dry-run'|'applied'|'refused'|'failed', message, auditId, grant?,
 * okta?:[{method, path, status, errorCode?, errorSummary?}], graph?, permission?}`.
 * HTTP status: 200 for dry-run/applied, 403 for refused (the body says what to grant), 502 for
 * failed; `ActionInputError` (bad action, subject or target) is 400 and is not audited.
 *
 * ## GET /api/v1/audit?integration=NAME&limit=N (admin keys)
 * `listAudit(store, {integration, limit})` → `AuditEntry[]`, newest first:
 * `{id, at, requestedBy, integrationId, integration, action, subject, target, resourceSet,
 * applied, outcome, requests, response, message}`.
 *
 * ## POST /api/v1/privacy/access (admin keys)
 * Body `{email}` → `privacyAccess(store, {email})` → `PrivacyAccessResult`
 * `{email, matched:[{integration, integrationId, userId, login, status}], sources:{<source>: rows},
 * counts}`. `PrivacyInputError` (not an address) is 400.
 *
 * ## POST /api/v1/privacy/erase (admin keys)
 * Body `{email, inOkta?, apply?}` → `privacyErase(ctx, …)` → `PrivacyEraseResult`
 * `{erased, erasureId, at, addressHash, matched, counts, inOkta: ActionResponse[], message}`.
 * `listErasures(store)` → `ErasureRecord[]` (with `recollected` when a collection saw the person
 * again).
 *
 * `ActionContext` = `{store, requestedBy, refresh(integration, requests), logger?, governor?}`;
 * `refresh` is the collector's targeted refresh (`refreshObjects` of `@idgraph/collector/refresh`
 * with trigger 'action').
 */
export {
  ACTION_NAMES,
  ACTIONS,
  ActionInputError,
  actionCommand,
  actionSpec,
  formatRef,
  parseAction,
  parseRef,
  plannedRequests,
  type ActionName,
  type ActionSpec,
  type OktaRequest,
  type ParsedAction,
  type Ref,
  type RefKind,
} from './catalog.js';
export { roleAdvice, scopeAdvice, type PermissionVerdict, type RoleHolder } from './permissions.js';
export { appendAudit, listAudit, type AuditEntry, type AuditOutcome, type AuditQuery, type NewAuditEntry, type OktaAnswer } from './audit.js';
export { runAction, type ActionContext, type ActionRequest, type ActionResponse, type ActionResult } from './run.js';
export { planFixes, type FindingFix, type FixAction, type FixPlan } from './fixes.js';
export { addressHash, normalizeAddress, PrivacyInputError } from './privacy/person.js';
export { PERSONAL_DATA_SOURCES, type PersonalDataSource } from './privacy/sources.js';
export {
  listErasures,
  privacyAccess,
  privacyErase,
  type ErasureRecord,
  type MatchedPerson,
  type PrivacyAccessRequest,
  type PrivacyAccessResult,
  type PrivacyEraseRequest,
  type PrivacyEraseResult,
} from './privacy/requests.js';
