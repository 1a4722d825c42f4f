/**
 * The CLI with least-privilege credentials (a service app granted only some scopes, a read-only
 * admin's token) and with scans that are killed and run again — the built binary in a child
 * process, against the simulator and a real PostgreSQL database.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { sortExportLines, toJsonl } from '@idgraph/graph';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { CLI, runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;

const LEAST = ['okta.users.read', 'okta.groups.read', 'okta.logs.read'];

async function serviceApp(scopes: string[], roles = ['READ_ONLY_ADMIN']): Promise<string[]> {
  const app = await sim.createServiceApp({ scopes, roles });
  const keyFile = join(dir, `${app.clientId}.pem`);
  await writeFile(keyFile, app.privateKeyPem, { mode: 0o600 });
  return ['--client-id', app.clientId, '--key-file', keyFile, '--kid', app.keyId];
}

beforeAll(async () => {
  sim = await startOktaSim({ seed: 23, users: 300, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('cli_scopes');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-cli-scopes-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('least-privilege credentials', () => {
  // Service apps change the org (an app and its role): create them all before anything is scanned.
  let least: string[];
  let usersOnly: string[];
  let nothing: string[];
  beforeAll(async () => {
    least = await serviceApp(LEAST);
    usersOnly = await serviceApp(['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read']);
    nothing = await serviceApp(['okta.logStreams.read']);
  });

  it('integration add stores a service app that can collect something, warning what will be skipped and what to grant', async () => {
    const add = await runCli(['integration', 'add', 'least', '--org-url', sim.url, ...least, '--allow-http', '--json'], { env });
    expect(add.code).toBe(0);
    const body = JSON.parse(add.stdout);
    expect(body).toMatchObject({ added: true, willSkip: ['apps', 'app_assignments', 'roles', 'api_tokens', 'app_credentials'] });
    expect(add.stderr).toMatch(/warning: scans of "least" will skip apps, app_assignments, roles, api_tokens, app_credentials until you grant okta\.apps\.read, okta\.roles\.read, okta\.apiTokens\.read/);
    expect(add.stdout + add.stderr).not.toContain('PRIVATE KEY');
  });

  it('integration test --json: ok, or missing_scope with the scope to grant; the human output says each reason once', async () => {
    const json = await runCli(['integration', 'test', 'least', '--json'], { env });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.resources.map((r: { resource: string; status: string; scope?: string }) => [r.resource, r.status, r.scope ?? null])).toEqual([
      ['users', 'ok', null],
      ['groups', 'ok', null],
      ['group_members', 'ok', null],
      ['apps', 'missing_scope', 'okta.apps.read'],
      ['app_assignments', 'missing_scope', 'okta.apps.read'],
      ['roles', 'missing_scope', 'okta.roles.read'],
      ['factors', 'ok', null],
      ['system_log', 'ok', null],
      ['api_tokens', 'missing_scope', 'okta.apiTokens.read'],
      ['group_rules', 'ok', null],
      ['app_credentials', 'missing_scope', 'okta.apps.read'],
    ]);
    expect(report.scopes).toMatchObject({ granted: LEAST, refused: ['okta.apps.read', 'okta.roles.read', 'okta.apiTokens.read'] });

    const human = await runCli(['integration', 'test', 'least'], { env });
    expect(human.code).toBe(1);
    const apps = report.resources.find((r: { resource: string }) => r.resource === 'apps').message as string;
    expect(human.stdout.split(apps).length - 1).toBe(1);
    expect(human.stderr.split(apps).length - 1).toBe(0);
    expect(human.stdout).toMatch(/app_assignments\s+missing_scope\s+grant okta\.apps\.read \[1\]/);
    expect(human.stderr).toMatch(/scans will collect users, groups, group_members, factors, system_log, group_rules and skip the rest: grant okta\.apps\.read, okta\.roles\.read, okta\.apiTokens\.read/);
  });

  it('a read-only admin token: roles are forbidden by the admin role, everything else ok', async () => {
    const token = sim.createApiToken({ roles: ['READ_ONLY_ADMIN'] });
    const add = await runCli(['integration', 'add', 'readonly', '--org-url', sim.url, '--token-env', 'RO_TOKEN', '--allow-http'], { env: { ...env, RO_TOKEN: token } });
    expect(add.code).toBe(0);
    expect(add.stderr).toMatch(/will skip roles until you give the credentials' admin \(or the service app\) a role that may read roles/);
    const test = await runCli(['integration', 'test', 'readonly', '--json'], { env });
    const report = JSON.parse(test.stdout);
    expect(report.resources.filter((r: { status: string }) => r.status !== 'ok')).toEqual([
      expect.objectContaining({ resource: 'roles', status: 'forbidden', message: expect.stringMatching(/E0000006/) }),
    ]);
    expect(test.stdout + test.stderr + add.stdout + add.stderr).not.toContain(token);
  });

  it('refuses credentials that can collect nothing, naming what to grant', async () => {
    const add = await runCli(['integration', 'add', 'nothing', '--org-url', sim.url, ...nothing, '--allow-http'], { env });
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/these credentials cannot collect anything from .*grant okta\.users\.read, okta\.groups\.read, okta\.apps\.read, okta\.roles\.read, okta\.logs\.read/);
    const list = JSON.parse((await runCli(['integration', 'list', '--json'], { env })).stdout);
    expect(list.map((i: { name: string }) => i.name)).not.toContain('nothing');
  });

  it('--scopes is stored and honoured: only those scopes are requested', async () => {
    const bad = await runCli(['integration', 'add', 'scoped', '--org-url', sim.url, ...usersOnly, '--scopes', 'users.read', '--allow-http'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"users\.read" is not an Okta API scope/);
    const onToken = await runCli(['integration', 'add', 'scoped', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--scopes', 'okta.users.read', '--allow-http'], { env });
    expect(onToken.code).toBe(2);
    expect(onToken.stderr).toMatch(/--scopes applies to a service app/);

    const add = await runCli(['integration', 'add', 'scoped', '--org-url', sim.url, ...usersOnly, '--scopes', 'okta.users.read,okta.groups.read', '--allow-http', '--json'], { env });
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout).integration.scopes).toEqual(['okta.users.read', 'okta.groups.read']);
    const test = JSON.parse((await runCli(['integration', 'test', 'scoped', '--json'], { env })).stdout);
    expect(test.scopes).toEqual({ requested: ['okta.users.read', 'okta.groups.read'], granted: ['okta.users.read', 'okta.groups.read'], refused: [] });
    // okta.apps.read is granted to the app but not asked for: missing from the token, so apps are skipped.
    expect(test.resources.find((r: { resource: string }) => r.resource === 'apps')).toMatchObject({ status: 'missing_scope', scope: 'okta.apps.read' });
    expect(test.resources.find((r: { resource: string }) => r.resource === 'users')).toMatchObject({ status: 'ok' });
  });

  it('scan collects what it may, reports the rest skipped (partial, exit 0), and tombstones nothing it skipped', async () => {
    const full = await runCli(['scan', '--org-url', sim.url, '--name', 'mixed', '--token-env', 'OKTA_TOKEN', '--allow-http', '--json', '--rate-share', '1'], { env });
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ status: 'succeeded', skipped: [] });
    // The same org, now through the least-privilege app.
    const partial = await runCli(['scan', '--org-url', sim.url, '--name', 'mixed', ...least, '--allow-http', '--json', '--rate-share', '1'], { env });
    expect(partial.code).toBe(0);
    const summary = JSON.parse(partial.stdout);
    expect(summary).toMatchObject({ integration: 'mixed', status: 'partial', skipped: ['apps', 'app_assignments', 'roles', 'api_tokens', 'app_credentials'] });
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['runId', 'counts', 'requests', 'waited429', 'retries', 'durationMs', 'resources', 'findings']));
    expect(summary.resources.apps).toMatchObject({ state: 'skipped', reason: expect.stringMatching(/okta\.apps\.read/) });
    expect(summary.resources.users).toMatchObject({ state: 'done' });
    expect(summary.findings).not.toBeNull();
    const exported = await runCli(['graph', 'export', '--integration', 'mixed'], { env });
    expect(exported.stdout).toBe(toJsonl(sortExportLines(sim.truth())));

    const runs = JSON.parse((await runCli(['runs', 'mixed', '--json'], { env })).stdout);
    expect(runs[0]).toMatchObject({ id: summary.runId, status: 'partial' });
    // The full scan made admin posture final; the one that could not read roles did not.
    expect(runs[0]).toMatchObject({ adminPostureFinal: false, adminPostureFinalAt: null });
    expect(runs[1]).toMatchObject({ id: JSON.parse(full.stdout).runId, adminPostureFinal: true, adminPostureFinalAt: expect.stringMatching(/^\d{4}-/) });
    const status = JSON.parse((await runCli(['status', '--json'], { env })).stdout);
    expect(status.find((s: { integration: string }) => s.integration === 'mixed').run).toMatchObject({ id: summary.runId, adminPostureFinal: false });
    expect(runs[0].resources.find((r: { resource: string }) => r.resource === 'roles')).toMatchObject({ state: 'skipped', error: null, reason: expect.stringMatching(/okta\.roles\.read/) });
    const table = await runCli(['runs', 'mixed'], { env });
    expect(table.stdout).toMatch(/apps\s+skipped/);
    expect(table.stdout).toMatch(/admin posture: not final in this run/);

    const human = await runCli(['scan', 'mixed', '--rate-share', '1'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/: partial in/);
    expect(human.stdout).toMatch(/skipped apps: .*okta\.apps\.read/);
  }, 300_000);
});

describe('an interrupted scan resumes', () => {
  // Its own org, large enough that the factor sweep (one request per user, committed per listing
  // page of 200 users) spans several pages, as in any org where resuming matters.
  let org: OktaSim;
  let orgEnv: Record<string, string>;
  beforeAll(async () => {
    org = await startOktaSim({ seed: 31, users: 1000, rateLimitFactor: 20, tokenShare: 1 });
    orgEnv = { ...env, OKTA_TOKEN: org.apiToken };
  });
  afterAll(async () => {
    await org?.close();
  });

  /** Starts `idgraph scan NAME --json` and SIGKILLs it once the simulator has served `after` more requests. */
  async function killScanAfter(name: string, after: number): Promise<number> {
    const base = org.stats().requests;
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...orgEnv })) if (v !== undefined && k !== 'LOG_LEVEL') childEnv[k] = v;
    const child = spawn(process.execPath, [CLI, 'scan', name, '--json', '--rate-share', '1'], { env: childEnv, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    for (;;) {
      const served = org.stats().requests - base;
      if (served >= after) break;
      if (child.exitCode !== null) throw new Error(`the scan finished before ${after} requests (${served})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    return org.stats().requests - base;
  }

  it('scan NAME after a kill continues the run from its checkpoints; --restart starts afresh', async () => {
    const add = await runCli(['integration', 'add', 'resume', '--org-url', org.url, '--token-env', 'OKTA_TOKEN', '--allow-http'], { env: orgEnv });
    expect(add.code).toBe(0);
    const reference = JSON.parse((await runCli(['scan', 'resume', '--json', '--rate-share', '1'], { env: orgEnv })).stdout);
    expect(reference.status).toBe('succeeded');
    const fullRequests = reference.requests as number;

    org.setFaults({ latencyMs: 10 });
    let killedAt: number;
    try {
      killedAt = await killScanAfter('resume', Math.round(fullRequests * 0.75));
    } finally {
      org.setFaults({});
    }
    const interrupted = JSON.parse((await runCli(['runs', 'resume', '--json'], { env: orgEnv })).stdout)[0];
    expect(interrupted.status).toBe('running');

    const rerun = await runCli(['scan', 'resume', '--json', '--rate-share', '1'], { env: orgEnv });
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(/resuming the interrupted scan of resume/);
    const resumed = JSON.parse(rerun.stdout);
    expect(resumed).toMatchObject({ runId: interrupted.id, resumed: true, status: 'succeeded' });
    // The rerun does what was left, not the whole run again: only the factor sweep's uncommitted listing page (up to 200 users) and requests in flight are read twice.
    const figures = `full run ${fullRequests} requests, killed after ${killedAt}, resumed run ${resumed.requests}`;
    expect(resumed.requests, figures).toBeLessThan(fullRequests / 2);
    expect(resumed.requests + killedAt, figures).toBeLessThan(fullRequests * 1.3);
    const exported = await runCli(['graph', 'export', '--integration', 'resume'], { env: orgEnv });
    expect(exported.stdout).toBe(toJsonl(sortExportLines(org.truth())));

    // Killed again, then --restart: a new run from the first page; the interrupted one is closed.
    org.setFaults({ latencyMs: 10 });
    try {
      await killScanAfter('resume', Math.round(fullRequests / 3));
    } finally {
      org.setFaults({});
    }
    const abandoned = JSON.parse((await runCli(['runs', 'resume', '--json'], { env: orgEnv })).stdout)[0];
    const mismatch = await runCli(['scan', 'resume', '--json', '--resources', 'users'], { env: orgEnv });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/can be resumed: run the scan without --resources to resume it, or add --restart/);
    const restarted = JSON.parse((await runCli(['scan', 'resume', '--restart', '--json', '--rate-share', '1'], { env: orgEnv })).stdout);
    expect(restarted).toMatchObject({ resumed: false, status: 'succeeded' });
    expect(restarted.runId).not.toBe(abandoned.id);
    expect(restarted.requests).toBeGreaterThan(fullRequests * 0.9);
    const runs = JSON.parse((await runCli(['runs', 'resume', '--json'], { env: orgEnv })).stdout);
    expect(runs.find((r: { id: string }) => r.id === abandoned.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/--restart/) });
    expect((await runCli(['graph', 'export', '--integration', 'resume'], { env: orgEnv })).stdout).toBe(toJsonl(sortExportLines(org.truth())));
  }, 480_000);

  it('scan --org-url … --name EXISTING of another org is refused (exit 2) unless --force', { timeout: 120_000 }, async () => {
    const other = await startOktaSim({ seed: 29, users: 40, rateLimitFactor: 20, tokenShare: 1 });
    try {
      const otherEnv = { ...orgEnv, OTHER_TOKEN: other.apiToken };
      const refused = await runCli(['scan', '--org-url', other.url, '--name', 'resume', '--token-env', 'OTHER_TOKEN', '--allow-http', '--json'], { env: otherEnv });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`integration "resume" is for ${org.url}, not ${other.url}`);
      expect(refused.stderr).toContain('--force');
      const list = JSON.parse((await runCli(['integration', 'list', '--json'], { env: orgEnv })).stdout);
      expect(list.find((i: { name: string }) => i.name === 'resume').orgUrl).toBe(org.url);
      expect((await runCli(['graph', 'export', '--integration', 'resume'], { env: orgEnv })).stdout).toBe(toJsonl(sortExportLines(org.truth())));

      const forced = await runCli(['scan', '--org-url', other.url, '--name', 'resume', '--token-env', 'OTHER_TOKEN', '--allow-http', '--json', '--force', '--rate-share', '1'], { env: otherEnv });
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toMatchObject({ orgUrl: other.url, status: 'succeeded' });
      expect((await runCli(['graph', 'export', '--integration', 'resume'], { env: orgEnv })).stdout).toBe(toJsonl(sortExportLines(other.truth())));
    } finally {
      await other.close();
    }
  });
});
