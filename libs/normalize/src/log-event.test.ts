import { describe, expect, it } from 'vitest';
import { eventSubjectIds, normalizeLogEventRow, validateLogEvent, type OktaLogEvent } from './index.js';
import { readSample } from './testdata/samples.js';

describe('eventSubjectIds', () => {
  it('lists the actor and every User target once, actor first; other targets and id-less entities are not users of the index', () => {
    expect(
      eventSubjectIds({
        actor: { id: '00uA', type: 'User' },
        target: [{ id: '0oa1', type: 'AppInstance' }, { id: '00uB', type: 'User' }, { id: '00uA', type: 'User' }, { type: 'ROLE_ASSIGNED' }, { id: '00uC' }],
      }),
    ).toEqual(['00uA', '00uB', '00uC']);
    expect(eventSubjectIds({ actor: { id: '0oaBot', type: 'PublicClientApp' }, target: null })).toBeNull();
    expect(eventSubjectIds({ actor: { id: 'system', type: 'SystemPrincipal' }, target: [{ id: '00uX', type: 'User' }] })).toEqual(['00uX']);
  });
});

describe('normalizeLogEventRow', () => {
  it('maps logevents/03 (user.lifecycle.deactivate)', () => {
    const event = readSample<OktaLogEvent>('logevents/03-user.lifecycle.deactivate.json');
    expect(normalizeLogEventRow(event)).toEqual({
      uuid: 'ab62c0bc-2837-11eb-9823-9fb8f750c5a9',
      published: new Date('2020-11-16T18:15:12.862Z'),
      eventType: 'user.lifecycle.deactivate',
      severity: 'INFO',
      actorId: '00u2di94bAMSEPvAY1d6',
      outcome: 'SUCCESS',
      // The admin who acted, then the deactivated user (the event's User target).
      subjectIds: ['00u2di94bAMSEPvAY1d6', '00u3m90rxKjGQ0G6L1d6'],
      raw: event,
    });
  });

  it('carries the text as received instead of the parsed tree when it has it', () => {
    const event = readSample<OktaLogEvent>('logevents/03-user.lifecycle.deactivate.json');
    const text = JSON.stringify(event, null, 1);
    expect(normalizeLogEventRow(event, text)).toMatchObject({ uuid: event.uuid, raw: null, rawJson: text });
  });

  it('maps a denied event with WARN severity (logevents/04)', () => {
    const row = normalizeLogEventRow(readSample<OktaLogEvent>('logevents/04-system.operation.rate_limit.violation.sms.json'));
    expect(row).toMatchObject({ severity: 'WARN', outcome: 'DENY', actorId: '00uw8nGF9OiREtZyr0g3', eventType: 'system.operation.rate_limit.violation' });
  });

  it('nulls for an event without severity, actor or outcome', () => {
    const row = normalizeLogEventRow({ uuid: 'u1', published: '2026-01-01T00:00:00.000Z', eventType: 'x.y' });
    expect(row).toMatchObject({ severity: null, actorId: null, outcome: null, subjectIds: null });
  });

  it('rejects an event without uuid or with a bad published, naming the field', () => {
    expect(() => normalizeLogEventRow({ published: '2026-01-01T00:00:00.000Z', eventType: 'x' } as OktaLogEvent)).toThrow(/LogEvent has no `uuid`/);
    expect(() => normalizeLogEventRow(readSample<OktaLogEvent>('logevents/20-system.org.rate_limit.warning.json'))).toThrow(
      'LogEvent 44aeb388-08b4-11ef-9cec-73ffcb6f9fdd has an invalid `published` ("2024-05-02 18:46:21.121000000"); expected an ISO-8601 time like 2023-05-30T14:17:58.126Z',
    );
  });
});

describe('validateLogEvent', () => {
  it('accepts a polled LogEvent and returns the same object', () => {
    const event = readSample('logevents/10-group.user_membership.add.json');
    const result = validateLogEvent(event);
    expect(result.ok && result.event).toBe(event);
  });

  it('rejects a non-object', () => {
    expect(validateLogEvent([])).toEqual({ ok: false, reason: 'LogEvent is not a JSON object' });
  });
});
