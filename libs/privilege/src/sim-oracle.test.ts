/**
 * The computation against the simulator's own oracle, on generated orgs of several seeds: the same
 * holders, every control edge and no other, and the same distance to Tier Zero from every
 * principal (paths may differ where several are shortest; each step must be an oracle edge).
 * Input is read straight from the simulator's model here; test/e2e/privilege.test.ts does the same
 * through the collector, the database and the CLI.
 */
import { describe, expect, it } from 'vitest';
import { expectedPrivilege, startOktaSim, TIER_ZERO_ROLES, type OktaSim } from '@idgraph/okta-sim';
import { buildPrivilegeGraph, forEachPredecessor, privilegeEdges, roleHolders, shortestPaths, shortestPathsTo, type PrivilegeGraph, type PrivilegeInput } from './index.js';

function inputOf(sim: OktaSim): PrivilegeInput {
  const org = sim.org;
  type SetResource = OktaSim['org']['resourceSets'] extends Map<string, infer S> ? S extends { resources: (infer R)[] } ? R : never : never;
  const target = (res: SetResource): { targetKind: string; targetId: string | null } => {
    const r = res.ref;
    switch (r.kind) {
      case 'allUsers': return { targetKind: 'all_users', targetId: null };
      case 'allGroups': return { targetKind: 'all_groups', targetId: null };
      case 'allApps': return { targetKind: 'all_apps', targetId: null };
      case 'user': return { targetKind: 'user', targetId: r.userId };
      case 'group': return { targetKind: 'group', targetId: r.groupId };
      case 'groupMembers': return { targetKind: 'group_members', targetId: r.groupId };
      case 'appType': return { targetKind: 'app_type', targetId: r.appName };
      case 'app': return { targetKind: 'app', targetId: r.appId };
    }
  };
  const assignments = [...org.roleAssignments.values()];
  return {
    users: [...org.users.values()].map((u) => ({ id: u.id, status: u.status })),
    groups: [...org.groups.values()].map((g) => ({ id: g.id, type: g.type, name: g.name })),
    apps: [...org.apps.values()].map((a) => ({ id: a.id, name: a.name, clientId: a.clientId, isServiceApp: a.isServiceApp, hasClientSecret: a.clientSecrets.some((c) => c.status === 'ACTIVE') })),
    memberships: [...org.groupMembers].flatMap(([groupId, members]) => [...members].map((userId) => ({ userId, groupId }))),
    roleAssignments: assignments.map((a) => ({
      principalKind: a.principalKind, principalId: a.principalId, roleId: a.type === 'CUSTOM' ? (a.customRoleId as string) : a.type,
      resourceSetId: a.resourceSetId, assignmentId: a.id,
    })),
    roleTargets: assignments.flatMap((a) => [
      ...a.groupTargets.map((targetId) => ({ principalKind: a.principalKind, principalId: a.principalId, roleId: a.type, targetKind: 'group' as const, targetId })),
      ...a.appTargets.map((t) => ({ principalKind: a.principalKind, principalId: a.principalId, roleId: a.type, targetKind: t.appId ? 'app' as const : 'catalog_app' as const, targetId: t.appId ?? t.name })),
    ]),
    customRoles: [...org.customRoles.values()].map((r) => ({ id: r.id, label: r.label, permissions: r.permissions })),
    resourceSets: [...org.resourceSets.values()].map((s) => ({ id: s.id, label: s.label, resources: s.resources.map(target) })),
    apiTokens: [...org.apiTokens.values()].map((t) => ({ id: t.id, name: t.name, userId: t.userId })),
    groupRules: [...org.groupRules.values()].map((r) => ({ id: r.id, name: r.name, status: r.status, expression: r.expression, targetGroupIds: r.targetGroupIds })),
  };
}

describe('privilege computation against the simulator oracle', () => {
  for (const seed of [1, 2, 9]) {
    it(`seed ${seed}: holders, control edges and distances to Tier Zero agree`, async () => {
      const sim = await startOktaSim({ seed, users: 300 });
      try {
        for (let i = 0; i < 30; i++) sim.mutate();
        const x = expectedPrivilege(sim.org);
        const g = buildPrivilegeGraph(inputOf(sim));
        expect(roleHolders(g)).toEqual(x.holders);

        const edges = new Set([...privilegeEdges(g)].map((e) => `${e.from}|${e.kind}|${e.to}`));
        expect([...edges].filter((e) => !x.edges.has(e))).toEqual([]);
        expect([...x.edges].filter((e) => !edges.has(e))).toEqual([]);

        const dist = x.distances(TIER_ZERO_ROLES);
        const sp = shortestPaths(g);
        const actual = new Map([...sp.paths()].map((p) => [p.from, p] as const));
        const expected = new Map([...dist].filter(([node]) => !node.startsWith('group_rule:')));
        expect(new Map([...actual].map(([from, p]) => [from, p.length]))).toEqual(expected);
        for (const p of actual.values()) for (const s of p.steps) expect(x.edges.has(`${s.from}|${s.edge}|${s.to}`), `${s.from} ${s.edge} ${s.to}`).toBe(true);
        // Every planted kind is among them.
        const planted = sim.planted?.privilege;
        expect(actual.get(`user:${planted?.appAdminReadsSecret.userId}`)?.length).toBe(2);
        expect(actual.get(`user:${planted?.ruleIntoAdminGroup.memberAdminId}`)?.length).toBe(3);
      } finally {
        await sim.close();
      }
    });
  }
});

/** Breadth first from `target` over every predecessor, each org-wide grant walked for every node: the search as first written. */
function naiveDistances(g: PrivilegeGraph, target: number): Map<number, number> {
  const dist = new Map<number, number>([[target, 0]]);
  let frontier = [target];
  for (let d = 1; frontier.length > 0; d++) {
    const next: number[] = [];
    for (const v of frontier) {
      forEachPredecessor(g, v, (p) => {
        if (dist.has(p)) return;
        dist.set(p, d);
        next.push(p);
      });
    }
    frontier = next;
  }
  return dist;
}

describe('who can reach one principal (the person view): the search with its shortcuts agrees with the plain one', () => {
  it('for every user and group of a mutated simulated org, searched one after another on one graph', async () => {
    const sim = await startOktaSim({ seed: 4, users: 300 });
    try {
      for (let i = 0; i < 30; i++) sim.mutate();
      const g = buildPrivilegeGraph(inputOf(sim));
      let reachedSomeone = 0;
      for (let v = 0; v < g.appBase; v++) {
        const expected = naiveDistances(g, v);
        const sp = shortestPathsTo(g, [v]);
        const actual = new Map([...sp.reached].map((node) => [node, sp.distance(node)] as const));
        expect(actual, g.ref(v)).toEqual(expected);
        const paths = [...sp.paths()];
        expect(paths.map((p) => p.length)).toEqual([...expected].filter(([node, d]) => d > 0 && node < g.ruleBase).map(([, d]) => d).sort((a, b) => a - b));
        for (const p of paths) expect(p.steps.at(-1)!.to).toBe(g.ref(v));
        if (paths.length > 0) reachedSomeone++;
      }
      expect(reachedSomeone).toBeGreaterThan(100);
    } finally {
      await sim.close();
    }
  });
});

