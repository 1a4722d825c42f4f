import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import { createTestDatabase, shuffled, type TestDatabase } from '@idgraph/test-support';
import { migrateDatabase, openDatabase, type GraphDb } from './db.js';
import { executorOf } from './executor.js';
import { exportLine, sortExportLines } from './export-format.js';
import { exportIntegration } from './export-graph.js';
import type { ExportLine, GraphMutation } from './model.js';
import { CompactEncrypt } from 'jose';
import { createSecretBox } from './secrets.js';
import { GraphStore } from './store.js';
import { writeEventCopyTuple } from './event-ingest.js';
import { COPY_EVENT_COLUMNS } from './event-copy.js';
import { CopyTupleWriter, copyTupleEnd } from './copy-binary.js';
import * as f from './testdata/fixtures.js';

interface Backend {
  gdb: GraphDb;
  close(): Promise<void>;
}

const backends: [string, () => Promise<Backend>][] = [
  [
    'postgres',
    async () => {
      const tdb: TestDatabase = await createTestDatabase('graph_store');
      const gdb = await openDatabase({ databaseUrl: tdb.url });
      await migrateDatabase(gdb);
      return { gdb, close: async () => { await gdb.close(); await tdb.drop(); } };
    },
  ],
  [
    'pglite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'idgraph-store-'));
      const gdb = await openDatabase({ dataDir: dir });
      await migrateDatabase(gdb);
      return { gdb, close: async () => { await gdb.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
];

const TOKEN = 'SSWS-00abcdefTOPSECRETtoken1234567890';
const key = randomBytes(32).toString('base64url');

async function collect(it: AsyncIterable<ExportLine>): Promise<ExportLine[]> {
  const out: ExportLine[] = [];
  for await (const line of it) out.push(line);
  return out;
}

describe.each(backends)('GraphStore on %s', (_name, open) => {
  let backend: Backend;
  let store: GraphStore;
  let counter = 0;
  const logLines: string[] = [];
  const logSink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });

  beforeAll(async () => {
    backend = await open();
    store = new GraphStore(backend.gdb, {
      tenant: 'acme',
      secretBox: createSecretBox(key),
      logger: createLogger({ level: 'trace' }, logSink),
    });
    await store.ensureTenant();
  });
  afterAll(async () => {
    await backend?.close();
  });

  /** Every test gets its own integration, so tests sharing a database never see each other's rows. */
  async function newIntegration(s = store) {
    counter++;
    return s.createIntegration({
      name: `org-${counter}`,
      orgUrl: `https://org${counter}.okta.com`,
      authMethod: 'ssws',
      secrets: { token: TOKEN },
      allowHttp: false,
    });
  }

  async function usersOf(integrationId: string) {
    return backend.gdb.execute<{ okta_id: string; status: string; login: string; deleted: boolean; sua: string; last_run_id: string | null }>(sql`
      SELECT okta_id, status, login, deleted_at IS NOT NULL AS deleted, to_char(source_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS sua, last_run_id::text AS last_run_id
      FROM users WHERE tenant_id = 'acme' AND integration_id = ${integrationId}::uuid ORDER BY okta_id`);
  }

  it('upserting the same page twice leaves the same state', async () => {
    const integ = await newIntegration();
    const page = {
      integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00u1'), f.user('00u2', { status: 'SUSPENDED' })], memberships: [f.membership('00u1', '00g1')] },
    };
    const first = await store.commitPage(page);
    const snapshot = await usersOf(integ.id);
    const counts = await store.counts(integ.id);
    const second = await store.commitPage(page);
    expect(first.objects).toBe(3);
    expect(second.objects).toBe(3);
    expect(await usersOf(integ.id)).toEqual(snapshot);
    expect(await store.counts(integ.id)).toEqual(counts);
    expect(counts).toMatchObject({ users: 2, memberships: 1, groups: 0 });
  });

  it('never lets an older row overwrite a newer one, but still counts it as seen', async () => {
    const integ = await newIntegration();
    const run = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00u1', { status: 'SUSPENDED', sourceUpdatedAt: f.at(10) })] } });
    await store.commitPage({ integrationId: integ.id, runId: run.id, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00u1', { status: 'ACTIVE', login: 'old@example.com', sourceUpdatedAt: f.at(5) })] } });
    const [row] = await usersOf(integ.id);
    expect(row).toMatchObject({ status: 'SUSPENDED', login: '00u1@example.com', sua: '2026-01-01T00:10:00', last_run_id: run.id });
    // A newer row does replace it.
    await store.commitPage({ integrationId: integ.id, runId: run.id, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00u1', { status: 'DEPROVISIONED', sourceUpdatedAt: f.at(11) })] } });
    expect((await usersOf(integ.id))[0]).toMatchObject({ status: 'DEPROVISIONED', sua: '2026-01-01T00:11:00' });
  });

  it('tombstones only after a complete run, keeps event-updated rows, and revives returning objects', async () => {
    const integ = await newIntegration();
    const page = (runId: string, ids: string[]) => store.commitPage({ integrationId: integ.id, runId, resource: 'users',
      nextUrl: null, done: true, rows: { users: ids.map((id) => f.user(id)) } });
    const run1 = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await page(run1.id, ['00u1', '00u2', '00u3']);
    await store.finishRun(run1.id, 'succeeded');

    // A failed run that saw only 00u1 must tombstone nothing.
    const failed = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await page(failed.id, ['00u1']);
    await store.finishRun(failed.id, 'failed', 'HTTP 500 from Okta');
    await expect(store.finishFullSync(failed.id, 'users')).rejects.toThrow(/run .* is failed/);
    const partial = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await store.finishRun(partial.id, 'partial');
    await expect(store.finishFullSync(partial.id, 'users')).rejects.toThrow(/partial/);
    expect((await usersOf(integ.id)).filter((u) => u.deleted)).toEqual([]);

    // A complete run that saw 00u1 only: 00u3 was updated by an event during the run, so it stays.
    const run2 = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await page(run2.id, ['00u1']);
    await store.ingestEvents([{ integrationId: integ.id, via: 'stream', row: f.logEvent('ev-u3', new Date()),
      mutations: [{ kind: 'user.status', at: new Date(Date.now() + 1000), userId: '00u3', status: 'SUSPENDED' }] }]);
    expect(await store.finishFullSync(run2.id, 'users')).toBe(1);
    await store.finishRun(run2.id, 'succeeded');
    expect((await usersOf(integ.id)).map((u) => [u.okta_id, u.deleted])).toEqual([['00u1', false], ['00u2', true], ['00u3', false]]);

    // 00u2 shows up again: it comes back to life.
    const run3 = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    await page(run3.id, ['00u2']);
    expect((await usersOf(integ.id)).find((u) => u.okta_id === '00u2')?.deleted).toBe(false);
  });

  it('does not tombstone what a concurrent refresh saw while the full run was going', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'factors', nextUrl: null, done: true,
      rows: { factors: [f.factor('mfa1', '00u1'), f.factor('mfa2', '00u2')] } });
    const full = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'schedule', resources: ['factors'] });
    const refresh = await store.startRun({ integrationId: integ.id, mode: 'refresh', trigger: 'stream', resources: ['refresh'] });
    // The refresh re-lists 00u1's factors after the full run started; the full run's pages saw 00u2's only.
    await store.commitPage({ integrationId: integ.id, runId: refresh.id, resource: 'factors', scopeKey: 'refresh', nextUrl: null,
      done: true, rows: { factors: [f.factor('mfa1', '00u1')] } });
    await store.commitPage({ integrationId: integ.id, runId: full.id, resource: 'factors', nextUrl: null, done: true,
      rows: { factors: [f.factor('mfa2', '00u2')] } });
    expect(await store.finishFullSync(full.id, 'factors')).toBe(0);
    expect(await store.counts(integ.id)).toMatchObject({ factors: 2 });
  });

  it('scopes a tombstone pass to one group\'s members and rejects scopes a resource does not have', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
      rows: { memberships: [f.membership('00u1', '00gA'), f.membership('00u2', '00gA'), f.membership('00u1', '00gB')] } });
    const run = await store.startRun({ integrationId: integ.id, mode: 'refresh', trigger: 'stream', resources: ['group_members'] });
    await store.commitPage({ integrationId: integ.id, runId: run.id, resource: 'group_members', scopeKey: '00gA', nextUrl: null,
      done: true, rows: { memberships: [f.membership('00u1', '00gA')] } });
    expect(await store.finishFullSync(run.id, 'group_members', { groupId: '00gA' })).toBe(1);
    expect(await store.counts(integ.id)).toMatchObject({ memberships: 2 });
    await expect(store.finishFullSync(run.id, 'users', { groupId: '00gA' })).rejects.toThrow(/cannot be scoped by groupId/);
  });

  it('commits the cursor with the page and clears it', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: 'https://x/api/v1/users?after=00u2',
      done: false, rows: { users: [f.user('00u1')] } });
    expect(await store.getCheckpoint(integ.id, 'users')).toMatchObject({ nextUrl: 'https://x/api/v1/users?after=00u2', done: false });
    // A page that fails to write leaves the cursor (and rows) where they were.
    await expect(store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: 'https://x/next2', done: false,
      rows: { users: [f.user('00u9'), f.user('', {})] } })).rejects.toThrow(/okta_id must be a non-empty string/);
    expect((await store.getCheckpoint(integ.id, 'users'))?.nextUrl).toBe('https://x/api/v1/users?after=00u2');
    await expect(store.commitPage({ integrationId: integ.id, runId: null, resource: 'groups', nextUrl: null, done: true,
      rows: { groups: [f.group('00g1', { name: null as unknown as string })] } })).rejects.toThrow('groups row 0 (00g1): name is required');
    await expect(store.ingestEvents([{ integrationId: integ.id, via: 'stream', row: f.logEvent('bad-1', f.at(1)),
      mutations: [{ kind: 'membership.add', at: f.at(1), userId: '', groupId: '00g1' }] }])).rejects.toThrow(/needs a non-empty userId/);
    expect(await store.clearCheckpoints(integ.id, 'users')).toBe(1);
    expect(await store.getCheckpoint(integ.id, 'users')).toBeUndefined();
  });

  it('keeps a resource\'s watermark as a time of its own, apart from its cursors', async () => {
    const integ = await newIntegration();
    const run = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users'] });
    expect(await store.watermark(integ.id, 'users')).toBeNull();
    await store.setWatermark(integ.id, 'users', run.id, new Date('2026-01-02T03:04:05.678Z'));
    await store.commitPage({ integrationId: integ.id, runId: run.id, resource: 'users', nextUrl: 'https://x/api/v1/users?after=00u2', done: false, rows: {} });
    expect(await store.watermark(integ.id, 'users')).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(await store.getCheckpoint(integ.id, 'users', 'watermark')).toMatchObject({ nextUrl: null, runId: run.id });
    expect(await store.watermark(integ.id, 'groups')).toBeNull();
    await expect(store.setWatermark(integ.id, 'users', run.id, new Date(NaN))).rejects.toThrow(/at must be a valid Date/);
  });

  it('drops the checkpoints of an integration moved to another org, and keeps them otherwise', async () => {
    const integ = await newIntegration();
    const page = { integrationId: integ.id, runId: null, resource: 'users', nextUrl: `${integ.orgUrl}/api/v1/users?after=00u2`, done: false, rows: {} };
    await store.commitPage(page);
    await store.updateIntegration(integ.id, { allowHttp: !integ.allowHttp });
    expect((await store.getCheckpoint(integ.id, 'users'))?.nextUrl).toBe(page.nextUrl);
    await store.updateIntegration(integ.id, { orgUrl: 'https://moved.example.com' });
    expect(await store.getCheckpoint(integ.id, 'users')).toBeUndefined();
  });

  it('keeps two tenants apart', async () => {
    const other = new GraphStore(backend.gdb, { tenant: 'globex', secretBox: createSecretBox(key) });
    await other.ensureTenant();
    const mine = await newIntegration();
    const theirs = await other.createIntegration({ name: mine.name, orgUrl: 'https://globex.okta.com', authMethod: 'ssws',
      secrets: { token: 'other-token' }, allowHttp: false });
    await store.commitPage({ integrationId: mine.id, runId: null, resource: 'users', nextUrl: null, done: true, rows: { users: [f.user('00u1')] } });
    await other.commitPage({ integrationId: theirs.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00uX'), f.user('00uY')] } });
    expect((await other.getIntegration(mine.name))?.id).toBe(theirs.id);
    expect(await other.getIntegration(mine.id)).toBeUndefined();
    expect((await other.listIntegrations()).map((i) => i.name)).toEqual([mine.name]);
    expect((await collect(other.exportGraph())).map((l) => l.id)).toEqual(['00uX', '00uY']);
    expect(await other.counts(mine.id)).toMatchObject({ users: 0 });
    const source = `aws.partner/okta.com/acme${counter}/s`;
    await store.updateIntegration(mine.id, { eventSource: source });
    expect((await store.integrationByEventSource(source))?.id).toBe(mine.id);
    expect(await other.integrationByEventSource(source)).toBeUndefined();
    await expect(other.updateIntegration(theirs.id, { eventSource: source })).rejects.toThrow(/already used by an integration of another tenant/);
    await expect(other.ingestEvents([{ integrationId: mine.id, via: 'stream', row: f.logEvent('x-tenant', f.at(1)), mutations: [] }]))
      .rejects.toThrow(/in tenant "globex"/);
    await expect(other.integrationSecrets(mine)).rejects.toThrow(/no integration/);
  });

  it('keeps secrets unreadable in the database and out of logs', async () => {
    const integ = await newIntegration();
    const [row] = await backend.gdb.execute<{ secrets_enc: string }>(sql`SELECT secrets_enc FROM integrations WHERE id = ${integ.id}::uuid`);
    expect(row?.secrets_enc.split('.')).toHaveLength(5);
    expect(row?.secrets_enc).not.toContain(TOKEN);
    expect(Buffer.from(row!.secrets_enc.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('TOPSECRET');
    expect(JSON.stringify(integ)).not.toContain(TOKEN);
    expect(await store.integrationSecrets(integ)).toEqual({ token: TOKEN });
    await store.removeIntegration(integ.name);
    expect(logLines.join('')).toContain('integration removed');
    expect(logLines.join('')).not.toContain(TOKEN);
    // With another key the secrets cannot be opened, and nothing new is sealed with it either: the
    // error names the fingerprint the stored secrets expect, without the plaintext.
    const wrongBox = createSecretBox(randomBytes(32).toString('base64url'));
    const wrongKey = new GraphStore(backend.gdb, { tenant: 'acme', secretBox: wrongBox });
    const again = await newIntegration();
    const expected = createSecretBox(key).fingerprint;
    const refusal = `the configured secret key has fingerprint ${wrongBox.fingerprint}, but the`;
    await expect(wrongKey.integrationSecrets(again)).rejects.toThrow(refusal);
    await expect(wrongKey.integrationSecrets(again)).rejects.toThrow(`were sealed with the key of fingerprint ${expected}`);
    await expect(wrongKey.createIntegration({ name: 'sealed-with-wrong-key', orgUrl: 'https://x.okta.com', authMethod: 'ssws', secrets: { token: 't' }, allowHttp: false }))
      .rejects.toThrow(refusal);
    expect(await wrongKey.getIntegration('sealed-with-wrong-key')).toBeUndefined();
  });

  it('binds stored secrets to their integration: a row changed outside the store is refused, a change through it reseals', async () => {
    const integ = await newIntegration();
    await backend.gdb.execute(sql`UPDATE integrations SET org_url = 'https://attacker.example' WHERE id = ${integ.id}::uuid`);
    const err = await store.integrationSecrets(integ).then(() => null, (e: Error) => e);
    expect(err?.message).toContain(`refusing to use the stored secrets of integration ${integ.id}`);
    expect(err?.message).toContain(`org URL was "${integ.orgUrl}" when the secrets were stored, the row now says "https://attacker.example"`);
    expect(err?.message).not.toContain(TOKEN);
    await backend.gdb.execute(sql`UPDATE integrations SET org_url = ${integ.orgUrl}, client_id = '0oaEVIL' WHERE id = ${integ.id}::uuid`);
    await expect(store.integrationSecrets(integ)).rejects.toThrow(/client id was empty when the secrets were stored, the row now says "0oaEVIL"/);
    await backend.gdb.execute(sql`UPDATE integrations SET client_id = NULL WHERE id = ${integ.id}::uuid`);
    expect(await store.integrationSecrets(integ)).toEqual({ token: TOKEN });
    // Secrets of one integration copied onto another row do not open there either.
    const other = await newIntegration();
    await backend.gdb.execute(sql`UPDATE integrations SET secrets_enc = (SELECT secrets_enc FROM integrations WHERE id = ${integ.id}::uuid) WHERE id = ${other.id}::uuid`);
    await expect(store.integrationSecrets(other)).rejects.toThrow(/integration id was/);
    // Giving the credentials again stores them bound to the row as it is now.
    await store.updateIntegration(other.id, { secrets: { token: 'replacement-token' } });
    expect(await store.integrationSecrets(other)).toEqual({ token: 'replacement-token' });
    // Moving the org through the store seals the secrets again, bound to the new URL.
    await store.updateIntegration(integ.id, { orgUrl: 'https://moved-bound.example.com' });
    expect(await store.integrationSecrets(integ)).toEqual({ token: TOKEN });
  });

  it('binds secrets sealed before binding existed on their first use, and checks them from then on', async () => {
    const integ = await newIntegration();
    const legacy = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ token: TOKEN })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(Buffer.from(key, 'base64url')));
    await backend.gdb.execute(sql`UPDATE integrations SET secrets_enc = ${legacy} WHERE id = ${integ.id}::uuid`);
    expect(await store.integrationSecrets(integ)).toEqual({ token: TOKEN });
    const [row] = await backend.gdb.execute<{ secrets_enc: string }>(sql`SELECT secrets_enc FROM integrations WHERE id = ${integ.id}::uuid`);
    expect(row!.secrets_enc).not.toBe(legacy);
    const header = JSON.parse(Buffer.from(row!.secrets_enc.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ kid: createSecretBox(key).fingerprint, bind: { tenant: 'acme', integration: integ.id, orgUrl: integ.orgUrl, authMethod: 'ssws', clientId: null } });
    await backend.gdb.execute(sql`UPDATE integrations SET org_url = 'https://attacker.example' WHERE id = ${integ.id}::uuid`);
    await expect(store.integrationSecrets(integ)).rejects.toThrow(/refusing to use the stored secrets/);
    await backend.gdb.execute(sql`UPDATE integrations SET org_url = ${integ.orgUrl} WHERE id = ${integ.id}::uuid`);
  });

  it('validates integrations and refuses duplicates with a clear message', async () => {
    const integ = await newIntegration();
    await expect(store.createIntegration({ name: integ.name, orgUrl: 'https://a.okta.com', authMethod: 'ssws', secrets: { token: 't' },
      allowHttp: false })).rejects.toThrow(`an integration named "${integ.name}" exists already`);
    await expect(store.createIntegration({ name: 'plain-http', orgUrl: 'http://127.0.0.1:1', authMethod: 'ssws', secrets: { token: 't' },
      allowHttp: false })).rejects.toThrow(/https/);
    await expect(store.createIntegration({ name: 'oauth-no-key', orgUrl: 'https://a.okta.com', authMethod: 'oauth', clientId: '0oa1',
      secrets: { privateKeyPem: 'pem' }, allowHttp: false })).rejects.toThrow(/keyId/);
    const src = `aws.partner/okta.com/org${counter}/stream`;
    const updated = await store.updateIntegration(integ.name, { eventSource: src, schedule: { fullIntervalMinutes: 1440,
      incrementalIntervalMinutes: 15, factorsIntervalMinutes: 360, logBackfillDays: 7 } });
    expect(updated.eventSource).toBe(src);
    expect((await store.integrationByEventSource(src))?.id).toBe(integ.id);
    expect(await store.integrationSecrets(integ)).toEqual({ token: TOKEN });
    const other = await newIntegration();
    await expect(store.updateIntegration(other.name, { eventSource: src })).rejects.toThrow(/already used by integration/);
    // Two processes adding the same name at once: one wins, the other gets the same clear message.
    const race = await Promise.allSettled(['x', 'y'].map((tok) => store.createIntegration({ name: `race-${counter}`,
      orgUrl: 'https://race.okta.com', authMethod: 'ssws', secrets: { token: tok }, allowHttp: false })));
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(race.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toMatchObject({
      message: expect.stringMatching(/an integration named "race-\d+".* exists already/) });
    // Writes for an integration id this tenant does not have are refused, not stored as orphans.
    await expect(store.commitPage({ integrationId: '00000000-0000-4000-8000-000000000000', runId: null, resource: 'users',
      nextUrl: null, done: true, rows: { users: [f.user('00u1')] } })).rejects.toThrow(/no integration with id .* in tenant "acme"/);
    const scoped = await store.createIntegration({ name: `scoped-${counter}`, orgUrl: 'https://a.okta.com', authMethod: 'oauth', clientId: '0oa1', keyId: 'k1',
      secrets: { privateKeyPem: 'pem' }, allowHttp: false, scopes: ['okta.users.read', 'okta.logs.read'] });
    expect((await store.getIntegration(scoped.id))?.scopes).toEqual(['okta.users.read', 'okta.logs.read']);
    expect(integ.scopes).toBeNull();
    await expect(store.updateIntegration(scoped.id, { scopes: ['users.read'] })).rejects.toThrow(/"users.read" .* not Okta API scopes/);
    await expect(store.updateIntegration(integ.id, { scopes: ['okta.users.read'] })).rejects.toThrow(/OAuth service apps only/);
    await store.recordConnectivity(integ.id, { ok: true });
    expect((await store.getIntegration(integ.id))?.lastConnectivity).toEqual({ ok: true });
  });

  it('ingests events once and converges whatever the delivery order', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00u1')], groups: [f.group('00g1')] } });
    const batch = [
      { integrationId: integ.id, via: 'stream' as const, row: f.logEvent('e2', f.at(20), { eventType: 'group.user_membership.remove' }),
        mutations: [{ kind: 'membership.remove' as const, at: f.at(20), userId: '00u1', groupId: '00g1' }] },
      { integrationId: integ.id, via: 'stream' as const, row: f.logEvent('e1', f.at(10)),
        mutations: [{ kind: 'membership.add' as const, at: f.at(10), userId: '00u1', groupId: '00g1' }] },
      { integrationId: integ.id, via: 'stream' as const, row: f.logEvent('e3', f.at(30), { eventType: 'user.lifecycle.suspend' }),
        mutations: [{ kind: 'user.status' as const, at: f.at(30), userId: '00u1', status: 'SUSPENDED' }] },
      { integrationId: integ.id, via: 'stream' as const, row: f.logEvent('e4', f.at(31), { eventType: 'user.lifecycle.create' }),
        mutations: [{ kind: 'user.upsert' as const, at: f.at(31), user: { oktaId: '00u7', login: 'new@example.com', status: 'STAGED' } }] },
    ];
    const first = await store.ingestEvents(batch);
    expect(first).toMatchObject({ stored: 4, duplicates: 0, applied: 4 });
    expect(first.storedUuids.sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    const second = await store.ingestEvents(batch);
    expect(second).toEqual({ stored: 0, duplicates: 4, conflicts: 0, conflictUuids: [], applied: 0, storedUuids: [], deferred: [] });
    // The add (older) arriving after the remove (newer) in one batch still leaves the edge removed.
    expect(await store.counts(integ.id)).toMatchObject({ memberships: 0, users: 2, logEvents: 4 });
    const users = await usersOf(integ.id);
    expect(users.map((u) => [u.okta_id, u.status, u.login])).toEqual([['00u1', 'SUSPENDED', '00u1@example.com'], ['00u7', 'STAGED', 'new@example.com']]);
    // The same event arriving by polling later is a duplicate too.
    const polled = await store.commitPage({ integrationId: integ.id, runId: null, resource: 'system_log', nextUrl: 'https://x/logs?after=e3',
      done: false, rows: { logEvents: [batch[0]!.row] } });
    expect(polled.events).toMatchObject({ stored: 0, duplicates: 1 });
    // An old page listing the removed membership cannot bring it back; a newer listing can.
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
      rows: { memberships: [f.membership('00u1', '00g1', { sourceUpdatedAt: f.at(15) })] } });
    expect(await store.counts(integ.id)).toMatchObject({ memberships: 0 });
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
      rows: { memberships: [f.membership('00u1', '00g1', { sourceUpdatedAt: f.at(25) })] } });
    expect(await store.counts(integ.id)).toMatchObject({ memberships: 1 });
    await expect(store.ingestEvents([{ ...batch[0]!, row: { ...batch[0]!.row, uuid: 'e9' }, via: 'carrier-pigeon' as 'poll' }]))
      .rejects.toThrow(/via must be one of poll, stream, file/);
  });

  it('stores a batch whose events are partly stored already, once each, with raw kept exactly', async () => {
    const integ = await newIntegration();
    const item = (uuid: string, raw: unknown = { uuid }) =>
      ({ integrationId: integ.id, via: 'file' as const, row: f.logEvent(uuid, f.at(1), { raw, actorId: 'a\tb\\c\nd', subjectIds: ['a\tb\\c\nd', '00u"q",{x}'] }), mutations: [] });
    expect(await store.ingestEvents([item('p1'), item('p2')])).toMatchObject({ stored: 2 });
    // COPY text escapes: backslashes, tabs, line breaks and unicode in raw and in plain columns.
    const tricky = { uuid: 'p4', message: 'C:\\path\ttab\nline \u0001 \u2028 "quoted" ünïcødé' };
    const result = await store.ingestEvents([item('p2'), item('p3'), item('p3'), item('p1'), item('p4', tricky)]);
    expect(result).toMatchObject({ stored: 2, duplicates: 3 });
    expect(result.storedUuids.sort()).toEqual(['p3', 'p4']);
    const rows = await backend.gdb.execute<{ uuid: string; raw: string; actor_id: string; subject_ids: string[] }>(sql`
      SELECT uuid, raw::text AS raw, actor_id, subject_ids FROM log_events WHERE integration_id = ${integ.id}::uuid ORDER BY uuid`);
    expect(rows.map((r) => r.uuid)).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(JSON.parse(rows[3]!.raw)).toEqual(tricky);
    expect(rows.every((r) => r.actor_id === 'a\tb\\c\nd')).toBe(true);
    // The users of each event, as a text[], escapes and array syntax included.
    expect(rows.map((r) => r.subject_ids)).toEqual(Array(4).fill(['a\tb\\c\nd', '00u"q",{x}']));
    // Text as received (rawJson) is stored as is, whitespace and all, instead of serialising raw.
    const text = '{ "uuid": "p5",\n  "path": "C:\\\\x\\ty" }';
    await store.ingestEvents([{ ...item('p5'), row: { ...f.logEvent('p5', f.at(1)), raw: null, rawJson: text } }]);
    const [kept] = await backend.gdb.execute<{ raw: string }>(sql`
      SELECT raw::text AS raw FROM log_events WHERE integration_id = ${integ.id}::uuid AND uuid = 'p5'`);
    expect(kept?.raw).toBe(text);
  });

  it('lets concurrent writers of overlapping events store each event once', async () => {
    const integ = await newIntegration();
    const events = Array.from({ length: 400 }, (_, i) => ({
      integrationId: integ.id, via: 'stream' as const, row: f.logEvent(`c${i}`, f.at(i)), mutations: [],
    }));
    // Four writers, each with a shuffled overlapping half of the events.
    const writers = [0, 1, 2, 3].map((w) => shuffled(events.filter((_, i) => (i + w) % 2 === 0), 100 + w));
    const results = await Promise.all(writers.map((batch) => store.ingestEvents(batch)));
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(400);
    expect(await store.counts(integ.id)).toMatchObject({ logEvents: 400 });
  });

  it('replays a batch of many megabytes, which the server refuses at its first row', async () => {
    const integ = await newIntegration();
    const big = 'x'.repeat(4000);
    const events = Array.from({ length: 6000 }, (_, i) => ({
      integrationId: integ.id, via: 'file' as const, row: { ...f.logEvent(`big${i}`, f.at(i)), raw: null, rawJson: JSON.stringify({ i, big }) }, mutations: [],
    }));
    expect(await store.ingestEvents(events)).toMatchObject({ stored: 6000, duplicates: 0 });
    // The server refuses the COPY at its first row while megabytes are still being written.
    expect(await store.ingestEvents(events)).toMatchObject({ stored: 0, duplicates: 6000 });
    const more = [...events.slice(0, 10), { ...events[0]!, row: { ...events[0]!.row, uuid: 'big-new' } }];
    expect(await store.ingestEvents(more)).toMatchObject({ stored: 1, duplicates: 10 });
    expect(await store.counts(integ.id)).toMatchObject({ logEvents: 6001 });
  });

  it('stores an encoded batch once per uuid, applies only the new events\' mutations, and refuses foreign tuples', async () => {
    const integ = await newIntegration();
    const encode = (tenant: string, uuids: string[]) => {
      const w = new CopyTupleWriter(64);
      const tupleEnds: number[] = [];
      for (const uuid of uuids) {
        writeEventCopyTuple(w, tenant, integ.id, { ...f.logEvent(uuid, f.at(1)), raw: null, rawJson: JSON.stringify({ uuid }) }, 'file');
        tupleEnds.push(w.length);
      }
      return { tuples: w.take(), tupleEnds };
    };
    const batch = (uuids: string[], mutations: [number, GraphMutation[]][] = [], lookUpFirst = false, tenant = 'acme') =>
      ({ integrationId: integ.id, uuids, ...encode(tenant, uuids), mutations: new Map(mutations), lookUpFirst });
    if (backend.gdb.kind !== 'postgres') {
      // eslint-disable-next-line vitest/no-conditional-expect -- the branch is the backend under test (PGlite has no COPY), not a seed
      await expect(store.ingestEncodedEvents(batch(['x1']))).rejects.toThrow(/encoded event batches need PostgreSQL/);
      return;
    }
    const joins = (groupId: string): GraphMutation[] => [{ kind: 'membership.add', at: f.at(2), userId: '00u1', groupId }];
    // 'a' twice: the second one is a duplicate, and its mutation is not applied.
    expect(await store.ingestEncodedEvents(batch(['a', 'b', 'a', 'c'], [[1, joins('00gB')], [2, joins('00gA')]])))
      .toEqual({ stored: 3, duplicates: 1, conflicts: 0, conflictUuids: [], applied: 1, storedIndexes: [0, 1, 3], deferred: [] });
    // A replay, found by the COPY's conflict, then by looking up first.
    const none = { conflicts: 0, conflictUuids: [] };
    expect(await store.ingestEncodedEvents(batch(['c', 'd'], [[0, joins('00gC')]]))).toEqual({ stored: 1, duplicates: 1, ...none, applied: 0, storedIndexes: [1], deferred: [] });
    expect(await store.ingestEncodedEvents(batch(['a', 'e'], [[1, joins('00gE')]], true))).toEqual({ stored: 1, duplicates: 1, ...none, applied: 1, storedIndexes: [1], deferred: [] });
    expect(await store.ingestEncodedEvents(batch(['a', 'b'], [], true))).toEqual({ stored: 0, duplicates: 2, ...none, applied: 0, storedIndexes: [], deferred: [] });
    expect(await store.counts(integ.id)).toMatchObject({ logEvents: 5, memberships: 2 });
    const [raw] = await backend.gdb.execute<{ raw: string }>(sql`SELECT raw FROM log_events WHERE integration_id = ${integ.id}::uuid AND uuid = 'e'`);
    expect(raw?.raw).toBe('{"uuid":"e"}');
    // Text as received, unicode and escapes included, and its time, come back exactly; a text the
    // caller knows to be ASCII is encoded to the same bytes by the faster path.
    const text = '{"uuid":"u1","note":"tab\\there ünïcødé"}';
    const w = new CopyTupleWriter(16);
    writeEventCopyTuple(w, 'acme', integ.id, { ...f.logEvent('u1', f.at(3)), raw: null, rawJson: text, subjectIds: ['00uadmin', '00u"quoted\\ünï'] }, 'file');
    const asciiRow = { ...f.logEvent('u2', f.at(3)), raw: null, rawJson: '{"uuid":"u2"}' };
    writeEventCopyTuple(w, 'acme', integ.id, asciiRow, 'file');
    const plainEnd = w.length;
    writeEventCopyTuple(w, 'acme', integ.id, asciiRow, 'file', true);
    const tuples = w.take();
    const firstEnd = copyTupleEnd(tuples, 0, COPY_EVENT_COLUMNS.length);
    expect(Buffer.from(tuples.subarray(firstEnd, plainEnd)).equals(Buffer.from(tuples.subarray(plainEnd)))).toBe(true);
    expect(await store.ingestEncodedEvents({ integrationId: integ.id, uuids: ['u1', 'u2'], tuples: tuples.subarray(0, plainEnd), tupleEnds: [firstEnd, plainEnd], mutations: new Map() }))
      .toMatchObject({ stored: 2 });
    const [kept] = await backend.gdb.execute<{ raw: string; published: string }>(sql`
      SELECT raw, to_char(published AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS published, subject_ids
      FROM log_events WHERE integration_id = ${integ.id}::uuid AND uuid = 'u1'`);
    expect(kept).toEqual({ raw: text, published: f.at(3).toISOString(), subject_ids: ['00uadmin', '00u"quoted\\ünï'] });

    await expect(store.ingestEncodedEvents(batch(['f1'], [], false, 'other-tenant'))).rejects.toThrow(/event f1: its tuple is not this event's encoded row for tenant acme/);
    await expect(store.ingestEncodedEvents({ ...batch(['f2', 'f3']), uuids: ['f3', 'f2'] })).rejects.toThrow(/event f3: its tuple is not this event's encoded row/);
    await expect(store.ingestEncodedEvents({ ...batch(['f4']), tupleEnds: [] })).rejects.toThrow(/one tuple end per uuid/);
    const padded = batch(['f5']);
    await expect(store.ingestEncodedEvents({ ...padded, tuples: new Uint8Array([...padded.tuples, 0]) })).rejects.toThrow(/bytes after its last tuple/);
    await expect(store.ingestEncodedEvents(batch(['f6'], [[3, joins('00gX')]]))).rejects.toThrow(/mutations given for event 3/);
    expect(await store.counts(integ.id)).toMatchObject({ logEvents: 7 });
  });

  it('counts a duplicate uuid with other content as a conflict, keeping the stored event, and the same event reformatted as a duplicate', async () => {
    const integ = await newIntegration();
    const item = (uuid: string, rawJson: string, mutations: GraphMutation[] = []) =>
      ({ integrationId: integ.id, via: 'file' as const, row: { ...f.logEvent(uuid, f.at(1)), raw: null, rawJson }, mutations });
    const joins: GraphMutation[] = [{ kind: 'membership.add', at: f.at(2), userId: '00u1', groupId: '00gX' }];
    expect(await store.ingestEvents([item('k1', '{"uuid":"k1","outcome":{"result":"SUCCESS"}}'), item('k2', '{"uuid":"k2","n":1}')])).toMatchObject({ stored: 2 });
    const result = await store.ingestEvents([
      // The same JSON value as stored, written otherwise (spacing, member order, number form): a duplicate.
      item('k1', '{ "outcome": { "result": "SUCCESS" }, "uuid": "k1" }'),
      item('k2', '{"n":1.0,"uuid":"k2"}'),
      // Other content under a stored uuid: a conflict, whose mutations are not applied.
      item('k1', '{"uuid":"k1","outcome":{"result":"FAILURE"}}', joins),
      // A new uuid twice in one batch, the second copy different: the first is stored, the second conflicts.
      item('k3', '{"uuid":"k3","v":"first"}'),
      item('k3', '{"uuid":"k3","v":"first"}'),
      item('k3', '{"uuid":"k3","v":"second"}'),
    ]);
    expect(result).toMatchObject({ stored: 1, duplicates: 3, conflicts: 2, applied: 0, storedUuids: ['k3'] });
    expect(result.conflictUuids.sort()).toEqual(['k1', 'k3']);
    const rows = await backend.gdb.execute<{ uuid: string; raw: string }>(sql`
      SELECT uuid, raw FROM log_events WHERE integration_id = ${integ.id}::uuid ORDER BY uuid`);
    expect(rows).toEqual([
      { uuid: 'k1', raw: '{"uuid":"k1","outcome":{"result":"SUCCESS"}}' },
      { uuid: 'k2', raw: '{"uuid":"k2","n":1}' },
      { uuid: 'k3', raw: '{"uuid":"k3","v":"first"}' },
    ]);
    expect(await store.counts(integ.id)).toMatchObject({ memberships: 0 });
    if (backend.gdb.kind !== 'postgres') return;
    // The encoded (COPY) path tells them apart the same way, whether it looks up first or finds them by the COPY's refusal.
    const encoded = (entries: [string, string][], lookUpFirst: boolean) => {
      const w = new CopyTupleWriter(64);
      const tupleEnds = entries.map(([uuid, rawJson]) => {
        writeEventCopyTuple(w, 'acme', integ.id, { ...f.logEvent(uuid, f.at(1)), raw: null, rawJson }, 'file');
        return w.length;
      });
      return { integrationId: integ.id, uuids: entries.map(([u]) => u), tuples: w.take(), tupleEnds, mutations: new Map(), lookUpFirst };
    };
    for (const lookUpFirst of [false, true]) {
      expect(await store.ingestEncodedEvents(encoded([
        ['k2', '{"uuid":"k2","n":1}'],
        ['k2', '{"uuid":"k2","n":2}'],
        [`k4-${lookUpFirst}`, '{"a":1}'],
        [`k4-${lookUpFirst}`, '{"a":2}'],
      ], lookUpFirst))).toEqual({ stored: 1, duplicates: 1, conflicts: 2, conflictUuids: ['k2', `k4-${lookUpFirst}`], applied: 0, storedIndexes: [2], deferred: [] });
    }
  });

  it('refuses a batch the database rejects without hanging, and keeps serving', async () => {
    const integ = await newIntegration();
    // PostgreSQL text cannot hold NUL: the whole batch fails, nothing of it is stored.
    const bad = [
      { integrationId: integ.id, via: 'file' as const, row: f.logEvent('n1', f.at(1)), mutations: [] },
      { integrationId: integ.id, via: 'file' as const, row: f.logEvent('n2', f.at(1), { eventType: 'user.\u0000bad' }), mutations: [] },
    ];
    await expect(store.ingestEvents(bad)).rejects.toThrow();
    expect(await store.counts(integ.id)).toMatchObject({ logEvents: 0 });
    expect(await store.ingestEvents([bad[0]!])).toMatchObject({ stored: 1 });
  });

  it('completes a user known only from events with the listed object, keeping the newer status', async () => {
    const integ = await newIntegration();
    await store.ingestEvents([
      { integrationId: integ.id, via: 'stream', row: f.logEvent('c1', f.at(10), { eventType: 'user.lifecycle.create' }),
        mutations: [{ kind: 'user.upsert', at: f.at(10), user: { oktaId: '00uN', login: 'n@example.com' } }] },
      { integrationId: integ.id, via: 'stream', row: f.logEvent('c2', f.at(11), { eventType: 'user.lifecycle.activate' }),
        mutations: [{ kind: 'user.status', at: f.at(11), userId: '00uN', status: 'ACTIVE' }] },
    ]);
    expect((await usersOf(integ.id))[0]).toMatchObject({ status: 'ACTIVE', login: 'n@example.com' });
    // Okta's object for the same change carries lastUpdated a moment before the events' published;
    // read seconds after them, a lagging listing may still show the state before the activation.
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00uN', { status: 'STAGED', login: 'n@example.com', email: 'n@corp.example', sourceUpdatedAt: f.at(9), observedAt: new Date(f.at(11).getTime() + 5_000) })] } });
    const [row] = await backend.gdb.execute<{ status: string; email: string; raw_id: string }>(sql`
      SELECT status, email, raw->>'id' AS raw_id FROM users WHERE integration_id = ${integ.id}::uuid`);
    expect(row).toEqual({ status: 'ACTIVE', email: 'n@corp.example', raw_id: '00uN' });
    // Once it holds a full object, an older listing no longer changes it.
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
      rows: { users: [f.user('00uN', { email: 'older@corp.example', sourceUpdatedAt: f.at(8), observedAt: new Date(f.at(11).getTime() + 10_000) })] } });
    expect((await backend.gdb.execute<{ email: string }>(sql`SELECT email FROM users WHERE integration_id = ${integ.id}::uuid`))[0])
      .toEqual({ email: 'n@corp.example' });
  });

  describe('event times against reads (ambiguity window 60 s)', () => {
    const D = f.at(100);
    const sec = (s: number) => new Date(D.getTime() + s * 1000);
    let n = 0;
    const event = (integrationId: string, mutation: GraphMutation) =>
      ({ integrationId, via: 'stream' as const, row: f.logEvent(`amb-${++n}`, mutation.at), mutations: [mutation] });
    const memberships = async (integrationId: string) =>
      (await backend.gdb.execute<{ group_id: string; deleted: boolean }>(sql`
        SELECT group_id, deleted_at IS NOT NULL AS deleted FROM group_memberships
        WHERE integration_id = ${integrationId}::uuid ORDER BY group_id, user_id`)).map((r) => [r.group_id, r.deleted]);

    it('re-reads instead of deciding an event published within the window of its row\'s last read', async () => {
      const integ = await newIntegration();
      // Read at D (the response's Date); Okta's lists trail its writes, so D proves little about events near it.
      await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
        rows: { memberships: ['00gA', '00gB', '00gC'].map((g) => f.membership('00u1', g, { sourceUpdatedAt: D })) } });
      const result = await store.ingestEvents([
        event(integ.id, { kind: 'membership.remove', at: sec(-5), userId: '00u1', groupId: '00gA' }),
        event(integ.id, { kind: 'membership.remove', at: sec(-300), userId: '00u1', groupId: '00gB' }),
        event(integ.id, { kind: 'membership.remove', at: sec(120), userId: '00u1', groupId: '00gC' }),
      ]);
      // 5 s before the read: undecidable, re-read; 5 min before: the read reflects it; 2 min after: applied.
      expect(result.deferred).toEqual([{ integrationId: integ.id, request: { kind: 'groupMembers', groupId: '00gA' } }]);
      expect(await memberships(integ.id)).toEqual([['00gA', false], ['00gB', false], ['00gC', true]]);
    });

    it('does not let a late event older than a read undo it, even when the object\'s lastUpdated is older still', async () => {
      const integ = await newIntegration();
      await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
        rows: { users: [f.user('00u1', { status: 'ACTIVE', sourceUpdatedAt: f.at(0), observedAt: D })] } });
      const result = await store.ingestEvents([
        event(integ.id, { kind: 'user.status', at: sec(-600), userId: '00u1', status: 'SUSPENDED' }),
      ]);
      expect(result.deferred).toEqual([]);
      expect((await usersOf(integ.id))[0]).toMatchObject({ status: 'ACTIVE' });
      const near = await store.ingestEvents([event(integ.id, { kind: 'user.status', at: sec(30), userId: '00u1', status: 'SUSPENDED' })]);
      expect(near.deferred).toEqual([{ integrationId: integ.id, request: { kind: 'user', id: '00u1' } }]);
      expect((await usersOf(integ.id))[0]).toMatchObject({ status: 'ACTIVE' });
    });

    it('keeps an event\'s state against a read within the window and gives way to a read after it', async () => {
      const integ = await newIntegration();
      await store.ingestEvents([event(integ.id, { kind: 'membership.remove', at: D, userId: '00u1', groupId: '00gA' })]);
      // A lagging listing seconds later still lists the removed member: it does not bring it back.
      await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
        rows: { memberships: [f.membership('00u1', '00gA', { sourceUpdatedAt: sec(3) })] } });
      expect(await memberships(integ.id)).toEqual([['00gA', true]]);
      // Listed again well after the event: Okta says it is a member (re-added without an event we saw).
      await store.commitPage({ integrationId: integ.id, runId: null, resource: 'group_members', nextUrl: null, done: true,
        rows: { memberships: [f.membership('00u1', '00gA', { sourceUpdatedAt: sec(90) })] } });
      expect(await memberships(integ.id)).toEqual([['00gA', false]]);
    });

    it('lets a targeted re-read decide within the window: it replaces and tombstones what an event set just before', async () => {
      const integ = await newIntegration();
      await store.ingestEvents([
        event(integ.id, { kind: 'membership.remove', at: D, userId: '00u1', groupId: '00gA' }),
        event(integ.id, { kind: 'membership.add', at: D, userId: '00u2', groupId: '00gA' }),
      ]);
      const run = await store.startRun({ integrationId: integ.id, mode: 'refresh', trigger: 'stream', resources: ['refresh'] });
      // Re-read 3 s after the events: 00u1 is a member again, 00u2 left; a full run would wait out the window.
      await store.commitPage({ integrationId: integ.id, runId: run.id, resource: 'group_members', scopeKey: 'refresh:00gA', nextUrl: null, done: true,
        rows: { memberships: [f.membership('00u1', '00gA', { sourceUpdatedAt: sec(3) })] }, reread: true });
      expect(await store.finishFullSync(run.id, 'group_members', { groupId: '00gA' })).toBe(0);
      expect(await store.finishFullSync(run.id, 'group_members', { groupId: '00gA' }, { reread: true })).toBe(1);
      expect(await memberships(integ.id)).toEqual([['00gA', false], ['00gA', true]]);
    });

    it('tombstones an unseen row an event stamped in the future set, once a complete run starts after it', async () => {
      const integ = await newIntegration();
      // No window, so that the run may start right after the event (with one, a minute later).
      const noWindow = new GraphStore(backend.gdb, { tenant: 'acme', secretBox: createSecretBox(key), ambiguityMs: 0 });
      await noWindow.ingestEvents([event(integ.id, { kind: 'membership.add', at: new Date(Date.now() + 4 * 60_000), userId: '00u1', groupId: '00gF' })]);
      expect(await memberships(integ.id)).toEqual([['00gF', false]]);
      const run = await noWindow.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['group_members'] });
      await noWindow.commitPage({ integrationId: integ.id, runId: run.id, resource: 'group_members', nextUrl: null, done: true, rows: {} });
      expect(await noWindow.finishFullSync(run.id, 'group_members')).toBe(1);
      expect(await memberships(integ.id)).toEqual([['00gF', true]]);
    });
  });

  it('exports the graph sorted exactly like sortExportLines, with tombstones only on request', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'mixed', nextUrl: null, done: true, rows: {
      users: [f.user('00uB'), f.user('00uA', { status: 'SUSPENDED' }), f.user('00uGone')],
      groups: [f.group('00g2'), f.group('00g1')],
      apps: [f.app('0oa1')],
      factors: [f.factor('mfa2', '00uA'), f.factor('mfa1', '00uB', { factorType: 'webauthn', provider: 'FIDO' })],
      roles: [f.role('cr1')],
      resourceSets: [f.resourceSet('rs1')],
      memberships: [f.membership('00uB', '00g1'), f.membership('00uA', '00g2'), f.membership('00uGone', '00g1')],
      appUsers: [f.appUser('0oa1', '00uB', { scope: 'GROUP' })],
      appGroups: [f.appGroup('0oa1', '00g1', { priority: 3 })],
      roleAssignments: [
        f.roleAssignment('user', '00uA', 'SUPER_ADMIN'),
        f.roleAssignment('group', '00g1', 'cr1', { resourceSetId: 'rs1' }),
        f.roleAssignment('app', '0oa1', 'READ_ONLY_ADMIN'),
        f.roleAssignment('user', '00uGone', 'ORG_ADMIN'),
      ],
    } });
    await store.ingestEvents([{ integrationId: integ.id, via: 'stream', row: f.logEvent('del-1', f.at(5), { eventType: 'user.lifecycle.delete.completed' }),
      mutations: [{ kind: 'user.delete', at: f.at(5), userId: '00uGone' }] }]);
    const expected = sortExportLines([
      exportLine.user({ id: '00uA', status: 'SUSPENDED', login: '00uA@example.com' }),
      exportLine.user({ id: '00uB', status: 'ACTIVE', login: '00uB@example.com' }),
      exportLine.group({ id: '00g1', name: 'Group 00g1', groupType: 'OKTA_GROUP' }),
      exportLine.group({ id: '00g2', name: 'Group 00g2', groupType: 'OKTA_GROUP' }),
      exportLine.app({ id: '0oa1', status: 'ACTIVE', name: 'oidc_client', label: 'App 0oa1', signOnMode: 'OPENID_CONNECT' }),
      exportLine.factor({ id: 'mfa1', status: 'ACTIVE', factorType: 'webauthn', provider: 'FIDO', userId: '00uB' }),
      exportLine.factor({ id: 'mfa2', status: 'ACTIVE', factorType: 'token:software:totp', provider: 'GOOGLE', userId: '00uA' }),
      exportLine.role({ id: 'SUPER_ADMIN', custom: false, label: null }),
      exportLine.role({ id: 'READ_ONLY_ADMIN', custom: false, label: null }),
      exportLine.role({ id: 'cr1', custom: true, label: 'Role cr1' }),
      exportLine.resourceSet({ id: 'rs1', label: 'Set rs1' }),
      exportLine.memberOf({ userId: '00uB', groupId: '00g1' }),
      exportLine.memberOf({ userId: '00uA', groupId: '00g2' }),
      exportLine.userAssignedTo({ userId: '00uB', appId: '0oa1', scope: 'GROUP' }),
      exportLine.groupAssignedTo({ groupId: '00g1', appId: '0oa1', priority: 3 }),
      exportLine.hasRole({ principalKind: 'user', principalId: '00uA', roleId: 'SUPER_ADMIN', resourceSetId: '' }),
      exportLine.hasRole({ principalKind: 'group', principalId: '00g1', roleId: 'cr1', resourceSetId: 'rs1' }),
      exportLine.hasRole({ principalKind: 'app', principalId: '0oa1', roleId: 'READ_ONLY_ADMIN', resourceSetId: '' }),
      exportLine.hasFactor({ userId: '00uA', factorId: 'mfa2' }),
      exportLine.hasFactor({ userId: '00uB', factorId: 'mfa1' }),
    ]);
    const lines = await collect(store.exportGraph({ integrationId: integ.id }));
    expect(JSON.stringify(lines)).toBe(JSON.stringify(expected));

    const withDeleted = await collect(store.exportGraph({ integrationId: integ.id, includeDeleted: true }));
    const deleted = withDeleted.filter((l) => l.deleted === true);
    expect(deleted).toEqual([
      { ...exportLine.role({ id: 'ORG_ADMIN', custom: false, label: null }), deleted: true },
      { ...exportLine.user({ id: '00uGone', status: 'ACTIVE', login: '00uGone@example.com' }), deleted: true },
      { ...exportLine.hasRole({ principalKind: 'user', principalId: '00uGone', roleId: 'ORG_ADMIN', resourceSetId: '' }), deleted: true },
      { ...exportLine.memberOf({ userId: '00uGone', groupId: '00g1' }), deleted: true },
    ]);
    expect(JSON.stringify(withDeleted)).toBe(JSON.stringify(sortExportLines([...withDeleted])));
  });

  it('pages the export by key across batch boundaries and merges integrations in order', async () => {
    const merged = new GraphStore(backend.gdb, { tenant: 'merge-co', secretBox: createSecretBox(key) });
    await merged.ensureTenant();
    const ids = ['00u10', '00u1', '00u2', '00uA', '00ua', '00u_', 'a', 'Z'];
    const integrations = [];
    for (const name of ['first', 'second']) {
      const integ = await merged.createIntegration({ name, orgUrl: `https://${name}.okta.com`, authMethod: 'ssws', secrets: { token: 't' }, allowHttp: false });
      integrations.push(integ);
      await merged.commitPage({ integrationId: integ.id, runId: null, resource: 'mixed', nextUrl: null, done: true, rows: {
        users: ids.map((id) => f.user(name === 'first' ? id : `${id}x`)),
        groups: [f.group('00g1'), f.group('00g10'), f.group('00g2')],
        memberships: ids.flatMap((u) => ['00g1', '00g10', '00g2'].map((g) => f.membership(u, g))),
        roleAssignments: ids.flatMap((u) => [
          f.roleAssignment('user', u, 'SUPER_ADMIN'),
          f.roleAssignment('group', u, 'cr1', { resourceSetId: 'rs2' }),
          f.roleAssignment('group', u, 'cr1', { resourceSetId: 'rs10' }),
        ]),
      } });
    }
    const exec = executorOf(backend.gdb.db);
    for (const integ of integrations) {
      const small = await collect(exportIntegration(exec, 'merge-co', integ.id, false, 2));
      const big = await collect(exportIntegration(exec, 'merge-co', integ.id, false, 1000));
      // users, groups, the one standard role (cr1 has no roles row, so no node), has_role, member_of
      expect(small).toHaveLength(8 + 3 + 1 + 24 + 24);
      expect(JSON.stringify(small)).toBe(JSON.stringify(big));
      expect(JSON.stringify(small)).toBe(JSON.stringify(sortExportLines([...small])));
    }
    const all = await collect(merged.exportGraph());
    const each = [];
    for (const integ of integrations) each.push(...(await collect(merged.exportGraph({ integrationId: integ.id }))));
    expect(all).toHaveLength(each.length);
    expect(JSON.stringify(all)).toBe(JSON.stringify(sortExportLines(each)));
  });

  it('exports one consistent state while writes go on, and stops cleanly when the reader does', async () => {
    const integ = await newIntegration();
    const users = Array.from({ length: 1200 }, (_, i) => f.user(`00u${String(i).padStart(5, '0')}`));
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true, rows: { users } });
    const lines: ExportLine[] = [];
    for await (const line of store.exportGraph({ integrationId: integ.id })) {
      lines.push(line);
      // Written mid-export: on PostgreSQL the snapshot does not see it. PGlite exports without a
      // snapshot (single connection), so there the write waits or lands after the cursor.
      if (lines.length === 10 && backend.gdb.kind === 'postgres') {
        await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true,
          rows: { users: [f.user('00u99999')] } });
      }
    }
    // eslint-disable-next-line vitest/no-conditional-expect -- the branch is the backend under test, not a seed
    if (backend.gdb.kind === 'postgres') expect(lines).toHaveLength(1200);
    let taken = 0;
    for await (const _line of store.exportGraph({ integrationId: integ.id })) if (++taken === 3) break;
    expect(taken).toBe(3);
    // The abandoned export released its connection and transaction: the store still works.
    expect(await store.counts(integ.id)).toMatchObject({ users: backend.gdb.kind === 'postgres' ? 1201 : 1200 });
  });

  it('rolls back everything done in transaction(fn) when fn throws', async () => {
    const integ = await newIntegration();
    await expect(store.transaction(async (tx) => {
      await tx.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: 'https://x/n', done: false, rows: { users: [f.user('00u1')] } });
      await tx.ingestEvents([{ integrationId: integ.id, via: 'file', row: f.logEvent('tx-1', f.at(1)), mutations: [] }]);
      expect(await tx.counts(integ.id)).toMatchObject({ users: 1, logEvents: 1 });
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await store.counts(integ.id)).toMatchObject({ users: 0, logEvents: 0 });
    expect(await store.getCheckpoint(integ.id, 'users')).toBeUndefined();
  });

  it('tracks runs and per-resource progress', async () => {
    const integ = await newIntegration();
    const run = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'collect-now', resources: ['users', { resource: 'system_log', full: false }] });
    expect(run.resources.map((r) => [r.resource, r.state, r.full])).toEqual([['system_log', 'pending', false], ['users', 'pending', true]]);
    expect((await store.runningRun(integ.id))?.id).toBe(run.id);
    await store.updateRunResource(run.id, 'users', { state: 'running', pages: 1, objects: 200, requests: 1 });
    const r = await store.updateRunResource(run.id, 'users', { state: 'done', pages: 1, objects: 50, requests: 2, waited429: 1, retries: 1 });
    expect(r).toMatchObject({ state: 'done', pages: 2, objects: 250, requests: 3, waited429: 1, retries: 1 });
    expect(r.startedAt).toBeInstanceOf(Date);
    await expect(store.updateRunResource(run.id, 'groups', { pages: 1 })).rejects.toThrow(/no resource "groups"/);
    const done = await store.finishRun(run.id, 'failed', 'Authorization: SSWS 00abcSECRET rejected');
    expect(done.status).toBe('failed');
    expect(done.error).not.toContain('00abcSECRET');
    expect(await store.runningRun(integ.id)).toBeUndefined();
    expect((await store.latestRuns(integ.id, 5)).map((x) => x.id)).toEqual([run.id]);
  });

  it('records a skipped resource with its reason, and never tombstones for it', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'apps', nextUrl: null, done: true, rows: { apps: [f.app('0oa1')] } });
    const run = await store.startRun({ integrationId: integ.id, mode: 'full', trigger: 'scan', resources: ['users', 'apps'] });
    const skipped = await store.updateRunResource(run.id, 'apps', { state: 'skipped', error: 'the access token lacks okta.apps.read' });
    expect(skipped).toMatchObject({ state: 'skipped', error: 'the access token lacks okta.apps.read' });
    expect(skipped.endedAt).toBeInstanceOf(Date);
    await expect(store.finishFullSync(run.id, 'apps')).rejects.toThrow(/apps of run .* was skipped; nothing is tombstoned/);
    expect((await store.counts(integ.id)).apps).toBe(1);
  });

  it('opens, keeps, resolves and reopens findings', async () => {
    const integ = await newIntegration();
    const check = 'admin-without-phishing-resistant-mfa';
    expect(await store.syncFindings(integ.id, check, [{ subject: 'user:00u1', severity: 'high', details: { roles: ['SUPER_ADMIN'] } },
      { subject: 'user:00u2', severity: 'high', details: {} }], f.at(1))).toEqual({ opened: 2, persisting: 0, reopened: 0, resolved: 0 });
    expect(await store.syncFindings(integ.id, check, [{ subject: 'user:00u1', severity: 'high', details: {} }], f.at(2)))
      .toEqual({ opened: 0, persisting: 1, reopened: 0, resolved: 1 });
    expect((await store.listFindings(integ.id, { openOnly: true })).map((x) => x.subject)).toEqual(['user:00u1']);
    expect(await store.syncFindings(integ.id, check, [{ subject: 'user:00u1', severity: 'high', details: {} },
      { subject: 'user:00u2', severity: 'medium', details: {} }], f.at(3))).toEqual({ opened: 0, persisting: 1, reopened: 1, resolved: 0 });
    const all = await store.listFindings(integ.id);
    expect(all.map((x) => [x.subject, x.severity, x.firstSeenAt.toISOString(), x.lastSeenAt.toISOString(), x.resolvedAt])).toEqual([
      ['user:00u1', 'high', f.at(1).toISOString(), f.at(3).toISOString(), null],
      ['user:00u2', 'medium', f.at(3).toISOString(), f.at(3).toISOString(), null],
    ]);
  });

  it('removes an integration, keeping its graph rows tombstoned', async () => {
    const integ = await newIntegration();
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: 'https://x/n', done: false, rows: { users: [f.user('00u1')] } });
    expect((await store.removeIntegration(integ.name))?.id).toBe(integ.id);
    expect(await store.removeIntegration(integ.name)).toBeUndefined();
    expect(await store.getIntegration(integ.name)).toBeUndefined();
    expect(await usersOf(integ.id)).toMatchObject([{ okta_id: '00u1', deleted: true }]);
    expect(await store.getCheckpoint(integ.id, 'users')).toBeUndefined();
  });
});
