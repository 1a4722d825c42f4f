/**
 * `idgraph action`, `audit`, `report --fix`, `integration update --allow-actions` and `privacy`
 * as users run them: the built CLI in a child process, against the simulator and PostgreSQL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim, type SimUser } from '@idgraph/okta-sim';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startOktaSim({ seed: 17, users: 120, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('actions_cli');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-actions-cli-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
  const add = await runCli(['integration', 'add', 'acme', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http'], { env });
  expect(add.code, add.stderr).toBe(0);
  const scan = await runCli(['scan', 'acme'], { env });
  expect(scan.code, scan.stderr).toBe(0);
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const plainUser = (): SimUser => {
  const holders = new Set([...sim.org.roleAssignments.values()].map((r) => r.principalId));
  return [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !holders.has(u.id) && ![...(sim.org.userGroups.get(u.id) ?? [])].some((g) => holders.has(g)))!;
};

describe('idgraph action', () => {
  it('refuses on a read-only integration (exit 1, says what to run), then dry-runs and applies once allowed', async () => {
    const u = plainUser();
    const args = ['action', 'suspend', '--integration', 'acme', '--subject', `user:${u.id}`];
    const refused = await runCli(args, { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('idgraph integration update acme --allow-actions');

    const allow = await runCli(['integration', 'update', 'acme', '--allow-actions'], { env });
    expect(allow.code, allow.stderr).toBe(0);
    expect(allow.stdout).toContain('allows remediation actions');

    const dry = await runCli([...args, '--json'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    const out = JSON.parse(dry.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['action', 'subject', 'target', 'applied', 'requests', 'result']);
    expect(out).toMatchObject({ action: 'suspend', subject: `user:${u.id}`, target: null, applied: false, requests: [{ method: 'POST', path: `/api/v1/users/${u.id}/lifecycle/suspend` }] });
    expect((out.result as { outcome: string }).outcome).toBe('dry-run');
    expect(sim.org.users.get(u.id)?.status).toBe('ACTIVE');

    const table = await runCli(args, { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`POST /api/v1/users/${u.id}/lifecycle/suspend`);
    expect(table.stdout).toContain('DRY RUN');

    const applied = await runCli([...args, '--apply', '--json'], { env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true, result: { outcome: 'applied', okta: [{ status: 200 }] } });
    expect(sim.org.users.get(u.id)?.status).toBe('SUSPENDED');
    const graph = await runCli(['graph', 'export', '--integration', 'acme'], { env });
    expect(graph.stdout).toContain(`"id":"${u.id}","status":"SUSPENDED"`);
  });

  it("refuses an API token whose admin cannot (exit 1, naming the roles to grant), without touching the org", async () => {
    const admin = plainUser();
    sim.mutate({ type: 'role.grant.user', userId: admin.id, role: 'READ_ONLY_ADMIN' });
    const token = sim.createApiToken({ ownerId: admin.id });
    const add = await runCli(['integration', 'add', 'ro', '--org-url', sim.url, '--token-env', 'RO_TOKEN', '--allow-http', '--allow-actions'], { env: { ...env, RO_TOKEN: token } });
    expect(add.code, add.stderr).toBe(0);
    const victim = plainUser();
    const r = await runCli(['action', 'deactivate', '--integration', 'ro', '--subject', `user:${victim.id}`, '--apply', '--json'], { env });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { applied: boolean; result: { outcome: string; grant: string } };
    expect(out.applied).toBe(false);
    expect(out.result.outcome).toBe('refused');
    expect(out.result.grant).toContain('SUPER_ADMIN, ORG_ADMIN, USER_ADMIN');
    expect(r.stderr).toContain('READ_ONLY_ADMIN');
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(sim.org.users.get(victim.id)?.status).toBe('ACTIVE');
  });

  it('rejects malformed requests as usage errors (exit 2): unknown action, a login as subject, a missing target', async () => {
    const u = plainUser();
    expect((await runCli(['action', 'disable', '--integration', 'acme', '--subject', `user:${u.id}`], { env })).code).toBe(2);
    const login = await runCli(['action', 'suspend', '--integration', 'acme', '--subject', `user:${u.profile.login}`], { env });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain('not a login');
    const noTarget = await runCli(['action', 'remove-from-group', '--integration', 'acme', '--subject', `user:${u.id}`], { env });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--target group:ID');
  });

  it('report --fix prints runnable commands that resolve the findings; audit lists every attempt', async () => {
    const fix = await runCli(['report', '--integration', 'acme', '--fix', 'app.assigned_to_everyone'], { env });
    expect(fix.code, fix.stderr).toBe(0);
    const commands = fix.stdout.split('\n').filter((l) => l.startsWith('idgraph action '));
    expect(commands).toEqual([`idgraph action unassign-app --integration acme --subject group:${sim.org.everyoneGroupId} --target app:${sim.planted!.everyoneApp}`]);
    const run = await runCli([...commands[0]!.split(' ').slice(1), '--apply'], { env });
    expect(run.code, run.stderr).toBe(0);
    const report = await runCli(['report', '--integration', 'acme', '--json'], { env });
    const everyone = (JSON.parse(report.stdout) as { checks: { id: string; subjects: string[] }[] }).checks.find((c) => c.id === 'app.assigned_to_everyone')!;
    expect(everyone.subjects).not.toContain(`app:${sim.planted!.everyoneApp}`);
    expect((await runCli(['report', '--integration', 'acme', '--fix', 'no.such.check'], { env })).code).toBe(2);

    const audit = await runCli(['audit', '--json'], { env });
    expect(audit.code).toBe(0);
    const entries = JSON.parse(audit.stdout) as { outcome: string; action: string; integration: string; requestedBy: string }[];
    expect(entries.map((e) => `${e.integration} ${e.action} ${e.outcome}`).reverse()).toEqual([
      'acme suspend refused',
      'acme suspend dry-run',
      'acme suspend dry-run',
      'acme suspend applied',
      'ro deactivate refused',
      'acme unassign-app applied',
    ]);
    expect(entries.every((e) => e.requestedBy.startsWith('cli:'))).toBe(true);
    const text = await runCli(['audit', '--integration', 'ro'], { env });
    expect(text.stdout).toContain('refused');
    expect(text.stdout).not.toContain('unassign-app');
  });
});

describe('idgraph privacy', () => {
  it('access lists what is held, erase removes it and records the erasure, erasures shows the record', async () => {
    const u = plainUser();
    const access = await runCli(['privacy', 'access', '--email', u.profile.email.toUpperCase(), '--json'], { env });
    expect(access.code, access.stderr).toBe(0);
    const held = JSON.parse(access.stdout) as { matched: { userId: string }[]; counts: Record<string, number> };
    expect(held.matched.map((m) => m.userId)).toEqual([u.id]);
    expect(held.counts.users).toBe(1);

    expect((await runCli(['privacy', 'access', '--email', 'not-an-address'], { env })).code).toBe(2);
    const erase = await runCli(['privacy', 'erase', '--email', u.profile.email, '--json'], { env });
    expect(erase.code, erase.stderr).toBe(0);
    expect(JSON.parse(erase.stdout)).toMatchObject({ erased: true, matched: 1, counts: { users: 1 } });
    const after = JSON.parse((await runCli(['privacy', 'access', '--email', u.profile.email, '--json'], { env })).stdout) as { matched: unknown[] };
    expect(after.matched).toEqual([]);
    const records = await runCli(['privacy', 'erasures'], { env });
    expect(records.stdout).toContain('cli:');
    expect(records.stdout).not.toContain(u.profile.email);
  });
});
