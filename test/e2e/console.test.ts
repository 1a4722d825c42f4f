/**
 * The web console in a real browser (Debian's chromium driven by playwright-core), on the built
 * CLI as operators run it: `idgraph api-key create`, `idgraph serve` and `idgraph workers` as
 * separate processes on real PostgreSQL and Redis, against the Okta simulator. Sign in, add two
 * integrations (API token; service app with an uploaded PEM), Test Connectivity, Collect Now with
 * live progress, see the planted findings, open a person. Screenshots of each page go to
 * test-artifacts/console/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RESOURCE_SCOPES } from '@idgraph/okta';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { CLI, runCli } from '../cli/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

let sim: OktaSim;
let db: TestDatabase;
let env: Record<string, string>;
let browser: Browser | undefined;
let page: Page;
let dir: string;
const children: ChildProcess[] = [];
const logs: Record<string, string> = { serve: '', workers: '' };
let base: string;
let adminKey: string;

function spawnCli(name: 'serve' | 'workers', args: string[]): ChildProcess {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env, LOG_LEVEL: 'info' })) if (v !== undefined) childEnv[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (logs[name] += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (logs[name] += d));
  children.push(child);
  return child;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!existsSync(CHROMIUM))('web console in chromium', () => {
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'idgraph-console-'));
    sim = await startOktaSim({ seed: 23, users: 150, rateLimitFactor: 20, tokenShare: 1 });
    db = await createTestDatabase('console_e2e');
    env = {
      DATABASE_URL: db.url,
      IDGRAPH_QUEUE_PREFIX: `idgtest-${randomBytes(4).toString('hex')}`,
      IDGRAPH_SECRET_KEY: randomBytes(32).toString('base64url'),
      IDGRAPH_DATA_DIR: dir,
    };
    const created = await runCli(['api-key', 'create', 'ops', '--role', 'admin'], { env });
    expect(created.code, created.stderr).toBe(0);
    // The key alone on standard output, once.
    expect(created.stdout).toMatch(/^idgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$/);
    adminKey = created.stdout.trim();
    const list = await runCli(['api-key', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual([{ name: 'ops', role: 'admin', createdAt: expect.any(String) }]);
    expect(list.stdout + list.stderr).not.toContain(adminKey.slice(18));

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    spawnCli('serve', ['serve', '--port', String(port)]);
    spawnCli('workers', ['workers', '--port', String(port + 1), '--rate-share', '1', '--concurrency', '1']);
    base = `http://127.0.0.1:${port}`;
    await waitFor('serve /healthz', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
    await waitFor('workers /readyz', async () => ((await fetch(`http://127.0.0.1:${port + 1}/readyz`)).ok ? true : undefined));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await sim?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('signs in, adds integrations, tests connectivity, collects with live progress, shows findings and a person', async () => {
    // Sign in with the keyboard: the key field has focus; Enter submits.
    await page.goto(base);
    await page.locator('#api-key').waitFor();
    expect(await page.evaluate('document.activeElement?.id')).toBe('api-key');
    await page.keyboard.type(adminKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'idgraph_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(JSON.stringify(cookies)).not.toContain(adminKey);
    await shot('01-signed-in');

    // Add with an API token.
    await page.locator('#name').fill('acme');
    await page.locator('#org-url').fill(sim.url);
    await page.locator('#allow-http').check();
    await page.locator('#allow-actions').check();
    await page.locator('#token').fill(sim.apiToken);
    await page.getByRole('button', { name: 'Test and add' }).click();
    const tile = page.locator('article.tile', { has: page.getByRole('heading', { name: 'acme', exact: true }) });
    await tile.waitFor();
    await expect(tile.textContent()).resolves.toContain('all resources readable');

    // Add a service app, its private key uploaded as a PEM file.
    const app = await sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.roles.read', 'okta.logs.read'], roles: ['READ_ONLY_ADMIN'] });
    const pemPath = join(dir, 'service-app.pem');
    await writeFile(pemPath, app.privateKeyPem, { mode: 0o600 });
    await page.locator('#name').fill('acme-app');
    await page.locator('#org-url').fill(sim.url);
    await page.locator('#allow-http').check();
    await page.getByLabel('OAuth 2.0 service app').check();
    await page.locator('#client-id').fill(app.clientId);
    await page.locator('#kid').fill(app.keyId);
    await page.locator('#pem-file').setInputFiles(pemPath);
    await waitFor('PEM read into the form', async () => ((await page.locator('#pem').inputValue()).includes('PRIVATE KEY') ? true : undefined), 10_000);
    await page.getByRole('button', { name: 'Test and add' }).click();
    const appTile = page.locator('article.tile', { has: page.getByRole('heading', { name: 'acme-app', exact: true }) });
    await appTile.waitFor();
    await expect(appTile.textContent()).resolves.toContain('Service app');

    // Test Connectivity, pressed from the keyboard: per resource results.
    await tile.getByRole('button', { name: 'Test Connectivity' }).focus();
    await page.keyboard.press('Enter');
    const rows = tile.locator('.results tbody tr');
    const resourceCount = Object.keys(RESOURCE_SCOPES).length;
    await waitFor(`${resourceCount} connectivity rows`, async () => ((await rows.count()) === resourceCount ? true : undefined), 30_000);
    expect(await tile.locator('.results').textContent()).not.toContain('missing scope');
    await shot('02-integrations-tested');

    // Collect Now: live per-resource progress over Server-Sent Events until the run ends.
    await tile.getByRole('button', { name: 'Collect Now' }).click();
    await tile.locator('.run').waitFor({ timeout: 30_000 });
    await shot('03-collecting');
    await tile.locator('.run[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const progress = await tile.locator('.run').textContent();
    expect(progress).toContain('Collection succeeded');
    expect(progress).toContain(String(sim.org.users.size));
    await shot('04-collected');

    // Findings: the workers run the posture checks shortly after the run.
    const planted = sim.planted!;
    await waitFor(
      'planted findings',
      async () => {
        await page.goto(`${base}/#/findings`);
        await page.reload();
        // The workers run the admin checks as soon as admin posture is final and every check when the
        // run ends, storing findings check by check: wait for a late non-admin one.
        const row = page.locator('details.check-row[data-check="user.locked_out"]');
        try {
          await row.waitFor({ timeout: 5000 });
        } catch (err) {
          await shot('debug-findings');
          throw err;
        }
        return true;
      },
      60_000,
    );
    const check = page.locator('details.check-row[data-check="admin.no_phishing_resistant_mfa"]');
    await check.locator('summary').focus();
    await page.keyboard.press('Enter');
    const admin = sim.org.users.get(planted.smsOnlySuperAdmin)!;
    const personLink = check.getByRole('link', { name: admin.profile.login });
    await personLink.waitFor();
    expect(await check.textContent()).toContain('How to fix it');
    expect(await page.locator('details.check-row[data-check="user.locked_out"]').count()).toBe(1);
    await shot('05-findings');

    // A person: everything the person route returns.
    await personLink.click();
    await page.getByRole('heading', { level: 1, name: new RegExp(`${admin.profile.firstName} ${admin.profile.lastName}`) }).waitFor();
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain(admin.profile.login);
    expect(text).toContain('SUPER_ADMIN');
    expect(text).toContain('sms');
    expect(text).toContain('Admins without an ACTIVE phishing-resistant factor');
    expect(text).toContain('Effective privilege');
    expect(text).toContain('Path to Tier Zero');
    await shot('06-person');

    // Search people from the People page.
    await page.getByRole('link', { name: 'People' }).click();
    await page.locator('#people-q').fill(admin.profile.lastName);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: `${admin.profile.firstName} ${admin.profile.lastName}` }).first().waitFor();

    // A finding's fix: dry run first (the exact Okta request), applied only after confirming.
    const locked = [...sim.org.users.values()].find((u) => u.status === 'LOCKED_OUT')!;
    await page.goto(`${base}/#/findings?check=user.locked_out`);
    const lockedCheck = page.locator('details.check-row[data-check="user.locked_out"]');
    const lockedRow = lockedCheck.locator('tbody tr', { hasText: locked.profile.login });
    await lockedRow.getByRole('button', { name: 'Fix…' }).click();
    const fixCell = lockedCheck.locator('tr.fix-row:not([hidden])');
    await fixCell.getByText(`POST /api/v1/users/${locked.id}/lifecycle/deactivate`).waitFor({ timeout: 30_000 });
    expect(await fixCell.textContent()).toContain('dry-run');
    expect(sim.org.users.get(locked.id)!.status).toBe('LOCKED_OUT');
    await shot('07-fix-dry-run');
    page.once('dialog', (d) => void d.accept());
    await fixCell.getByRole('button', { name: /Apply this action in Okta/ }).click();
    await fixCell.locator('.action-outcome .ok', { hasText: /^applied$/ }).waitFor({ timeout: 30_000 });
    expect(sim.org.users.get(locked.id)!.status).toBe('DEPROVISIONED');
    const audit = (await (await fetch(`${base}/api/v1/audit?integration=acme`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { items: { action: string; outcome: string }[] };
    expect(audit.items.map((a: { action: string; outcome: string }) => `${a.action}:${a.outcome}`)).toEqual(['deactivate:applied', 'deactivate:dry-run']);

    // Nothing the console or the services printed carries a secret.
    for (const secret of [adminKey, sim.apiToken, app.privateKeyPem.split('\n')[3]!]) {
      expect(logs.serve).not.toContain(secret);
      expect(logs.workers).not.toContain(secret);
    }

    // Signing out drops the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#api-key').waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'idgraph_session')).toBe(false);

    // `idgraph api-key revoke`: the key stops working at once.
    expect((await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(200);
    const revoked = await runCli(['api-key', 'revoke', 'ops'], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(401);
    expect((await runCli(['api-key', 'revoke', 'ops'], { env })).code).toBe(1);
    expect((await runCli(['api-key', 'create', 'x', '--role', 'owner'], { env })).code).toBe(2);
  }, 300_000);
});
