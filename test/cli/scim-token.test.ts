/**
 * `idgraph integration scim-token NAME [--revoke]` as users run it (the built CLI): the token alone
 * on stdout, once; only its hash stored; rotation invalidates the old token; --revoke removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore, migrateDatabase, openDatabase, type GraphDb } from '@idgraph/graph';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let db: TestDatabase;
let gdb: GraphDb;
let store: GraphStore;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'idgraph-scim-token-'));
  db = await createTestDatabase('cli_scim_token');
  env = { DATABASE_URL: db.url, OKTA_TOKEN: 'not-a-real-token', IDGRAPH_DATA_DIR: join(dir, 'data') };
  const add = await runCli(['integration', 'add', 'acme', '--org-url', 'https://acme.okta.com', '--token-env', 'OKTA_TOKEN', '--skip-test'], { env });
  expect(add.code, add.stderr).toBe(0);
  gdb = await openDatabase({ databaseUrl: db.url });
  await migrateDatabase(gdb);
  store = new GraphStore(gdb, { tenant: 'default' });
});

afterAll(async () => {
  await gdb?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN_LINE = /^idgs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$/;

describe('idgraph integration scim-token', () => {
  it('prints the token alone on stdout, stores only its hash, and rotating invalidates the old one', async () => {
    const first = await runCli(['integration', 'scim-token', 'acme'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(TOKEN_LINE);
    expect(first.stderr).toMatch(/created the SCIM token of "acme".*\/scim\/v2\/acme\//);
    const token = first.stdout.trim();
    const acme = (await store.getIntegration('acme'))!;
    expect(await store.scim.verifyToken(acme.id, token)).toBe(true);
    const rows = await gdb.execute<Record<string, unknown>>((await import('drizzle-orm')).sql`SELECT * FROM scim_tokens`);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.split('_')[2]);

    const second = await runCli(['integration', 'scim-token', 'acme'], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(TOKEN_LINE);
    expect(second.stderr).toMatch(/rotated .*previous one no longer works/);
    expect(second.stdout.trim()).not.toBe(token);
    expect(await store.scim.verifyToken(acme.id, token)).toBe(false);
    expect(await store.scim.verifyToken(acme.id, second.stdout.trim())).toBe(true);
    // The token never shows up again: not in list, not in --json.
    const list = await runCli(['integration', 'list', '--json'], { env });
    expect(list.stdout).not.toContain(second.stdout.trim());
  });

  it('--revoke removes it (exit 1 when there is none); unknown integrations exit 1', async () => {
    const acme = (await store.getIntegration('acme'))!;
    const revoke = await runCli(['integration', 'scim-token', 'acme', '--revoke'], { env });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/revoked the SCIM token of "acme"/);
    expect(await store.scim.tokenCreatedAt(acme.id)).toBeUndefined();
    const again = await runCli(['integration', 'scim-token', 'acme', '--revoke'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/has no SCIM token/);
    const unknown = await runCli(['integration', 'scim-token', 'nope'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no integration named "nope"/);
    expect(unknown.stdout).toBe('');
  });
});
