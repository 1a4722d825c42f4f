/**
 * Tenants on one database: everything a command shows or touches is its tenant's
 * (IDGRAPH_TENANT). Two tenants each scan their own org, one integration name used by both; each
 * sees only its own integrations, runs, status, graph, findings, events and API keys, and cannot
 * reach the other's by name. The built CLI against real PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { sortExportLines, toJsonl } from '@idgraph/graph';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let simA: OktaSim;
let simB: OktaSim;
let db: TestDatabase;
let dir: string;
let base: Record<string, string>;
const envOf = (tenant: string, sim: OktaSim) => ({ ...base, IDGRAPH_TENANT: tenant, OKTA_TOKEN: sim.apiToken });

beforeAll(async () => {
  simA = await startOktaSim({ seed: 41, users: 80, rateLimitFactor: 40, tokenShare: 1 });
  simB = await startOktaSim({ seed: 43, users: 90, rateLimitFactor: 40, tokenShare: 1 });
  db = await createTestDatabase('cli_tenants');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-cli-tenants-'));
  base = { DATABASE_URL: db.url, IDGRAPH_DATA_DIR: join(dir, 'data'), IDGRAPH_SECRET_KEY: randomBytes(32).toString('base64url') };
  for (const [tenant, sim, name] of [['ta', simA, 'a-only'], ['tb', simB, 'b-only']] as const) {
    const env = envOf(tenant, sim);
    for (const n of [name, 'shared']) {
      const add = await runCli(['integration', 'add', n, '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http'], { env });
      expect(add.code, add.stderr).toBe(0);
    }
    const scan = await runCli(['scan', 'shared', '--rate-share', '1', '--json'], { env, timeoutMs: 180_000 });
    expect(scan.code, scan.stderr).toBe(0);
    expect((await runCli(['api-key', 'create', `${tenant}-key`, '--role', 'read'], { env })).code).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  await simA?.close();
  await simB?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('tenants (IDGRAPH_TENANT)', () => {
  for (const [tenant, own, other] of [
    ['ta', () => simA, () => simB],
    ['tb', () => simB, () => simA],
  ] as const) {
    it(`${tenant} sees only its own integrations, runs, graph, findings, events and keys`, async () => {
      const env = envOf(tenant, own());
      const json = async (args: string[]) => {
        const r = await runCli([...args, '--json'], { env });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
        return JSON.parse(r.stdout);
      };
      const ownName = tenant === 'ta' ? 'a-only' : 'b-only';
      const otherName = tenant === 'ta' ? 'b-only' : 'a-only';
      const integrations = (await json(['integration', 'list'])) as { name: string; orgUrl: string; id: string }[];
      expect(integrations.map((i) => i.name).sort()).toEqual([ownName, 'shared']);
      expect(integrations.every((i) => i.orgUrl === own().url)).toBe(true);
      const ids = new Set(integrations.map((i) => i.id));

      const runs = (await json(['runs'])) as { integrationId: string }[];
      expect(runs).toHaveLength(1);
      expect(ids.has(runs[0]!.integrationId)).toBe(true);
      const status = (await json(['status'])) as { integration: string; orgUrl: string }[];
      expect(status.map((s) => s.integration).sort()).toEqual([ownName, 'shared']);

      // The graph of `shared` is this tenant's org, line for line; the whole export has nothing else.
      const exported = await runCli(['graph', 'export', '--integration', 'shared'], { env });
      expect(exported.stdout).toBe(toJsonl(sortExportLines(own().truth())));
      expect((await runCli(['graph', 'export'], { env })).stdout).toBe(exported.stdout);

      // Findings name this org's users, groups and apps only.
      const report = (await json(['report', '--integration', 'shared'])) as { checks: { subjects: string[] }[] };
      const subjects = report.checks.flatMap((c) => c.subjects.map(String)).filter((x) => /^(user|group|app):/.test(x));
      expect(subjects.length).toBeGreaterThan(0);
      const ownIds = new Set([...own().org.users.keys(), ...own().org.groups.keys(), ...own().org.apps.keys()]);
      for (const subject of subjects) expect(ownIds.has(subject.slice(subject.indexOf(':') + 1)), subject).toBe(true);

      // The other org's people and events are not here; this org's are.
      const ownUser = [...own().org.users.values()].find((u) => u.status === 'ACTIVE' && u.profile.email)!;
      const otherUser = [...other().org.users.values()].find((u) => u.status === 'ACTIVE' && u.profile.email && !own().org.users.has(u.id))!;
      expect(((await json(['privacy', 'access', '--email', ownUser.profile.email])) as { matched: unknown[] }).matched.length).toBeGreaterThan(0);
      const foreign = (await json(['privacy', 'access', '--email', otherUser.profile.email])) as { matched: unknown[]; events?: unknown[] };
      expect(foreign.matched).toEqual([]);
      expect(JSON.stringify(foreign)).not.toContain(otherUser.id);

      const keys = (await json(['api-key', 'list'])) as { name: string }[];
      expect(keys.map((k) => k.name)).toEqual([`${tenant}-key`]);

      // The other tenant's integration is unknown here, by name and for every command.
      for (const args of [
        ['graph', 'export', '--integration', otherName],
        ['runs', otherName],
        ['report', '--integration', otherName],
        ['integration', 'test', otherName],
        ['integration', 'remove', otherName],
      ]) {
        const r = await runCli(args, { env });
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.stderr, args.join(' ')).toMatch(new RegExp(`no integration named "${otherName}"|"${otherName}"`));
      }
    }, 120_000);
  }

  it('removing an integration in one tenant leaves the other tenant\'s of that name', async () => {
    const removed = await runCli(['integration', 'remove', 'shared'], { env: envOf('ta', simA) });
    expect(removed.code, removed.stderr).toBe(0);
    const list = JSON.parse((await runCli(['integration', 'list', '--json'], { env: envOf('tb', simB) })).stdout) as { name: string }[];
    expect(list.map((i) => i.name).sort()).toEqual(['b-only', 'shared']);
    expect((await runCli(['graph', 'export', '--integration', 'shared'], { env: envOf('tb', simB) })).stdout).toBe(toJsonl(sortExportLines(simB.truth())));
  }, 60_000);
});
