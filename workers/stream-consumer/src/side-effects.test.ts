import { describe, expect, it } from 'vitest';
import { OktaSideEffects, refreshesAfterStoring, type SideEffectLookups } from './side-effects.js';

const at = new Date('2024-03-01T10:00:00Z');

/** Lookups over a tiny hand-built graph; records what was asked. */
function lookups(): SideEffectLookups & { asked: string[] } {
  const asked: string[] = [];
  const appsOfGroup: Record<string, string[]> = { g1: ['app1'], g2: ['app2', 'app1'], everyone: ['appAll'] };
  return {
    asked,
    async everyoneGroupId(integrationId) {
      asked.push(`everyone:${integrationId}`);
      return integrationId === 'i1' ? 'everyone' : null;
    },
    async appsAssignedToGroups(_i, groupIds) {
      asked.push(`groups:${[...groupIds].sort().join(',')}`);
      return [...new Set(groupIds.flatMap((g) => appsOfGroup[g] ?? []))];
    },
    async appsReachableByUsers(_i, userIds) {
      asked.push(`users:${[...userIds].sort().join(',')}`);
      return userIds.includes('u9') ? ['appDirect', 'app1'] : [];
    },
  };
}

describe('OktaSideEffects', () => {
  it('adds the Everyone membership to a created user, cached per integration, and nothing when Everyone is unknown', async () => {
    const l = lookups();
    const fx = new OktaSideEffects(l);
    const created = { integrationId: 'i1', eventType: 'user.lifecycle.create', published: at, mutations: [{ kind: 'user.upsert' as const, at, user: { oktaId: 'u1' } }] };
    expect(await fx.extraMutations(created)).toEqual([{ kind: 'membership.add', at, userId: 'u1', groupId: 'everyone' }]);
    await fx.extraMutations(created);
    expect(l.asked.filter((a) => a === 'everyone:i1')).toHaveLength(1);
    expect(await fx.extraMutations({ ...created, integrationId: 'i2' })).toEqual([]);
    expect(await fx.extraMutations({ ...created, eventType: 'user.lifecycle.suspend' })).toEqual([]);
  });

  it('re-reads the assignments of apps reached through changed groups, (de)activated users and direct assignments, once each', async () => {
    const fx = new OktaSideEffects(lookups());
    const out = await fx.refreshesFor([
      { integrationId: 'i1', eventType: 'group.user_membership.add', published: at, mutations: [{ kind: 'membership.add', at, userId: 'u1', groupId: 'g1' }] },
      { integrationId: 'i1', eventType: 'group.user_membership.remove', published: at, mutations: [{ kind: 'membership.remove', at, userId: 'u2', groupId: 'g2' }] },
      { integrationId: 'i1', eventType: 'user.lifecycle.deactivate', published: at, mutations: [{ kind: 'user.status', at, userId: 'u9', status: 'DEPROVISIONED' }] },
      { integrationId: 'i1', eventType: 'application.user_membership.add', published: at, mutations: [{ kind: 'appUser.add', at, appId: 'app7', userId: 'u3' }] },
      { integrationId: 'i1', eventType: 'user.lifecycle.suspend', published: at, mutations: [{ kind: 'user.status', at, userId: 'u8', status: 'SUSPENDED' }] },
    ]);
    expect(out).toEqual(
      new Map([['i1', ['app1', 'app2', 'app7', 'appDirect'].map((appId) => ({ kind: 'appAssignments', appId }))]]),
    );
    expect(await fx.refreshesFor([{ integrationId: 'i1', eventType: 'user.lifecycle.suspend', published: at, mutations: [] }])).toEqual(new Map());
  });
});

describe('refreshesAfterStoring', () => {
  it("merges each event's own refreshes with those its side effects imply, per integration and once each", async () => {
    const membership = (integrationId: string, groupId: string) => ({
      integrationId, eventType: 'group.user_membership.add', published: at, mutations: [{ kind: 'membership.add' as const, at, userId: 'u1', groupId }],
    });
    const events = [
      { ...membership('i1', 'g1'), refresh: [{ kind: 'user' as const, id: 'u1' }] },
      { ...membership('i1', 'g2'), refresh: [{ kind: 'user' as const, id: 'u1' }, { kind: 'appAssignments' as const, appId: 'app1' }] },
      { ...membership('i2', 'g9'), refresh: [{ kind: 'group' as const, id: 'g9' }] },
    ];
    const merged = await refreshesAfterStoring(events, new OktaSideEffects(lookups()));
    expect(merged.get('i1')).toEqual([
      { kind: 'user', id: 'u1' },
      { kind: 'appAssignments', appId: 'app1' },
      { kind: 'appAssignments', appId: 'app2' },
    ]);
    expect(merged.get('i2')).toEqual([{ kind: 'group', id: 'g9' }]);
    // Without side-effect lookups only what the events asked for.
    expect((await refreshesAfterStoring(events, null)).get('i1')).toEqual([{ kind: 'user', id: 'u1' }, { kind: 'appAssignments', appId: 'app1' }]);
    expect((await refreshesAfterStoring([], null)).size).toBe(0);
  });
});
