import { describe, expect, it } from 'vitest';
import type { ImpliedChange } from './model.js';
import { EventSideEffects, refreshesAfterStoring, type SideEffectLookups } from './side-effects.js';

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

const join = (userId: string): ImpliedChange[] => [{ kind: 'everyone.join', at, userId }];

describe('EventSideEffects', () => {
  it('adds the Everyone membership of a created user, looked up once per integration, and nothing while Everyone is unknown', async () => {
    const l = lookups();
    const fx = new EventSideEffects(l);
    expect(EventSideEffects.addsMutations(join('u1'))).toBe(true);
    expect(EventSideEffects.addsMutations([{ kind: 'group.apps', groupId: 'g1' }])).toBe(false);
    expect(await fx.mutations({ integrationId: 'i1', implied: join('u1') })).toEqual([{ kind: 'membership.add', at, userId: 'u1', groupId: 'everyone' }]);
    await fx.mutations({ integrationId: 'i1', implied: join('u2') });
    expect(l.asked.filter((a) => a === 'everyone:i1')).toHaveLength(1);
    expect(await fx.mutations({ integrationId: 'i2', implied: join('u1') })).toEqual([]);
    expect(await fx.mutations({ integrationId: 'i1', implied: [] })).toEqual([]);
  });

  it('re-reads the assignments of apps reached through changed groups, (de)activated users and direct assignments, once each', async () => {
    const fx = new EventSideEffects(lookups());
    const out = await fx.refreshes([
      { integrationId: 'i1', implied: [{ kind: 'group.apps', groupId: 'g1' }] },
      { integrationId: 'i1', implied: [{ kind: 'group.apps', groupId: 'g2' }] },
      { integrationId: 'i1', implied: [{ kind: 'user.apps', userId: 'u9' }] },
      { integrationId: 'i1', implied: [{ kind: 'app.assignments', appId: 'app7' }] },
      { integrationId: 'i1', implied: join('u5') },
    ]);
    // The created user joins Everyone: Everyone's apps too.
    expect(out).toEqual(new Map([['i1', ['app1', 'app2', 'app7', 'appAll', 'appDirect'].map((appId) => ({ kind: 'appAssignments', appId }))]]));
    expect(await fx.refreshes([{ integrationId: 'i1', implied: [] }])).toEqual(new Map());
  });
});

describe('refreshesAfterStoring', () => {
  it("merges each event's own refreshes with those its side effects imply and the store's deferred re-reads, per integration and once each", async () => {
    const membership = (integrationId: string, groupId: string) => ({ integrationId, implied: [{ kind: 'group.apps' as const, groupId }] });
    const events = [
      { ...membership('i1', 'g1'), refresh: [{ kind: 'user' as const, id: 'u1' }] },
      { ...membership('i1', 'g2'), refresh: [{ kind: 'user' as const, id: 'u1' }, { kind: 'appAssignments' as const, appId: 'app1' }] },
      { ...membership('i2', 'g9'), refresh: [{ kind: 'group' as const, id: 'g9' }] },
    ];
    const merged = await refreshesAfterStoring(events, new EventSideEffects(lookups()), [{ integrationId: 'i2', request: { kind: 'user', id: 'u7' } }]);
    expect(merged.get('i1')).toEqual([
      { kind: 'user', id: 'u1' },
      { kind: 'appAssignments', appId: 'app1' },
      { kind: 'appAssignments', appId: 'app2' },
    ]);
    expect(merged.get('i2')).toEqual([{ kind: 'group', id: 'g9' }, { kind: 'user', id: 'u7' }]);
    // Without side effects only what the events asked for.
    expect((await refreshesAfterStoring(events, null)).get('i1')).toEqual([{ kind: 'user', id: 'u1' }, { kind: 'appAssignments', appId: 'app1' }]);
    expect((await refreshesAfterStoring([], null)).size).toBe(0);
  });
});
