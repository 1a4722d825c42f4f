import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { migrateDatabase, migrationsCurrent, openDatabase, type GraphDb } from './db.js';

describe('openDatabase + migrateDatabase on PostgreSQL', () => {
  let tdb: TestDatabase;
  let gdb: GraphDb;
  afterAll(async () => {
    await gdb?.close();
    await tdb?.drop();
  });

  it('reports migrations missing before migrate, current after, and migrate is idempotent', async () => {
    tdb = await createTestDatabase('graph_db');
    gdb = await openDatabase({ databaseUrl: tdb.url });
    expect(gdb.kind).toBe('postgres');
    expect(await migrationsCurrent(gdb)).toBe(false);
    // Two concurrent migrations (two processes starting at once) must not collide.
    const other = await openDatabase({ databaseUrl: tdb.url });
    await Promise.all([migrateDatabase(gdb), migrateDatabase(other)]);
    await other.close();
    expect(await migrationsCurrent(gdb)).toBe(true);
    const tables = await gdb.execute<{ n: number }>(
      sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables[0]?.n).toBe(30);
  });

  it('names the server and hides the password when it cannot connect', async () => {
    await expect(openDatabase({ databaseUrl: 'postgres://u:hunter2@127.0.0.1:1/x' })).rejects.toThrow(
      /cannot connect to PostgreSQL at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/x/,
    );
    await expect(openDatabase({ databaseUrl: 'postgres://u:hunter2@127.0.0.1:1/x' })).rejects.not.toThrow(/hunter2/);
  });

  it('waits for a server that comes up late when asked to', async () => {
    // A port that refuses connections for ~600 ms, then forwards to the real server.
    const { createServer, connect } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const late = createServer((socket) => {
      const upstream = connect(5432, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    const timer = setTimeout(() => late.listen(port, '127.0.0.1'), 600);
    try {
      const url = new URL(tdb.url);
      url.port = String(port);
      const started = Date.now();
      const waited = await openDatabase({ databaseUrl: url.toString(), waitForServerMs: 10_000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect(await migrationsCurrent(waited)).toBe(true);
      await waited.close();
    } finally {
      clearTimeout(timer);
      await new Promise<void>((resolve) => late.close(() => resolve()));
    }
  });
});

describe('openDatabase on PGlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idgraph-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the data dir, migrates, and reopens with data kept', async () => {
    const gdb = await openDatabase({ dataDir: dir });
    expect(gdb.kind).toBe('pglite');
    await migrateDatabase(gdb);
    expect(await migrationsCurrent(gdb)).toBe(true);
    await gdb.execute(sql`insert into tenants (id, name) values ('t1', 'Tenant 1')`);
    await gdb.close();
    const again = await openDatabase({ dataDir: dir });
    try {
      expect(await migrationsCurrent(again)).toBe(true);
      const rows = await again.execute<{ name: string }>(sql`select name from tenants where id = 't1'`);
      expect(rows).toEqual([{ name: 'Tenant 1' }]);
    } finally {
      await again.close();
    }
  });
});
