import type { GraphMutation, RefreshRequest } from '@idgraph/graph';
import { describe, expect, it } from 'vitest';
import {
  HANDLED_EVENT_TYPES,
  HANDLED_EVENT_TYPE_PREFIXES,
  eventToGraphChanges,
  isHandledEventType,
  parseEventMessage,
  type OktaLogEvent,
  type OktaLogTarget,
} from './index.js';
import { listLogEventSamples, readSample } from './testdata/samples.js';

const PUBLISHED = '2026-05-01T10:00:00.123Z';
const at = new Date(PUBLISHED);

const USER: OktaLogTarget = { id: '00uTARGET', type: 'User', alternateId: 'jane@example.com', displayName: 'Jane Doe' };
const GROUP: OktaLogTarget = { id: '00gGROUP', type: 'UserGroup', alternateId: 'unknown', displayName: 'Admins' };
const APP: OktaLogTarget = { id: '0oaAPP', type: 'AppInstance', alternateId: 'Salesforce', displayName: 'Salesforce' };
const APP_USER: OktaLogTarget = { id: '0uaAPPUSER', type: 'AppUser', alternateId: 'jane@example.com', displayName: 'Jane Doe' };
const APP_GROUP: OktaLogTarget = { id: '00gAPPGROUP', type: 'AppGroup', alternateId: 'payable@example.com', displayName: 'Payable' };
const ROLE: OktaLogTarget = { id: 'HelpDeskAdmin', type: 'ROLE', alternateId: 'JBCUYUC7IRCVGS27IFCE2SKO', displayName: 'Help Desk Administrator' };

/** A LogEvent as Okta sends it; the admin actor is deliberately a different user than the target. */
function event(eventType: string, target: OktaLogTarget[] | null, outcome: OktaLogEvent['outcome'] = { result: 'SUCCESS', reason: null }): OktaLogEvent {
  return {
    uuid: `uuid-${eventType}`,
    published: PUBLISHED,
    eventType,
    severity: 'INFO',
    actor: { id: '00uADMIN', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    outcome,
    target,
  };
}

function expectChanges(e: OktaLogEvent, mutations: GraphMutation[], refresh: RefreshRequest[] = []): void {
  expect(eventToGraphChanges(e)).toEqual({ mutations, refresh });
}

const NOTHING: [GraphMutation[], RefreshRequest[]] = [[], []];

describe('eventToGraphChanges: users', () => {
  it('user.lifecycle.create upserts id + login without asserting a status, and refreshes the user', () => {
    expectChanges(
      event('user.lifecycle.create', [USER]),
      [{ kind: 'user.upsert', at, user: { oktaId: '00uTARGET', login: 'jane@example.com' } }],
      [{ kind: 'user', id: '00uTARGET' }],
    );
  });

  it('user.lifecycle.create without a usable login upserts the id only', () => {
    expectChanges(
      event('user.lifecycle.create', [{ id: '00uTARGET', type: 'User', alternateId: null }]),
      [{ kind: 'user.upsert', at, user: { oktaId: '00uTARGET' } }],
      [{ kind: 'user', id: '00uTARGET' }],
    );
  });

  // Okta: activation leaves a user without a password PROVISIONED until the welcome flow is done,
  // and reactivate restarts that flow, so neither event can assert ACTIVE.
  it.each(['user.lifecycle.activate', 'user.lifecycle.reactivate'])('%s refreshes the user and asserts no status', (type) => {
    expectChanges(event(type, [USER]), [], [{ kind: 'user', id: '00uTARGET' }]);
  });

  it.each([
    ['user.lifecycle.deactivate', 'DEPROVISIONED'],
    ['user.lifecycle.suspend', 'SUSPENDED'],
    ['user.lifecycle.unsuspend', 'ACTIVE'],
    ['user.account.lock', 'LOCKED_OUT'],
    ['user.account.unlock', 'ACTIVE'],
    ['user.account.unlock_by_admin', 'ACTIVE'],
  ])('%s sets status %s on the User target (not the actor)', (type, status) => {
    expectChanges(event(type, [USER]), [{ kind: 'user.status', at, userId: '00uTARGET', status }]);
  });

  it.each(['user.lifecycle.delete.initiated', 'user.lifecycle.delete.completed'])('%s deletes the user', (type) => {
    expectChanges(event(type, [USER]), [{ kind: 'user.delete', at, userId: '00uTARGET' }]);
  });

  it.each([
    'user.account.update_profile',
    'user.account.update_password',
    'user.account.reset_password',
    'user.lifecycle.password_mode.update',
    'user.lifecycle.password_mode.optional',
  ])('%s refreshes the user (the event carries no state)', (type) => {
    expectChanges(event(type, [USER]), [], [{ kind: 'user', id: '00uTARGET' }]);
  });

  it.each([
    'user.mfa.factor.activate',
    'user.mfa.factor.deactivate',
    'user.mfa.factor.reset_all',
    'user.mfa.factor.update',
    'user.mfa.factor.suspend',
    'user.mfa.factor.unsuspend',
  ])('%s refreshes the user factors', (type) => {
    expectChanges(event(type, [USER]), [], [{ kind: 'userFactors', userId: '00uTARGET' }]);
  });

  it.each(['user.account.privilege.grant', 'user.account.privilege.revoke'])('%s refreshes the user role assignments', (type) => {
    expectChanges(event(type, [USER]), [], [{ kind: 'principalRoles', principalKind: 'user', principalId: '00uTARGET' }]);
  });

  it('user.account.privilege.grant with the 2025 ROLE target still only refreshes (the ROLE id is a display name)', () => {
    expectChanges(
      event('user.account.privilege.grant', [ROLE, { type: 'ROLE_ASSIGNED' }, USER]),
      [],
      [{ kind: 'principalRoles', principalKind: 'user', principalId: '00uTARGET' }],
    );
  });

  it.each([
    'user.lifecycle.create',
    'user.lifecycle.activate',
    'user.lifecycle.deactivate',
    'user.lifecycle.delete.completed',
    'user.account.update_profile',
    'user.mfa.factor.activate',
    'user.account.privilege.grant',
  ])('%s without a User target changes nothing (never falls back to the actor)', (type) => {
    expectChanges(event(type, [GROUP, APP]), ...NOTHING);
    expectChanges(event(type, null), ...NOTHING);
  });
});

describe('eventToGraphChanges: groups and memberships', () => {
  it.each([
    ['group.user_membership.add', 'membership.add'],
    ['group.user_membership.remove', 'membership.remove'],
  ] as const)('%s → %s', (type, kind) => {
    expectChanges(event(type, [USER, GROUP]), [{ kind, at, userId: '00uTARGET', groupId: '00gGROUP' }]);
  });

  it('finds membership targets by type in any order', () => {
    expect(eventToGraphChanges(event('group.user_membership.add', [GROUP, USER]))).toEqual(eventToGraphChanges(event('group.user_membership.add', [USER, GROUP])));
  });

  it('a membership event without the User target refreshes the group members; without the group, nothing', () => {
    expectChanges(event('group.user_membership.remove', [GROUP]), [], [{ kind: 'groupMembers', groupId: '00gGROUP' }]);
    expectChanges(event('group.user_membership.remove', [USER]), ...NOTHING);
  });

  it.each(['group.lifecycle.create', 'group.profile.update'])('%s refreshes the group', (type) => {
    expectChanges(event(type, [GROUP]), [], [{ kind: 'group', id: '00gGROUP' }]);
  });

  it('group.lifecycle.delete deletes the group', () => {
    expectChanges(event('group.lifecycle.delete', [GROUP]), [{ kind: 'group.delete', at, groupId: '00gGROUP' }]);
  });

  it.each(['group.privilege.grant', 'group.privilege.revoke'])('%s refreshes the group role assignments', (type) => {
    expectChanges(event(type, [GROUP]), [], [{ kind: 'principalRoles', principalKind: 'group', principalId: '00gGROUP' }]);
  });

  it.each(['app.user_management', 'app.user_management.app_group_member_import.insert_success', 'app.user_management.app_group_member_import.delete_success'])(
    '%s with an AppGroup target refreshes that group’s members',
    (type) => {
      expectChanges(event(type, [APP_USER, APP_GROUP, USER, APP]), [], [{ kind: 'groupMembers', groupId: '00gAPPGROUP' }]);
    },
  );

  it('app.user_management without an AppGroup target changes nothing', () => {
    expectChanges(event('app.user_management', [APP_USER, USER, APP]), ...NOTHING);
  });
});

describe('eventToGraphChanges: apps and assignments', () => {
  it.each([
    ['application.user_membership.add', 'appUser.add'],
    ['application.user_membership.remove', 'appUser.remove'],
  ] as const)('%s → %s keyed on the User target, not the AppUser id', (type, kind) => {
    expectChanges(event(type, [APP_USER, APP, USER]), [{ kind, at, appId: '0oaAPP', userId: '00uTARGET' }]);
  });

  it('an app membership event without the User target refreshes the app assignments', () => {
    expectChanges(event('application.user_membership.remove', [APP_USER, APP]), [], [{ kind: 'appAssignments', appId: '0oaAPP' }]);
    expectChanges(event('application.user_membership.remove', [APP_USER, USER]), ...NOTHING);
  });

  it('application.user_membership.change_username refreshes the app assignments', () => {
    expectChanges(event('application.user_membership.change_username', [APP_USER, APP, USER]), [], [{ kind: 'appAssignments', appId: '0oaAPP' }]);
  });

  it.each([
    ['group.application_assignment.add', 'appGroup.add'],
    ['group.application_assignment.remove', 'appGroup.remove'],
  ] as const)('%s → %s plus a refresh of the GROUP-scoped app users', (type, kind) => {
    expectChanges(event(type, [GROUP, APP]), [{ kind, at, appId: '0oaAPP', groupId: '00gGROUP' }], [{ kind: 'appAssignments', appId: '0oaAPP' }]);
    expectChanges(event(type, [GROUP]), ...NOTHING);
    expectChanges(event(type, [APP]), ...NOTHING);
  });

  it.each([
    ['application.lifecycle.activate', 'ACTIVE'],
    ['application.lifecycle.deactivate', 'INACTIVE'],
  ])('%s sets app status %s', (type, status) => {
    expectChanges(event(type, [APP, USER]), [{ kind: 'app.status', at, appId: '0oaAPP', status }]);
  });

  it('application.lifecycle.delete deletes the app', () => {
    expectChanges(event('application.lifecycle.delete', [APP]), [{ kind: 'app.delete', at, appId: '0oaAPP' }]);
  });

  it.each(['application.lifecycle.create', 'application.lifecycle.update'])('%s refreshes the app', (type) => {
    expectChanges(event(type, [APP]), [], [{ kind: 'app', id: '0oaAPP' }]);
  });
});

describe('eventToGraphChanges: outcomes and unknown events', () => {
  it.each(['FAILURE', 'DENY', 'SKIPPED', 'UNKNOWN', 'CHALLENGE'])('an event with outcome %s changes nothing', (result) => {
    expectChanges(event('user.lifecycle.deactivate', [USER], { result, reason: 'INSUFFICIENT_PERMISSIONS' }), ...NOTHING);
    expectChanges(event('group.user_membership.add', [USER, GROUP], { result, reason: null }), ...NOTHING);
  });

  it('an event without an outcome is applied', () => {
    expectChanges(event('user.lifecycle.suspend', [USER], null), [{ kind: 'user.status', at, userId: '00uTARGET', status: 'SUSPENDED' }]);
    const { outcome: _o, ...noOutcome } = event('user.lifecycle.suspend', [USER]);
    expectChanges(noOutcome as OktaLogEvent, [{ kind: 'user.status', at, userId: '00uTARGET', status: 'SUSPENDED' }]);
  });

  it.each(['user.session.start', 'user.authentication.sso', 'policy.evaluate_sign_on', 'system.api_token.create', 'user.lifecycle.delete', 'user.mfa.factor'])(
    'an unhandled event type (%s) changes nothing',
    (type) => {
      expectChanges(event(type, [USER, GROUP, APP]), ...NOTHING);
    },
  );

  it('throws for a handled event whose published time is not ISO-8601', () => {
    expect(() => eventToGraphChanges({ ...event('user.lifecycle.deactivate', [USER]), published: '2024-05-02 18:46:21.121000000' })).toThrow(
      /LogEvent uuid-user.lifecycle.deactivate has an invalid `published`/,
    );
  });

  it('ignores malformed target entries instead of crashing', () => {
    const e = { ...event('user.lifecycle.deactivate', [USER]), target: [null, { type: 'User' }, { type: 'User', id: null }, USER] as unknown as OktaLogTarget[] };
    expectChanges(e, [{ kind: 'user.status', at, userId: '00uTARGET', status: 'DEPROVISIONED' }]);
  });

  it('returns fresh arrays each call', () => {
    const first = eventToGraphChanges(event('user.session.start', null));
    first.mutations.push({ kind: 'user.delete', at, userId: 'x' });
    expect(eventToGraphChanges(event('user.session.start', null)).mutations).toEqual([]);
  });
});

describe('HANDLED_EVENT_TYPES', () => {
  it('lists every exactly-handled type, sorted', () => {
    expect(HANDLED_EVENT_TYPES).toEqual([
      'app.user_management',
      'application.lifecycle.activate',
      'application.lifecycle.create',
      'application.lifecycle.deactivate',
      'application.lifecycle.delete',
      'application.lifecycle.update',
      'application.user_membership.add',
      'application.user_membership.change_username',
      'application.user_membership.remove',
      'group.application_assignment.add',
      'group.application_assignment.remove',
      'group.lifecycle.create',
      'group.lifecycle.delete',
      'group.privilege.grant',
      'group.privilege.revoke',
      'group.profile.update',
      'group.user_membership.add',
      'group.user_membership.remove',
      'user.account.lock',
      'user.account.privilege.grant',
      'user.account.privilege.revoke',
      'user.account.reset_password',
      'user.account.unlock',
      'user.account.unlock_by_admin',
      'user.account.update_password',
      'user.account.update_profile',
      'user.lifecycle.activate',
      'user.lifecycle.create',
      'user.lifecycle.deactivate',
      'user.lifecycle.delete.completed',
      'user.lifecycle.delete.initiated',
      'user.lifecycle.reactivate',
      'user.lifecycle.suspend',
      'user.lifecycle.unsuspend',
      'user.mfa.factor.activate',
      'user.mfa.factor.deactivate',
      'user.mfa.factor.reset_all',
      'user.mfa.factor.suspend',
      'user.mfa.factor.unsuspend',
      'user.mfa.factor.update',
    ]);
    expect(HANDLED_EVENT_TYPE_PREFIXES).toEqual(['user.lifecycle.password_mode.', 'app.user_management.']);
  });

  it('every handled type changes something when all target types are present', () => {
    const all = [USER, GROUP, APP, APP_USER, APP_GROUP];
    for (const type of HANDLED_EVENT_TYPES) {
      const { mutations, refresh } = eventToGraphChanges(event(type, all));
      expect(mutations.length + refresh.length, type).toBeGreaterThan(0);
      expect(isHandledEventType(type)).toBe(true);
    }
  });

  it('isHandledEventType matches prefixes and rejects others', () => {
    expect(isHandledEventType('user.lifecycle.password_mode.update')).toBe(true);
    expect(isHandledEventType('app.user_management.push_profile_success')).toBe(true);
    expect(isHandledEventType('user.session.start')).toBe(false);
    expect(isHandledEventType('toString')).toBe(false);
    expect(isHandledEventType('__proto__')).toBe(false);
  });
});

describe('eventToGraphChanges over every LogEvent sample', () => {
  const inner = (file: string): OktaLogEvent => {
    const sample = readSample<Record<string, unknown>>(`logevents/${file}`);
    const hook = sample['data'] as { events: unknown[] } | undefined;
    return (hook ? hook.events[0] : sample) as OktaLogEvent;
  };
  const t = (iso: string) => new Date(iso);

  const EXPECTED: Record<string, [GraphMutation[], RefreshRequest[]]> = {
    '01-user.session.start.spec.json': NOTHING,
    '02-user.session.start.event-hook-payload.json': NOTHING,
    '03-user.lifecycle.deactivate.json': [[{ kind: 'user.status', at: t('2020-11-16T18:15:12.862Z'), userId: '00u3m90rxKjGQ0G6L1d6', status: 'DEPROVISIONED' }], []],
    '04-system.operation.rate_limit.violation.sms.json': NOTHING,
    '05-system.operation.rate_limit.violation.email.json': NOTHING,
    '06-user.session.access_admin_app.json': NOTHING,
    '07-user.session.end.json': NOTHING,
    '08-user.session.start.json': NOTHING,
    '09-policy.evaluate_sign_on.json': NOTHING,
    '10-group.user_membership.add.json': [[{ kind: 'membership.add', at: t('2019-09-14T02:42:49.379Z'), userId: '00ued6gq9jItNhAsN0h7', groupId: '00g8mo0l5wuTxmoIC0h7' }], []],
    '11-group.user_membership.remove.json': [[{ kind: 'membership.remove', at: t('2020-03-03T20:23:17.573Z'), userId: '00uptu0jj9V91p5QM0h7', groupId: '00g8mo0l5wuTxmoIC0h7' }], []],
    '12-application.user_membership.add.json': [[{ kind: 'appUser.add', at: t('2020-02-27T17:55:12.949Z'), appId: '0oabe0e2jruaQccDf0h7', userId: '00upywm7l0rL1V0zt0h7' }], []],
    '13-user.authentication.sso.json': NOTHING,
    '14-group.application_assignment.add.json': [
      [{ kind: 'appGroup.add', at: t('2022-07-18T07:58:55.625Z'), appId: 'test_app_instance_id', groupId: 'test_user_group_id' }],
      [{ kind: 'appAssignments', appId: 'test_app_instance_id' }],
    ],
    '15-user.lifecycle.create.json': [
      [{ kind: 'user.upsert', at: t('2021-07-02T16:31:05.784Z'), user: { oktaId: '00uaf260zjOUVxvsn357', login: 'thomas12223391@gmail.com' } }],
      [{ kind: 'user', id: '00uaf260zjOUVxvsn357' }],
    ],
    '16-user.account.privilege.grant.json': [[], [{ kind: 'principalRoles', principalKind: 'user', principalId: '00u6eup97mAJZWYmP357' }]],
    '17-user.authentication.auth_via_mfa.json': NOTHING,
    '18-group.user_membership.add.admin-ui.json': [
      [{ kind: 'membership.add', at: t('2023-04-26T16:25:06.297Z'), userId: '7cexsxmg5m671po4lmyb29a0knaqpaqg', groupId: 'h23gdxfk7jc8kf5fb923xc1lt5ojey93' }],
      [],
    ],
    '19-app.user_management.app_group_member_import.json': [[], [{ kind: 'groupMembers', groupId: 'l2l6h6p946io0fwyd3jw7jzgy8sq6a61' }]],
    // Its `published` was reformatted by the source, but the type is unhandled so it is never read.
    '20-system.org.rate_limit.warning.json': NOTHING,
    '21-system.operation.rate_limit.violation.third-doc-example.json': NOTHING,
  };

  it('covers every sample file', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(listLogEventSamples());
  });

  it.each(Object.entries(EXPECTED))('%s', (file, [mutations, refresh]) => {
    expect(eventToGraphChanges(inner(file))).toEqual({ mutations, refresh });
  });

  it('the EventBridge envelope sample parses and maps to nothing (admin app access)', () => {
    const parsed = parseEventMessage(JSON.stringify(readSample('eventbridge-envelope.json')));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(eventToGraphChanges(parsed.event)).toEqual({ mutations: [], refresh: [] });
  });
});
