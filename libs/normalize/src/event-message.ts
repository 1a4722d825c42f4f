/**
 * One message from the Log Streaming path (https://help.okta.com/en-us/content/topics/reports/log-streaming/add-aws-eb-log-stream.htm): an EventBridge envelope whose `detail`
 * is one LogEvent (the SQS body when the rule target has no InputPath), or a bare LogEvent (with
 * `InputPath: "$.detail"`). Anything else is rejected with a short, stable reason.
 */
import { type OktaLogEvent, validateLogEvent } from './log-event.js';
import { jsonMemberText, nestsDeeperThan, splitAtLastMember, unicodeEscapeProblem } from './json-text.js';
import { isRecord } from './read.js';

/**
 * Limits on one event, checked as it is decoded. Every event is stored as the text it came in
 * (log_events.raw) and read back as `raw::jsonb`, so what PostgreSQL's json parser refuses must
 * not be stored: a nesting deeper than its stack allows, a `\u0000`, a lone surrogate.
 */
export interface EventLimits {
  /** Bytes (UTF-8) of a message at most. IDGRAPH_MAX_EVENT_BYTES. */
  maxEventBytes: number;
  /** Levels of nested objects and arrays in the LogEvent at most (the LogEvent itself is 1). IDGRAPH_MAX_EVENT_DEPTH. */
  maxDepth: number;
}

/**
 * Real System Log events are 1–5 KB and nest 5 or 6 levels deep. 256 KiB is also the most
 * EventBridge carries in one event (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html),
 * so no streamed event is larger.
 */
export const DEFAULT_EVENT_LIMITS: Readonly<EventLimits> = { maxEventBytes: 256 * 1024, maxDepth: 64 };

export interface ParseEventOptions extends Partial<EventLimits> {
  /** The message's size in bytes, when the caller has read its bytes; else it is measured. */
  byteLength?: number;
}

/** The rejection reason of a message of `bytes` bytes when it is over the limit; null otherwise. */
export function eventSizeProblem(bytes: number, maxEventBytes: number = DEFAULT_EVENT_LIMITS.maxEventBytes): string | null {
  return bytes > maxEventBytes ? `event is ${bytes} bytes, over the limit of ${maxEventBytes} (IDGRAPH_MAX_EVENT_BYTES)` : null;
}

// Okta sends none of these. Stored, a NUL would make the database refuse the whole batch the
// event travels in, and the others would make `raw::jsonb` fail on the row: each event that
// holds one is turned away on its own.
const REASON_NUL = 'message contains a NUL character (\\u0000), which PostgreSQL text cannot store';
const REASON_SURROGATE_ESCAPE = 'message contains an unpaired UTF-16 surrogate escape (a \\ud800-\\udfff escape not in a high-low pair), which PostgreSQL jsonb cannot read';
const REASON_LONE_SURROGATE = 'message contains an unpaired UTF-16 surrogate character, which is not Unicode text';
const depthReason = (maxDepth: number) => `event nests objects and arrays deeper than ${maxDepth} levels (IDGRAPH_MAX_EVENT_DEPTH)`;

export type ParsedEventMessage =
  | {
      ok: true;
      event: OktaLogEvent;
      /** The EventBridge `source`; null for a bare LogEvent. */
      source: string | null;
      /** The EventBridge envelope `id` (not the Okta uuid); null for a bare LogEvent. */
      envelopeId: string | null;
      /** The LogEvent's JSON exactly as received (the message, or its `detail`); serialised when given an object. */
      eventJson: string;
    }
  | { ok: false; reason: string };

/** `aws.partner/okta.com/<oktaSubdomain>/<eventSourceName>`, as Okta names its partner sources. */
const OKTA_PARTNER_SOURCE = /^aws\.partner\/okta\.com\/([A-Za-z0-9][A-Za-z0-9-]*)\/([.\-_A-Za-z0-9]{1,75})$/;

export interface OktaEventSource {
  oktaSubdomain: string;
  eventSourceName: string;
}

/** Splits an Okta partner event source name into its parts; null when it is not one. */
export function parseOktaEventSource(source: unknown): OktaEventSource | null {
  if (typeof source !== 'string') return null;
  const match = OKTA_PARTNER_SOURCE.exec(source);
  if (!match?.[1] || !match[2]) return null;
  return { oktaSubdomain: match[1], eventSourceName: match[2] };
}

export function isOktaEventSource(source: unknown): boolean {
  return parseOktaEventSource(source) !== null;
}

/**
 * Decodes one message: its text (an SQS body, a line of a file) or, already parsed, its object
 * (a System Log page's event), which is then serialised for storage and checked the same way.
 */
export function parseEventMessage(input: unknown, options: ParseEventOptions = {}): ParsedEventMessage {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_EVENT_LIMITS.maxEventBytes;
  let text: string;
  let message: unknown = input;
  let detailJson: string | null = null;
  if (typeof input === 'string') {
    text = input;
  } else {
    if (!isRecord(input)) return { ok: false, reason: 'message is not a JSON object' };
    try {
      text = JSON.stringify(input);
    } catch (err) {
      // Serialising recurses: an object nested some thousands deep overflows the stack.
      if (err instanceof RangeError) return { ok: false, reason: depthReason(options.maxDepth ?? DEFAULT_EVENT_LIMITS.maxDepth) };
      return { ok: false, reason: 'message cannot be serialised as JSON' };
    }
  }
  // Before parsing: a 50 MB message is turned away without building its tree. A string's UTF-8
  // size is at most three times its length, so most are never measured.
  if (text.length * 3 > maxEventBytes) {
    const tooBig = eventSizeProblem(options.byteLength ?? Buffer.byteLength(text), maxEventBytes);
    if (tooBig) return { ok: false, reason: tooBig };
  }
  // A lone surrogate as a character (not an escape) cannot even be written as UTF-8.
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return { ok: false, reason: REASON_LONE_SURROGATE };
  if (typeof input === 'string') {
    const envelope = parseEnvelopeText(input);
    if (envelope) ({ message, detailJson } = envelope);
    else {
      try {
        message = JSON.parse(input);
      } catch {
        return { ok: false, reason: 'not JSON' };
      }
    }
  }
  if (!isRecord(message)) return { ok: false, reason: 'message is not a JSON object' };
  const escape = unicodeEscapeProblem(text);
  if (escape) return { ok: false, reason: escape === 'nul' ? REASON_NUL : REASON_SURROGATE_ESCAPE };
  if (isEventHookPayload(message)) {
    return { ok: false, reason: 'Okta Event Hook payloads are not accepted (expected Log Streaming via EventBridge)' };
  }
  const parsed = isEnvelope(message) ? parseEnvelope(message, text, detailJson) : bareEvent(message, text);
  if (!parsed.ok) return parsed;
  const maxDepth = options.maxDepth ?? DEFAULT_EVENT_LIMITS.maxDepth;
  if (nestsDeeperThan(parsed.eventJson, maxDepth)) return { ok: false, reason: depthReason(maxDepth) };
  return parsed;
}

function bareEvent(message: Record<string, unknown>, text: string): ParsedEventMessage {
  const validation = validateLogEvent(message);
  if (!validation.ok) return validation;
  return { ok: true, event: validation.event, source: null, envelopeId: null, eventJson: text };
}

/** An EventBridge envelope always carries `detail-type` and `detail`; a LogEvent has neither. */
function isEnvelope(message: Record<string, unknown>): boolean {
  return 'detail-type' in message || 'detail' in message;
}

/** Okta Event Hooks wrap a batch of events in a CloudEvents-style `com.okta.event_hook` object. */
function isEventHookPayload(message: Record<string, unknown>): boolean {
  return message['eventType'] === 'com.okta.event_hook';
}

/**
 * An envelope as EventBridge writes it, `detail` last, parsed in two parts so that the text of
 * `detail` comes out without scanning it (see splitAtLastMember). Null when the text is not
 * such an envelope: the caller parses it whole.
 */
function parseEnvelopeText(text: string): { message: Record<string, unknown>; detailJson: string } | null {
  // A LogEvent has no detail-type: the scan of its members would be wasted.
  if (!text.includes('"detail-type"')) return null;
  const split = splitAtLastMember(text, 'detail');
  if (!split) return null;
  try {
    const message = JSON.parse(`${split.before}null}`) as unknown;
    if (!isRecord(message)) return null;
    message['detail'] = JSON.parse(split.value) as unknown;
    return { message, detailJson: split.value };
  } catch {
    return null;
  }
}

function parseEnvelope(envelope: Record<string, unknown>, text: string, detailJson: string | null): ParsedEventMessage {
  if (envelope['version'] !== '0') return { ok: false, reason: 'envelope version must be "0"' };
  const id = envelope['id'];
  if (typeof id !== 'string' || id === '') return { ok: false, reason: 'envelope id missing' };
  if (envelope['detail-type'] !== 'SystemLog') return { ok: false, reason: 'envelope detail-type must be SystemLog' };
  const source = envelope['source'];
  if (typeof source !== 'string' || !isOktaEventSource(source)) {
    return { ok: false, reason: 'envelope source is not an Okta partner source' };
  }
  const event = envelope['detail'];
  if (!isRecord(event)) return { ok: false, reason: 'envelope detail is not an object' };
  const validation = validateLogEvent(event);
  if (!validation.ok) return validation;
  const eventJson = detailJson ?? jsonMemberText(text, 'detail') ?? JSON.stringify(event);
  return { ok: true, event: validation.event, source, envelopeId: id, eventJson };
}
