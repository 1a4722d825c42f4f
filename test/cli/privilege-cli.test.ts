/**
 * Effective privilege end to end, as a user runs it: a simulated org with one of each kind of path
 * to Tier Zero and the barrier cases is scanned by the built CLI into PostgreSQL; `access`,
 * `paths` and `graph export --format opengraph` must agree with the simulator's own oracle
 * (libs/okta-sim/src/expected-privilege.ts, computed from its in-memory org without
 * @idgraph/privilege). Then streamed changes (replayed with ingest-events) show at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedPrivilege, startOktaSim, TIER_ZERO_ROLES, type OktaSim, type PlantedPrivilege } from '@idgraph/okta-sim';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;
let p: PlantedPrivilege;

interface Holder { principal: string; role: string; resourceSet: string | null; via: string[] }
interface Step { from: string; edge: string; to: string; grant?: { principal: string; role: string; resourceSet: string | null; assignmentId: string | null }; rule?: { id: string; name: string } }
interface Path { from: string; to: string; length: number; steps: Step[] }

const json = async <T>(args: string[]): Promise<T> => {
  const r = await runCli(args, { env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const access = (...extra: string[]) => json<{ holders: Holder[] }>(['access', '--integration', 'acme', '--json', ...extra]);
const paths = (...extra: string[]) => json<{ paths: Path[] }>(['paths', '--integration', 'acme', '--json', ...extra]);

beforeAll(async () => {
  sim = await startOktaSim({ seed: 31, users: 250, rateLimitFactor: 40, tokenShare: 1 });
  p = sim.planted!.privilege!;
  db = await createTestDatabase('cli_privilege');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-privilege-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
  const scan = await runCli(['scan', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--name', 'acme', '--allow-http', '--json'], { env, timeoutMs: 240_000 });
  expect(scan.code, scan.stderr).toBe(0);
  expect(JSON.parse(scan.stdout)).toMatchObject({ status: 'succeeded' });
}, 300_000);

afterAll(async () => {
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('idgraph access', () => {
  it('--json lists every holder exactly as the simulator knows them, in the contract shape', async () => {
    const { holders } = await access();
    expect(holders).toEqual(expectedPrivilege(sim.org).holders);
    for (const h of holders) expect(Object.keys(h)).toEqual(['principal', 'role', 'resourceSet', 'via']);
    // Directly (via []), through a group (via [group]), as a service app, a custom role on its resource set.
    expect(holders).toContainEqual({ principal: `app:${p.appAdminReadsSecret.appId}`, role: 'SUPER_ADMIN', resourceSet: null, via: [] });
    const member = [...(sim.org.groupMembers.get(p.viaGroup.groupId) ?? [])][0];
    expect(holders).toContainEqual({ principal: `user:${member}`, role: 'ORG_ADMIN', resourceSet: null, via: [`group:${p.viaGroup.groupId}`] });
    expect(holders).toContainEqual({ principal: `user:${p.customRoleReadsSecret.userId}`, role: p.customRoleReadsSecret.roleId, resourceSet: p.customRoleReadsSecret.resourceSetId, via: [] });
  });

  it('--role narrows to one role; an unknown role is a usage error; without --json a table', async () => {
    const { holders } = await access('--role', 'SUPER_ADMIN');
    expect(holders).toEqual(expectedPrivilege(sim.org).holders.filter((h) => h.role === 'SUPER_ADMIN'));
    expect(holders.length).toBeGreaterThan(6);
    const bad = await runCli(['access', '--integration', 'acme', '--role', 'KING'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"KING" is not a role');
    expect((await runCli(['access'], { env })).code).toBe(2);
    const none = await runCli(['access', '--integration', 'nope'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no integration named "nope"');
    const table = await runCli(['access', '--integration', 'acme', '--role', 'GROUP_MEMBERSHIP_ADMIN'], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ROLE\s+RESOURCE SET\s+PRINCIPAL\s+NAME\s+VIA/);
    expect(table.stdout).toContain(`user:${p.ruleIntoAdminGroup.memberAdminId}`);
  });
});

describe('idgraph paths', () => {
  it('--json gives every principal with a path to Tier Zero its shortest length; every step is an edge the simulator has', async () => {
    const x = expectedPrivilege(sim.org);
    const { paths: all } = await paths();
    const expected = new Map([...x.distances(TIER_ZERO_ROLES)].filter(([ref]) => !ref.startsWith('group_rule:')));
    expect(new Map(all.map((q) => [q.from, q.length]))).toEqual(expected);
    for (const q of all) {
      expect(Object.keys(q)).toEqual(['from', 'to', 'length', 'steps']);
      expect(q.steps).toHaveLength(q.length);
      expect(['role:SUPER_ADMIN', 'role:ORG_ADMIN']).toContain(q.to);
      expect(q.steps[0]?.from).toBe(q.from);
      expect(q.steps[q.steps.length - 1]?.to).toBe(q.to);
      for (const s of q.steps) expect(x.edges.has(`${s.from}|${s.edge}|${s.to}`), `${s.from} ${s.edge} ${s.to}`).toBe(true);
    }
    expect(all.map((q) => q.length)).toEqual([...all.map((q) => q.length)].sort((a, b) => a - b));
  });

  it('shows each planted kind of path, naming the grant or rule behind each step', async () => {
    const one = async (ref: string) => {
      const { paths: found } = await paths('--from', ref);
      expect(found, ref).toHaveLength(1);
      return found[0]!;
    };
    const via = (q: Path) => q.steps.map((s) => `${s.edge}>${s.to}`);
    // Through a group.
    const member = [...(sim.org.groupMembers.get(p.viaGroup.groupId) ?? [])].sort()[0]!;
    expect(via(await one(`user:${member}`))).toEqual([`MemberOf>group:${p.viaGroup.groupId}`, 'HasRole>role:ORG_ADMIN']);
    // A service app with SUPER_ADMIN whose secret an app admin can read (the barrier's exception).
    const appAdmin = await one(`user:${p.appAdminReadsSecret.userId}`);
    expect(via(appAdmin)).toEqual([`ReadClientSecret>app:${p.appAdminReadsSecret.appId}`, 'HasRole>role:SUPER_ADMIN']);
    expect(appAdmin.steps[0]?.grant).toMatchObject({ principal: `user:${p.appAdminReadsSecret.userId}`, role: 'APP_ADMIN', resourceSet: null });
    // A custom role on a resource set.
    const auditor = await one(`user:${p.customRoleReadsSecret.userId}`);
    expect(via(auditor)).toEqual([`ReadClientSecret>app:${p.customRoleReadsSecret.appId}`, 'HasRole>role:ORG_ADMIN']);
    expect(auditor.steps[0]?.grant).toMatchObject({ role: p.customRoleReadsSecret.roleId, resourceSet: p.customRoleReadsSecret.resourceSetId });
    // An admin's API token.
    expect(via(await one(`api_token:${p.adminToken.tokenId}`))).toEqual([`ApiTokenFor>user:${p.adminToken.ownerId}`, 'HasRole>role:SUPER_ADMIN']);
    // A group rule into an admin group, fed by a group a membership admin is scoped to.
    const r = p.ruleIntoAdminGroup;
    const rule = await one(`user:${r.memberAdminId}`);
    expect(via(rule)).toEqual([`AddMember>group:${r.conditionGroupId}`, `AddedByRule>group:${r.targetGroupId}`, 'HasRole>role:ORG_ADMIN']);
    expect(rule.steps[0]?.grant).toMatchObject({ role: 'GROUP_MEMBERSHIP_ADMIN' });
    expect(rule.steps[1]?.rule).toEqual({ id: r.ruleId, name: 'Platform admins' });
  });

  it('--to a role, --from a principal without a path, and bad input', async () => {
    const x = expectedPrivilege(sim.org);
    const { paths: toHelpDesk } = await paths('--to', 'HELP_DESK_ADMIN');
    expect(new Map(toHelpDesk.map((q) => [q.from, q.length]))).toEqual(new Map([...x.distances(['HELP_DESK_ADMIN'])].filter(([ref]) => !ref.startsWith('group_rule:'))));
    expect(toHelpDesk.every((q) => q.to === 'role:HELP_DESK_ADMIN')).toBe(true);
    // The help desk admin resets the users of its scope group but not the super admin in it (the barrier).
    const hd = p.barrier.helpDesk;
    expect((await paths('--from', `user:${hd.userId}`)).paths).toEqual([]);
    const none = await runCli(['paths', '--integration', 'acme', '--from', `user:${hd.userId}`], { env });
    expect(none.stdout).toContain(`no path from user:${hd.userId} to Tier Zero`);
    expect((await runCli(['paths', '--integration', 'acme', '--from', 'bob'], { env })).code).toBe(2);
    expect((await runCli(['paths', '--integration', 'acme', '--from', 'user:00unothere00000000'], { env })).code).toBe(1);
    expect((await runCli(['paths', '--integration', 'acme', '--to', 'NOT_A_ROLE'], { env })).code).toBe(2);
    const table = await runCli(['paths', '--integration', 'acme', '--from', `user:${p.ruleIntoAdminGroup.memberAdminId}`], { env });
    expect(table.stdout).toMatch(/AddedByRule\s+group:\S+ \(Platform admins\)\s+\[rule 0pr\S+ "Platform admins"\]/);
  });
});

describe('idgraph graph export --format opengraph', () => {
  interface OgNode { id: string; kinds: string[]; properties: Record<string, unknown> }
  interface OgEdge { start: { value: string; match_by: string }; end: { value: string; match_by: string }; kind: string; properties: Record<string, unknown> }

  it('writes BloodHound OpenGraph JSON whose control edges are exactly the simulator\'s (barrier applied)', async () => {
    const r = await runCli(['graph', 'export', '--integration', 'acme', '--format', 'opengraph'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { metadata: { source_kind: string }; graph: { nodes: OgNode[]; edges: OgEdge[] } };
    expect(doc.metadata).toEqual({ source_kind: 'Okta' });
    const nodes = new Map(doc.graph.nodes.map((n) => [n.id, n]));
    expect(nodes.size).toBe(doc.graph.nodes.length);
    for (const n of doc.graph.nodes) {
      expect(n.kinds.length).toBeGreaterThan(0);
      expect(n.kinds.length).toBeLessThanOrEqual(3);
      for (const v of Object.values(n.properties)) expect(['string', 'number', 'boolean'].includes(typeof v) || Array.isArray(v)).toBe(true);
    }
    for (const e of doc.graph.edges) {
      expect(nodes.has(e.start.value), `${e.kind} start ${e.start.value}`).toBe(true);
      expect(nodes.has(e.end.value), `${e.kind} end ${e.end.value}`).toBe(true);
      expect(e.kind).toMatch(/^Okta_[A-Za-z]+$/);
    }
    expect(nodes.get(sim.org.users.keys().next().value as string)?.kinds).toEqual(['Okta_User']);
    // Control edges: direct ones, plus org-wide grants expanded through their scope node.
    const kindOf = (id: string): string => {
      const k = nodes.get(id)?.kinds[0];
      return k === 'Okta_User' ? 'user' : k === 'Okta_Group' ? 'group' : k === 'Okta_Application' ? 'app' : k === 'Okta_ApiToken' ? 'api_token' : k === 'Okta_GroupRule' ? 'group_rule' : 'other';
    };
    const contains = new Map<string, string[]>();
    for (const e of doc.graph.edges) if (e.kind === 'Okta_ScopeContains') contains.set(e.start.value, [...(contains.get(e.start.value) ?? []), e.end.value]);
    const control = new Set<string>();
    const CONTROL = ['ResetPassword', 'ResetFactors', 'AddMember', 'ManageApp', 'ReadClientSecret'];
    for (const e of doc.graph.edges) {
      const kind = e.kind.slice('Okta_'.length);
      if (!CONTROL.includes(kind)) continue;
      const from = `${kindOf(e.start.value)}:${e.start.value}`;
      const targets = nodes.get(e.end.value)?.kinds[0] === 'Okta_Scope' ? contains.get(e.end.value) ?? [] : [e.end.value];
      for (const t of targets) control.add(`${from}|${kind}|${kindOf(t)}:${t}`);
    }
    const expected = new Set([...expectedPrivilege(sim.org).edges].filter((e) => CONTROL.includes(e.split('|')[1]!)));
    expect([...control].filter((e) => !expected.has(e))).toEqual([]);
    expect([...expected].filter((e) => !control.has(e))).toEqual([]);
    // The barrier cases, spelled out.
    expect(control.has(`user:${p.ruleIntoAdminGroup.memberAdminId}|AddMember|group:${p.ruleIntoAdminGroup.conditionGroupId}`)).toBe(true);
    expect(control.has(`user:${p.barrier.memberAdminOnAdminGroup.userId}|AddMember|group:${p.barrier.memberAdminOnAdminGroup.groupId}`)).toBe(false);
    expect(control.has(`user:${p.barrier.helpDesk.userId}|ResetPassword|user:${p.barrier.helpDesk.protectedUserId}`)).toBe(false);
    expect(control.has(`user:${p.barrier.appAdminOnPrivilegedApp.userId}|ManageApp|app:${p.barrier.appAdminOnPrivilegedApp.appId}`)).toBe(false);
    expect(control.has(`user:${p.barrier.appAdminOnPrivilegedApp.userId}|ReadClientSecret|app:${p.barrier.appAdminOnPrivilegedApp.appId}`)).toBe(true);
    const bad = await runCli(['graph', 'export', '--format', 'dot'], { env });
    expect(bad.code).toBe(2);
  });
});

describe('streamed changes', () => {
  it('show in access and paths at once (computed from the graph on every call)', async () => {
    // A plain user joins the group that holds ORG_ADMIN; the API token's owner is deactivated.
    const plain = [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !expectedPrivilege(sim.org).holders.some((h) => h.principal === `user:${u.id}`))!;
    const lines = [
      JSON.stringify(sim.mutate({ type: 'group.member.add', groupId: p.viaGroup.groupId, userId: plain.id }).event),
      JSON.stringify(sim.mutate({ type: 'user.deactivate', userId: p.adminToken.ownerId }).event),
    ].join('\n');
    const ingest = await runCli(['ingest-events', '--integration', 'acme', '--file', '-', '--json'], { env, input: `${lines}\n` });
    expect(ingest.code, ingest.stderr).toBe(0);
    const { holders } = await access('--role', 'ORG_ADMIN');
    expect(holders).toContainEqual({ principal: `user:${plain.id}`, role: 'ORG_ADMIN', resourceSet: null, via: [`group:${p.viaGroup.groupId}`] });
    expect(holders).toEqual(expectedPrivilege(sim.org).holders.filter((h) => h.role === 'ORG_ADMIN'));
    // Okta deprovisions a deactivated user's tokens: the token no longer has a path.
    expect((await paths('--from', `user:${plain.id}`)).paths[0]?.length).toBe(2);
    const token = await runCli(['paths', '--integration', 'acme', '--from', `api_token:${p.adminToken.tokenId}`, '--json'], { env });
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('gone from Okta');
  });
});
