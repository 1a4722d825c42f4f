import { describe, expect, it } from 'vitest';
import { impliedChanges } from './event-side-effects.js';

const at = new Date('2024-03-01T10:00:00Z');

describe('impliedChanges', () => {
  it('a created user joins Everyone', () => {
    expect(impliedChanges({ eventType: 'user.lifecycle.create', published: at, mutations: [{ kind: 'user.upsert', at, user: { oktaId: 'u1' } }] })).toEqual([
      { kind: 'everyone.join', at, userId: 'u1' },
    ]);
    // An upsert without the create event (e.g. a profile carried by another event) joins nothing.
    expect(impliedChanges({ eventType: 'user.account.update_profile', published: at, mutations: [{ kind: 'user.upsert', at, user: { oktaId: 'u1' } }] })).toEqual([]);
  });

  it("membership changes re-read the group's apps, direct assignments the app, (de)activations the user's apps", () => {
    expect(impliedChanges({ eventType: 'group.user_membership.remove', published: at, mutations: [{ kind: 'membership.remove', at, userId: 'u2', groupId: 'g2' }] })).toEqual([
      { kind: 'group.apps', groupId: 'g2' },
    ]);
    expect(impliedChanges({ eventType: 'application.user_membership.add', published: at, mutations: [{ kind: 'appUser.add', at, appId: 'a7', userId: 'u3' }] })).toEqual([
      { kind: 'app.assignments', appId: 'a7' },
    ]);
    expect(impliedChanges({ eventType: 'user.lifecycle.deactivate', published: at, mutations: [{ kind: 'user.status', at, userId: 'u9', status: 'DEPROVISIONED' }] })).toEqual([
      { kind: 'user.apps', userId: 'u9' },
    ]);
    // Suspending keeps the user's app accounts.
    expect(impliedChanges({ eventType: 'user.lifecycle.suspend', published: at, mutations: [{ kind: 'user.status', at, userId: 'u8', status: 'SUSPENDED' }] })).toEqual([]);
    expect(impliedChanges({ eventType: 'user.session.start', published: at, mutations: [] })).toEqual([]);
  });
});
