/**
 * @idgraph/normalize — pure mapping from Okta objects and System Log events to graph rows and
 * mutations. No I/O: every function here is a deterministic function of its arguments.
 */
export { NormalizeError } from './read.js';
export type {
  OktaApiTokenInput,
  OktaCatalogAppTargetInput,
  OktaClientCredentialInput,
  OktaGroupRuleInput,
  OktaPermissionInput,
  OktaResourceSetResourceInput,
  OktaAppGroupInput,
  OktaAppInput,
  OktaAppUserInput,
  OktaFactorInput,
  OktaGroupInput,
  OktaIamObjectInput,
  OktaRoleAssignmentInput,
  OktaUserInput,
} from './okta-inputs.js';
export {
  normalizeApp,
  normalizeCustomRole,
  normalizeFactor,
  normalizeGroup,
  normalizeResourceSet,
  normalizeUser,
} from './objects.js';
export {
  isDirectRoleAssignment,
  normalizeAppGroup,
  normalizeAppUser,
  normalizeMembership,
  normalizeRoleAssignment,
  normalizeRoleAssignments,
} from './edges.js';
export {
  normalizeApiToken,
  normalizeAppCredential,
  normalizeGroupRule,
  normalizeResourceSetResource,
  normalizeRolePermission,
  normalizeRoleTargets,
  ornTarget,
  SCOPABLE_ROLES,
  type ResourceTargetKind,
} from './privilege.js';
export type { LogEventValidation, OktaLogActor, OktaLogEvent, OktaLogEventInput, OktaLogTarget } from './log-event.js';
export { eventSubjectIds, normalizeLogEventRow, validateLogEvent } from './log-event.js';
export type { EventLimits, OktaEventSource, ParseEventOptions, ParsedEventMessage } from './event-message.js';
export { DEFAULT_EVENT_LIMITS, eventSizeProblem, isOktaEventSource, parseEventMessage, parseOktaEventSource } from './event-message.js';
export type { GraphChanges } from './event-changes.js';
export { HANDLED_EVENT_TYPES, HANDLED_EVENT_TYPE_PREFIXES, eventToGraphChanges, isHandledEventType } from './event-changes.js';
export { futureEventReason } from './event-time.js';
export type { SideEffectEvent } from './event-side-effects.js';
export { impliedChanges } from './event-side-effects.js';
export type { ScimAttribute, ScimSchema, ScimUserProfile } from './scim.js';
export {
  ENTERPRISE_USER_SCHEMA_DEF,
  GROUP_SCHEMA,
  SCIM_ENTERPRISE_USER_SCHEMA,
  SCIM_GROUP_SCHEMA,
  SCIM_GROUP_TYPE,
  SCIM_SCHEMAS,
  SCIM_USER_SCHEMA,
  ScimInputError,
  USER_SCHEMA,
  parseScimGroup,
  parseScimUser,
  scimGraphChanges,
  scimProjector,
  scimUserProfile,
} from './scim.js';
