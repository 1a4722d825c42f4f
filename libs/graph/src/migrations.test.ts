/**
 * Migrations that move data: applied to a database that holds rows written before them, as an
 * upgrade does (the migrations folder cut at the migration under test, rows written, the rest applied).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { DEFAULT_MIGRATIONS_FOLDER, migrateDatabase, openDatabase, type GraphDb } from './db.js';

/** A copy of the migrations folder holding only the migrations before `tag`. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'idgraph-migrations-'));
  cpSync(DEFAULT_MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`no migration ${tag}`);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe('0013_log_event_subjects on events stored before it', () => {
  let db: TestDatabase;
  let gdb: GraphDb;
  let folder: string;
  const integration = '6f1c8f5e-4a43-4c55-9d4b-0e6f7c1e2a10';

  beforeAll(async () => {
    db = await createTestDatabase('migrations');
    gdb = await openDatabase({ databaseUrl: db.url });
    folder = migrationsBefore('0013_log_event_subjects');
    await migrateDatabase(gdb, folder);
    const event = (uuid: string, body: string) =>
      sql`INSERT INTO log_events (tenant_id, integration_id, uuid, published, event_type, actor_id, received_via, raw)
          VALUES ('acme', ${integration}::uuid, ${uuid}, now(), 'user.lifecycle.deactivate', NULL, 'poll', ${body})`;
    await gdb.execute(event('admin-on-user', '{"actor":{"id":"00uAdmin","type":"User"},"target":[{"id":"0oaApp","type":"AppInstance"},{"id":"00uBob","type":"User"},{"id":"00uAdmin","type":"User"},{"type":"ROLE_ASSIGNED"}]}'));
    await gdb.execute(event('untyped-target', '{"actor":{"id":"0oaBot","type":"PublicClientApp"},"target":[{"id":"00uEve"}]}'));
    await gdb.execute(event('no-user', '{"actor":{"id":"system","type":"SystemPrincipal"},"target":null}'));
    // PostgreSQL's JSON parser refuses \u0000; the migration must read past it.
    await gdb.execute(event('nul-escape', '{"actor":{"id":"00uNul","type":"User"},"debugContext":{"x":"a\\u0000b"},"target":"not a list"}'));
    await gdb.execute(sql`INSERT INTO log_events (tenant_id, integration_id, uuid, published, event_type, received_via, raw) VALUES ('acme', ${integration}::uuid, 'no-raw', now(), 'x', 'poll', NULL)`);
    await migrateDatabase(gdb);
  });

  afterAll(async () => {
    await gdb?.close();
    await db?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('fills subject_ids as eventSubjectIds would (actor first, User targets once, untyped counts as a user), null where there is no user', async () => {
    const rows = await gdb.execute<{ uuid: string; subject_ids: string[] | null }>(sql`SELECT uuid, subject_ids FROM log_events ORDER BY uuid`);
    expect(Object.fromEntries(rows.map((r) => [r.uuid, r.subject_ids]))).toEqual({
      'admin-on-user': ['00uAdmin', '00uBob'],
      'no-raw': null,
      'no-user': null,
      'nul-escape': ['00uNul'],
      'untyped-target': ['00uEve'],
    });
  });

  it('and the index finds a person by any of them', async () => {
    const rows = await gdb.execute<{ uuid: string }>(sql`SELECT uuid FROM log_events WHERE subject_ids @> ARRAY['00uBob'::text]`);
    expect(rows.map((r) => r.uuid)).toEqual(['admin-on-user']);
  });
});
