import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_LIMITS, isOktaEventSource, parseEventMessage, parseOktaEventSource, type ParseEventOptions } from './index.js';
import { listLogEventSamples, readSample } from './testdata/samples.js';

type Json = Record<string, unknown>;

const envelope = (): Json => readSample<Json>('eventbridge-envelope.json');
const bareEvent = (): Json => readSample<Json>('logevents/03-user.lifecycle.deactivate.json');

const NOT_A_UUID = 'LogEvent.uuid is not a uuid (expected 8-4-4-4-12 hex digits, like c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b)';

function reasonFor(message: unknown, options?: ParseEventOptions): string {
  const parsed = parseEventMessage(message, options);
  if (parsed.ok) throw new Error(`expected a rejection, got event ${parsed.event.uuid}`);
  return parsed.reason;
}

describe('parseEventMessage: accepted messages', () => {
  it('accepts the EventBridge envelope sample (as the SQS body string) with its source and envelope id', () => {
    const body = JSON.stringify(envelope());
    const parsed = parseEventMessage(body);
    expect(parsed).toEqual({
      ok: true,
      event: envelope()['detail'],
      source: 'aws.partner/okta.com/evership/evershipsecuritylake',
      envelopeId: '4ab6d852-09e9-1036-fc04-2e22004b3c3f',
      eventJson: JSON.stringify(envelope()['detail']),
    });
  });

  it('accepts an already-parsed envelope object, serialising its LogEvent for storage', () => {
    const parsed = parseEventMessage(envelope());
    expect(parsed.ok && parsed.event.uuid).toBe('c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b');
    expect(parsed.ok && parsed.eventJson).toBe(JSON.stringify(envelope()['detail']));
  });

  it('keeps the LogEvent text exactly as received, pretty-printed or not', () => {
    const pretty = JSON.stringify(envelope(), null, 2);
    const parsed = parseEventMessage(pretty);
    const detailText = JSON.stringify(envelope()['detail'], null, 2).replace(/\n/g, '\n  ');
    expect(parsed.ok && parsed.eventJson).toBe(detailText);
    const bare = ` ${JSON.stringify(envelope()['detail'])}`;
    expect((parseEventMessage(bare) as { eventJson: string }).eventJson).toBe(bare);
  });

  it('reads envelopes the same whether detail comes last (split parse) or not (whole parse)', () => {
    const e = envelope();
    const detail = e['detail'] as Json;
    const { detail: _d, ...head } = e;
    const last = JSON.stringify({ ...head, detail });
    const first = JSON.stringify({ detail, ...head });
    for (const text of [last, first, `${last.slice(0, -1)} , "extra": {"x": "}"}}`]) {
      const parsed = parseEventMessage(text);
      expect(parsed.ok && parsed.event).toEqual(detail);
      expect(parsed.ok && parsed.eventJson).toBe(JSON.stringify(detail));
    }
    // A repeated detail: JSON.parse keeps the last one, and so does the kept text.
    const other = { ...detail, uuid: '5ec0dd00-0000-4000-8000-000000000002' };
    const twice = `${last.slice(0, -1)},"detail":${JSON.stringify(other)}}`;
    const parsed = parseEventMessage(twice);
    expect(parsed.ok && parsed.event.uuid).toBe(other.uuid);
    expect(parsed.ok && parsed.eventJson).toBe(JSON.stringify(other));
    // Broken after the split point, or before it: not JSON either way.
    expect(reasonFor(`${last.slice(0, -2)}`)).toBe('not JSON');
    expect(reasonFor(last.replace('"version":"0"', '"version":"0",,'))).toBe('not JSON');
    expect(reasonFor(`${last.slice(0, -1)},"detail":}`)).toBe('not JSON');
  });

  it('the envelope detail equals the bare LogEvent sample 06', () => {
    expect(envelope()['detail']).toEqual(readSample('logevents/06-user.session.access_admin_app.json'));
  });

  // Every LogEvent sample parses as a bare LogEvent (the InputPath "$.detail" delivery) and wrapped
  // in an envelope, except the two that are not LogEvents as Okta streams them and two documentation
  // examples whose uuid is a placeholder.
  const NOT_STREAMABLE: Record<string, string> = {
    '02-user.session.start.event-hook-payload.json': 'Okta Event Hook payloads are not accepted (expected Log Streaming via EventBridge)',
    '14-group.application_assignment.add.json': NOT_A_UUID,
    '17-user.authentication.auth_via_mfa.json': NOT_A_UUID,
    '20-system.org.rate_limit.warning.json': 'LogEvent.published is not an ISO-8601 time',
  };
  const samples = listLogEventSamples();

  it('has all 21 LogEvent samples', () => {
    expect(samples).toHaveLength(21);
  });

  it.each(samples.filter((f) => !(f in NOT_STREAMABLE)))('parses logevents/%s bare and in an envelope', (file) => {
    const event = readSample<Json>(`logevents/${file}`);
    const text = JSON.stringify(event);
    expect(parseEventMessage(text)).toEqual({ ok: true, event, source: null, envelopeId: null, eventJson: text });
    const wrapped = { ...envelope(), id: 'env-1', detail: event };
    expect(parseEventMessage(JSON.stringify(wrapped))).toEqual({
      ok: true, event, source: 'aws.partner/okta.com/evership/evershipsecuritylake', envelopeId: 'env-1', eventJson: text,
    });
  });

  it.each(Object.entries(NOT_STREAMABLE))('rejects logevents/%s: %s', (file, reason) => {
    expect(reasonFor(readSample(`logevents/${file}`))).toBe(reason);
  });

  it('the event inside the Event Hook payload is itself a valid LogEvent', () => {
    const hook = readSample<{ data: { events: Json[] } }>('logevents/02-user.session.start.event-hook-payload.json');
    const parsed = parseEventMessage(hook.data.events[0]);
    expect(parsed.ok && parsed.event.eventType).toBe('user.session.start');
  });

  it('accepts a target without an id (the 2025 privilege.grant ROLE_ASSIGNED target)', () => {
    const e = { ...bareEvent(), target: [{ id: '00u1', type: 'User' }, { type: 'ROLE_ASSIGNED' }, { id: null, type: 'ROLE' }] };
    expect(parseEventMessage(e).ok).toBe(true);
  });

  it('accepts a LogEvent with a null or absent target and an absent outcome', () => {
    const { target: _t, outcome: _o, ...rest } = bareEvent();
    expect(parseEventMessage({ ...rest, target: null }).ok).toBe(true);
    expect(parseEventMessage(rest).ok).toBe(true);
  });
});

describe('parseEventMessage: every reject reason', () => {
  const withDetail = (patch: (e: Json) => void): Json => {
    const e = envelope();
    patch(e['detail'] as Json);
    return e;
  };

  it.each<[string, unknown, string]>([
    ['a non-JSON string', '{"version":"0",', 'not JSON'],
    ['an empty string', '', 'not JSON'],
    ['a JSON array', '[]', 'message is not a JSON object'],
    ['a JSON string', '"hello"', 'message is not a JSON object'],
    ['null', null, 'message is not a JSON object'],
    ['a number', 42, 'message is not a JSON object'],
    ['an envelope with version 1', { ...envelope(), version: '1' }, 'envelope version must be "0"'],
    ['an envelope without id', { ...envelope(), id: undefined }, 'envelope id missing'],
    ['an envelope with empty id', { ...envelope(), id: '' }, 'envelope id missing'],
    ['an envelope of another detail-type', { ...envelope(), 'detail-type': 'Okta Log Event' }, 'envelope detail-type must be SystemLog'],
    ['an envelope without detail-type', { ...envelope(), 'detail-type': undefined }, 'envelope detail-type must be SystemLog'],
    ['an envelope from an AWS service', { ...envelope(), source: 'aws.ec2' }, 'envelope source is not an Okta partner source'],
    ['an envelope from another partner', { ...envelope(), source: 'aws.partner/auth0.com/tenant/stream' }, 'envelope source is not an Okta partner source'],
    ['an envelope with a non-string source', { ...envelope(), source: 7 }, 'envelope source is not an Okta partner source'],
    ['an envelope without detail', { ...envelope(), detail: undefined }, 'envelope detail is not an object'],
    ['an envelope whose detail is a string', { ...envelope(), detail: JSON.stringify(bareEvent()) }, 'envelope detail is not an object'],
    ['a LogEvent without uuid', withDetail((e) => delete e['uuid']), 'LogEvent.uuid missing'],
    ['a LogEvent with empty uuid', withDetail((e) => (e['uuid'] = '')), 'LogEvent.uuid missing'],
    ['a LogEvent with numeric uuid', withDetail((e) => (e['uuid'] = 12)), 'LogEvent.uuid is not a string'],
    ['a LogEvent whose uuid is not uuid-shaped', withDetail((e) => (e['uuid'] = 'not-a-uuid-7f3a')), NOT_A_UUID],
    ['a LogEvent whose uuid has a digit too many', withDetail((e) => (e['uuid'] = 'c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b0')), NOT_A_UUID],
    ['a LogEvent whose uuid is braced', withDetail((e) => (e['uuid'] = '{c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b}')), NOT_A_UUID],
    ['a LogEvent whose uuid is not hex', withDetail((e) => (e['uuid'] = 'g6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b')), NOT_A_UUID],
    ['a LogEvent without published', withDetail((e) => delete e['published']), 'LogEvent.published missing'],
    ['a LogEvent with epoch published', withDetail((e) => (e['published'] = 1685456278126)), 'LogEvent.published is not a string'],
    ['a LogEvent with a space-separated published', withDetail((e) => (e['published'] = '2023-05-30 14:17:58.126')), 'LogEvent.published is not an ISO-8601 time'],
    ['a LogEvent with an impossible date', withDetail((e) => (e['published'] = '2023-02-30T25:61:00.000Z')), 'LogEvent.published is not an ISO-8601 time'],
    ['a LogEvent without eventType', withDetail((e) => delete e['eventType']), 'LogEvent.eventType missing'],
    ['a LogEvent without actor', withDetail((e) => delete e['actor']), 'LogEvent.actor missing'],
    ['a LogEvent with a null actor', withDetail((e) => (e['actor'] = null)), 'LogEvent.actor missing'],
    ['a LogEvent with a string actor', withDetail((e) => (e['actor'] = 'admin')), 'LogEvent.actor is not an object'],
    ['a LogEvent with an actor without id', withDetail((e) => delete (e['actor'] as Json)['id']), 'LogEvent.actor.id missing'],
    ['a LogEvent with an actor without type', withDetail((e) => delete (e['actor'] as Json)['type']), 'LogEvent.actor.type missing'],
    ['a LogEvent with an object target', withDetail((e) => (e['target'] = { id: 'x', type: 'User' })), 'LogEvent.target must be null or an array'],
    ['a LogEvent with a null target entry', withDetail((e) => (e['target'] = [null])), 'LogEvent.target[0] is not an object'],
    ['a LogEvent with a numeric target id', withDetail((e) => (e['target'] = [{ id: 'a', type: 'User' }, { id: 5, type: 'UserGroup' }])), 'LogEvent.target[1].id is not a string'],
    ['a LogEvent with a target without type', withDetail((e) => (e['target'] = [{ id: 'a' }])), 'LogEvent.target[0].type missing'],
    ['a LogEvent with a string outcome', withDetail((e) => (e['outcome'] = 'SUCCESS')), 'LogEvent.outcome must be null or an object'],
    ['a LogEvent with a numeric outcome.result', withDetail((e) => (e['outcome'] = { result: 1 })), 'LogEvent.outcome.result is not a string'],
    ['a bare object that is neither', { hello: 'world' }, 'LogEvent.uuid missing'],
    ['an Event Hook payload', readSample('logevents/02-user.session.start.event-hook-payload.json'), 'Okta Event Hook payloads are not accepted (expected Log Streaming via EventBridge)'],
  ])('rejects %s', (_label, message, reason) => {
    expect(reasonFor(typeof message === 'string' ? message : JSON.parse(JSON.stringify(message ?? null)))).toBe(reason);
  });
  it('rejects a message whose text holds a NUL escape anywhere, but not an escaped backslash before u0000', () => {
    const nul = JSON.stringify(withDetail((e) => (e['eventType'] = 'user.session.start\u0000x')));
    expect(nul).toContain('\\u0000');
    expect(reasonFor(nul)).toBe('message contains a NUL character (\\u0000), which PostgreSQL text cannot store');
    const deep = JSON.stringify(withDetail((e) => (e['debugContext'] = { debugData: { note: 'a\u0000b' } })));
    expect(reasonFor(deep)).toBe('message contains a NUL character (\\u0000), which PostgreSQL text cannot store');
    const literal = JSON.stringify(withDetail((e) => (e['displayMessage'] = 'path \\u0000 is text')));
    expect(literal).toContain('\\\\u0000');
    expect(parseEventMessage(literal).ok).toBe(true);
  });
});

describe('parseEventMessage: uuids, and limits PostgreSQL needs to read an event back as jsonb', () => {
  const detail = (): Json => envelope()['detail'] as Json;
  const wrap = (event: Json): string => JSON.stringify({ ...envelope(), detail: event });
  /** An object `depth` levels deep (the object itself is level 1). */
  const nestedObject = (depth: number): Json => {
    let value: Json = { leaf: true };
    for (let i = 1; i < depth; i++) value = { next: value };
    return value;
  };
  const DEPTH = 'event nests objects and arrays deeper than 64 levels (IDGRAPH_MAX_EVENT_DEPTH)';
  const SURROGATE_ESCAPE = 'message contains an unpaired UTF-16 surrogate escape (a \\ud800-\\udfff escape not in a high-low pair), which PostgreSQL jsonb cannot read';
  const LONE_SURROGATE = 'message contains an unpaired UTF-16 surrogate character, which is not Unicode text';

  it('accepts uuids in any case and of any version', () => {
    for (const uuid of ['C6ED294A-FEF4-11ED-A5B1-BBB7C1DE1A4B', '0190a6b2-7d3e-7c1a-9f00-5b1e2d3c4a5f', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']) {
      const parsed = parseEventMessage(wrap({ ...detail(), uuid }));
      expect(parsed.ok && parsed.event.uuid).toBe(uuid);
    }
  });

  it('rejects a message over the size limit before parsing it, counting UTF-8 bytes', () => {
    const padded = (chars: number, c = 'x') => wrap({ ...detail(), displayMessage: c.repeat(chars) });
    const big = padded(DEFAULT_EVENT_LIMITS.maxEventBytes);
    expect(reasonFor(big)).toBe(`event is ${big.length} bytes, over the limit of 262144 (IDGRAPH_MAX_EVENT_BYTES)`);
    // Not even JSON: the size is what is reported, the text is not parsed.
    expect(reasonFor(`${big.slice(0, -1)},`)).toMatch(/^event is \d+ bytes, over the limit of 262144/);
    // 'é' is one UTF-16 unit and two UTF-8 bytes.
    const accented = padded(3000, 'é');
    expect(accented.length).toBeLessThan(6000);
    expect(reasonFor(accented, { maxEventBytes: 6000 })).toBe(`event is ${Buffer.byteLength(accented)} bytes, over the limit of 6000 (IDGRAPH_MAX_EVENT_BYTES)`);
    expect(parseEventMessage(accented, { maxEventBytes: Buffer.byteLength(accented) }).ok).toBe(true);
    // A caller that read the bytes says how many there were.
    expect(reasonFor(padded(10), { maxEventBytes: 4000, byteLength: 5000 })).toBe('event is 5000 bytes, over the limit of 4000 (IDGRAPH_MAX_EVENT_BYTES)');
    // An object is measured as serialised.
    expect(reasonFor({ ...detail(), displayMessage: 'x'.repeat(5000) }, { maxEventBytes: 4000 })).toMatch(/^event is \d+ bytes, over the limit of 4000/);
  });

  it('rejects a LogEvent nested deeper than the limit, counting the LogEvent itself as level 1 (not its envelope)', () => {
    // The LogEvent is level 1, debugContext 2, debugData 3 and on.
    const at = (depth: number) => ({ ...detail(), debugContext: { debugData: nestedObject(depth - 2) } });
    expect(parseEventMessage(wrap(at(64))).ok).toBe(true);
    expect(parseEventMessage(JSON.stringify(at(64))).ok).toBe(true);
    expect(reasonFor(wrap(at(65)))).toBe(DEPTH);
    expect(reasonFor(JSON.stringify(at(65)))).toBe(DEPTH);
    expect(reasonFor(at(65))).toBe(DEPTH);
    expect(reasonFor(wrap(at(10)), { maxDepth: 9 })).toBe('event nests objects and arrays deeper than 9 levels (IDGRAPH_MAX_EVENT_DEPTH)');
    // Arrays count as levels too.
    expect(reasonFor(wrap({ ...detail(), target: [...(detail()['target'] as Json[]), { type: 'x', deep: JSON.parse(`${'['.repeat(70)}${']'.repeat(70)}`) }] }))).toBe(DEPTH);
  });

  it('rejects a LogEvent 200,000 levels deep, as text and as an object that cannot even be serialised', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = `${wrap(detail()).slice(0, -2)},"deep":${deep}}}`;
    expect(reasonFor(text, { maxEventBytes: 1 << 20 })).toBe(DEPTH);
    expect(reasonFor(text)).toMatch(/^event is \d+ bytes, over the limit of 262144/);
    expect(reasonFor({ ...detail(), deep: nestedObject(200_000) }, { maxEventBytes: 64 << 20 })).toBe(DEPTH);
  });

  it('rejects unpaired surrogates, escaped or not, and keeps pairs', () => {
    const text = (displayMessage: string) => wrap({ ...detail(), displayMessage });
    // JSON.stringify escapes a lone surrogate: the text holds \ud800.
    expect(text('a\ud800b')).toContain('\\ud800');
    expect(reasonFor(text('a\ud800b'))).toBe(SURROGATE_ESCAPE);
    expect(reasonFor(text('\udc00'))).toBe(SURROGATE_ESCAPE);
    expect(reasonFor(JSON.stringify({ ...detail(), displayMessage: 'a\ud83d' }))).toBe(SURROGATE_ESCAPE);
    expect(reasonFor({ ...detail(), displayMessage: 'a\ud83d' })).toBe(SURROGATE_ESCAPE);
    // A lone surrogate as a character of the text (as a string from elsewhere may hold).
    expect(reasonFor(text('ok').replace('"displayMessage":"ok"', '"displayMessage":"\ud800"'))).toBe(LONE_SURROGATE);
    // Pairs, escaped or as characters, are text.
    expect(parseEventMessage(text('\ud83d\ude00')).ok).toBe(true);
    expect(parseEventMessage(text('x').replace('"x"', '"\\ud83d\\ude00"')).ok).toBe(true);
  });
});

describe('isOktaEventSource / parseOktaEventSource', () => {
  it.each([
    ['aws.partner/okta.com/evership/evershipsecuritylake', { oktaSubdomain: 'evership', eventSourceName: 'evershipsecuritylake' }],
    ['aws.partner/okta.com/dev-123456/idgraph.stream_1-a', { oktaSubdomain: 'dev-123456', eventSourceName: 'idgraph.stream_1-a' }],
  ])('accepts %s', (source, parts) => {
    expect(isOktaEventSource(source)).toBe(true);
    expect(parseOktaEventSource(source)).toEqual(parts);
  });

  it.each([
    'aws.partner/okta.com/evership',
    'aws.partner/okta.com//name',
    'aws.partner/okta.com/sub/name/extra',
    'aws.partner/okta.com/sub/has space',
    `aws.partner/okta.com/sub/${'a'.repeat(76)}`,
    'aws.partner/oktapreview.com/sub/name',
    'xaws.partner/okta.com/sub/name',
    'okta',
    '',
    null,
    undefined,
    42,
  ])('rejects %s', (source) => {
    expect(isOktaEventSource(source)).toBe(false);
    expect(parseOktaEventSource(source)).toBeNull();
  });
});
