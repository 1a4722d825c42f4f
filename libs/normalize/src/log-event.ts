/**
 * Okta System Log events (the spec's LogEvent; https://developer.okta.com/docs/reference/api/system-log/): their shape, validation and the stored row.
 */
import type { LogEventRow } from '@idgraph/graph';
import { NormalizeError, isRecord, parseIsoTime } from './read.js';

export interface OktaLogActor {
  id: string;
  type: string;
  alternateId?: string | null;
  displayName?: string | null;
  [key: string]: unknown;
}

/**
 * A target always names its `type`; the spec requires no field, and a 2025 privilege event was
 * seen with a `ROLE_ASSIGNED` target that carries no id (a 2025 user.account.privilege.grant event), so `id` may be absent.
 */
export interface OktaLogTarget {
  id?: string | null;
  type: string;
  alternateId?: string | null;
  displayName?: string | null;
  [key: string]: unknown;
}

/**
 * What the normalizers read from a LogEvent, loose enough for events from either System Log
 * polling or Log Streaming. Everything else (client, debugContext, …) is kept in `raw`.
 */
export interface OktaLogEventInput {
  uuid: string;
  /** ISO-8601 UTC time, e.g. 2023-05-30T14:17:58.126Z. */
  published: string;
  eventType: string;
  severity?: string | null;
  actor?: OktaLogActor | null;
  outcome?: { result?: string | null; reason?: string | null } | null;
  /** Okta sends `null` (not `[]`) on some events; find targets by type, never by index. */
  target?: OktaLogTarget[] | null;
  [key: string]: unknown;
}

/** A LogEvent that passed `validateLogEvent`: it has an actor and well-formed targets. */
export interface OktaLogEvent extends OktaLogEventInput {
  actor: OktaLogActor;
}

export type LogEventValidation = { ok: true; event: OktaLogEvent } | { ok: false; reason: string };

/**
 * Okta's LogEvent uuids are time-based or random uuids, written 8-4-4-4-12 in hex (e.g.
 * `c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b`); any case and version is taken.
 */
const UUID_SHAPE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Checks the fields idgraph relies on: `uuid` (the dedup key, uuid-shaped), `published` (ISO-8601), `eventType`,
 * `actor{id,type}`, `target` null or an array of `{type, id?}`, and `outcome` null or an object.
 * Reasons are short, stable strings fit for a dead-letter queue and for metrics.
 */
export function validateLogEvent(value: unknown): LogEventValidation {
  if (!isRecord(value)) return fail('LogEvent is not a JSON object');
  const uuidProblem = stringProblem(value['uuid'], 'LogEvent.uuid');
  if (uuidProblem) return fail(uuidProblem);
  if (!UUID_SHAPE.test(value['uuid'] as string)) return fail('LogEvent.uuid is not a uuid (expected 8-4-4-4-12 hex digits, like c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b)');
  const publishedProblem = stringProblem(value['published'], 'LogEvent.published');
  if (publishedProblem) return fail(publishedProblem);
  if (!parseIsoTime(value['published'] as string)) return fail('LogEvent.published is not an ISO-8601 time');
  const eventTypeProblem = stringProblem(value['eventType'], 'LogEvent.eventType');
  if (eventTypeProblem) return fail(eventTypeProblem);

  const actor = value['actor'];
  if (actor === undefined || actor === null) return fail('LogEvent.actor missing');
  const actorProblem = principalProblem(actor, 'LogEvent.actor');
  if (actorProblem) return fail(actorProblem);

  const target = value['target'];
  if (target !== undefined && target !== null) {
    if (!Array.isArray(target)) return fail('LogEvent.target must be null or an array');
    for (const [index, entry] of target.entries()) {
      const problem = targetProblem(entry, `LogEvent.target[${index}]`);
      if (problem) return fail(problem);
    }
  }

  const outcome = value['outcome'];
  if (outcome !== undefined && outcome !== null) {
    if (!isRecord(outcome)) return fail('LogEvent.outcome must be null or an object');
    const result = outcome['result'];
    if (result !== undefined && result !== null && typeof result !== 'string') return fail('LogEvent.outcome.result is not a string');
  }
  return { ok: true, event: value as OktaLogEvent };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function stringProblem(value: unknown, path: string): string | null {
  if (value === undefined || value === null || value === '') return `${path} missing`;
  if (typeof value !== 'string') return `${path} is not a string`;
  return null;
}

function principalProblem(value: unknown, path: string): string | null {
  if (!isRecord(value)) return `${path} is not an object`;
  return stringProblem(value['id'], `${path}.id`) ?? stringProblem(value['type'], `${path}.type`);
}

/** Like an actor, except that a target's id may be absent or null (but not another type). */
function targetProblem(value: unknown, path: string): string | null {
  if (!isRecord(value)) return `${path} is not an object`;
  const id = value['id'];
  if (id !== undefined && id !== null && typeof id !== 'string') return `${path}.id is not a string`;
  return stringProblem(value['type'], `${path}.type`);
}

/** The event's `published` as a Date; throws when it is not an ISO-8601 time. */
export function publishedAt(event: OktaLogEventInput): Date {
  const date = typeof event.published === 'string' ? parseIsoTime(event.published) : null;
  if (!date) {
    throw new NormalizeError(
      `LogEvent ${String(event.uuid)} has an invalid \`published\` (${JSON.stringify(event.published)}); expected an ISO-8601 time like 2023-05-30T14:17:58.126Z`,
      'LogEvent.published',
    );
  }
  return date;
}

/** `outcome.result`, or null when the event carries no outcome. */
export function outcomeResult(event: OktaLogEventInput): string | null {
  const result = event.outcome?.result;
  return typeof result === 'string' ? result : null;
}

/**
 * The users an event is about, for the person view's index (log_events.subject_ids): the actor and
 * every target of type User, each id once, actor first; null when there is none. An entity whose
 * type is missing counts as a user (the spec does not require `type`): a wrong guess costs one
 * unused index entry, a missed user would hide the event from their page.
 */
export function eventSubjectIds(event: { actor?: unknown; target?: unknown }): string[] | null {
  const ids: string[] = [];
  const add = (e: unknown): void => {
    if (!isRecord(e) || typeof e.id !== 'string' || e.id === '') return;
    if (e.type !== undefined && e.type !== null && e.type !== 'User') return;
    if (!ids.includes(e.id)) ids.push(e.id);
  };
  add(event.actor);
  if (Array.isArray(event.target)) for (const t of event.target) add(t);
  return ids.length > 0 ? ids : null;
}

/** `eventJson`: the event's text as received (parseEventMessage gives it); it becomes `rawJson`, stored as is. */
export function normalizeLogEventRow(event: OktaLogEventInput, eventJson?: string | null): LogEventRow {
  if (!isRecord(event) || typeof event.uuid !== 'string' || event.uuid === '') {
    throw new NormalizeError('LogEvent has no `uuid`; validate it with validateLogEvent or parseEventMessage first', 'LogEvent.uuid');
  }
  if (typeof event.eventType !== 'string' || event.eventType === '') {
    throw new NormalizeError(`LogEvent ${event.uuid} has no \`eventType\``, 'LogEvent.eventType');
  }
  const actorId = event.actor?.id;
  const severity = event.severity;
  return {
    uuid: event.uuid,
    published: publishedAt(event),
    eventType: event.eventType,
    severity: typeof severity === 'string' ? severity : null,
    actorId: typeof actorId === 'string' ? actorId : null,
    outcome: outcomeResult(event),
    subjectIds: eventSubjectIds(event),
    // With the text at hand the parsed tree is not kept: a batch of rows would hold it all alive.
    ...(eventJson ? { raw: null, rawJson: eventJson } : { raw: event }),
  };
}
