/**
 * One message from the Log Streaming path (https://help.okta.com/en-us/content/topics/reports/log-streaming/add-aws-eb-log-stream.htm): an EventBridge envelope whose `detail`
 * is one LogEvent (the SQS body when the rule target has no InputPath), or a bare LogEvent (with
 * `InputPath: "$.detail"`). Anything else is rejected with a short, stable reason.
 */
import { type OktaLogEvent, validateLogEvent } from './log-event.js';
import { jsonMemberText, splitAtLastMember } from './json-text.js';
import { isRecord } from './read.js';

export type ParsedEventMessage =
  | {
      ok: true;
      event: OktaLogEvent;
      /** The EventBridge `source`; null for a bare LogEvent. */
      source: string | null;
      /** The EventBridge envelope `id` (not the Okta uuid); null for a bare LogEvent. */
      envelopeId: string | null;
      /** The LogEvent's JSON exactly as received (the message, or its `detail`); null when given an object. */
      eventJson: string | null;
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

export function parseEventMessage(input: unknown): ParsedEventMessage {
  let message: unknown = input;
  let detailJson: string | null = null;
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
  if (typeof input === 'string' && hasNulEscape(input)) {
    return { ok: false, reason: 'message contains a NUL character (\\u0000), which PostgreSQL text cannot store' };
  }
  if (isEventHookPayload(message)) {
    return { ok: false, reason: 'Okta Event Hook payloads are not accepted (expected Log Streaming via EventBridge)' };
  }
  const text = typeof input === 'string' ? input : null;
  if (isEnvelope(message)) return parseEnvelope(message, text, detailJson);
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

function parseEnvelope(envelope: Record<string, unknown>, text: string | null, detailJson: string | null): ParsedEventMessage {
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
  const eventJson = detailJson ?? (text === null ? null : jsonMemberText(text, 'detail'));
  return { ok: true, event: validation.event, source, envelopeId: id, eventJson };
}

/**
 * True when JSON text holds a `\u0000` escape (a NUL in some string). Okta sends none, and one
 * would make the database refuse the whole batch it travels in, so such a message is rejected
 * on its own. `\\u0000` (an escaped backslash before the text u0000) is not one.
 */
function hasNulEscape(text: string): boolean {
  for (let at = text.indexOf('\\u0000'); at >= 0; at = text.indexOf('\\u0000', at + 1)) {
    let backslashes = 0;
    for (let i = at; i >= 0 && text.charCodeAt(i) === 92; i--) backslashes++;
    if (backslashes % 2 === 1) return true;
  }
  return false;
}
