/**
 * Opening the graph database: PostgreSQL (postgres-js) when a URL is given, otherwise an embedded
 * PGlite under the data directory. Same drizzle schema, same migrations, same store code.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { retry, scrubSecrets, type Logger } from '@idgraph/core';
import * as schema from './schema.js';

export type GraphSchema = typeof schema;
/** The drizzle database both drivers provide; store code is written against this only. */
export type GraphDrizzle = PgDatabase<PgQueryResultHKT, GraphSchema>;

export interface GraphDb {
  db: GraphDrizzle;
  kind: 'postgres' | 'pglite';
  /** Runs raw SQL; both drivers' results normalised to an array of rows. */
  execute<Row = Record<string, unknown>>(query: SQL): Promise<Row[]>;
  close(): Promise<void>;
  /** Applies pending migrations (see migrateDatabase). */
  migrate(migrationsFolder: string): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; absent means the embedded PGlite database. */
  databaseUrl?: string | undefined;
  /** Directory for the embedded database (`${dataDir}/pgdata`). Default `.idgraph`. */
  dataDir?: string | undefined;
  logger?: Logger | undefined;
  /** postgres-js pool size. Default 10. */
  maxConnections?: number | undefined;
  /**
   * How long to keep retrying an unreachable PostgreSQL server before giving up (workers that
   * may start before the database, or restart during an outage). Default 0: fail at once.
   */
  waitForServerMs?: number | undefined;
  /**
   * Plan each prepared statement once per connection (PostgreSQL's plan_cache_mode =
   * force_generic_plan) instead of letting the server plan it again for every execution. For
   * `idgraph serve`: its hot statements are fixed-shape lookups by key (the read models), for
   * which PostgreSQL kept choosing a custom plan, and planning the person view cost more than
   * running it (1.2-1.9 ms against 0.6-0.9 ms; +25% person views per second under 20 clients).
   */
  genericPlans?: boolean | undefined;
}

/**
 * The migrations shipped with this package. src/db.ts and dist/db.js sit at the same depth,
 * so the built CLI and the tests find the same folder.
 */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url));

// A fixed advisory-lock key so two processes running `migrate` at once apply each migration once.
const MIGRATION_LOCK_KEY = 0x1d6a7a;

/** Both drivers' raw results as an array of rows (postgres-js: an array; PGlite: {rows}). */
export function rowsOf<Row>(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  if (result && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: Row[] }).rows;
  }
  throw new Error('unexpected database driver result: expected an array of rows or {rows}');
}

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<GraphDb> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir ?? '.idgraph', opts);
}

/** What postgres-js hands a custom `socket` factory: its parsed connection options. */
interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
  connect_timeout?: number | null;
}

/**
 * postgres-js connects plain sockets, which leave Nagle's algorithm on: a small message sent
 * right after a large one (COPY's CopyDone after its data) then waits for the server's delayed
 * ACK, tens of milliseconds each time. We open the sockets ourselves with noDelay; postgres-js
 * still does TLS and the protocol on them. Hosts are tried in order, as postgres-js would.
 */
async function connectNoDelay(target: SocketTarget): Promise<Socket> {
  const timeoutMs = (target.connect_timeout ?? 30) * 1000;
  const attempt = (options: { path: string } | { host: string; port: number }) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = netConnect({ ...options, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  if (target.path) return attempt({ path: target.path });
  let lastError: unknown = new Error('no PostgreSQL host given');
  for (const [i, host] of target.host.entries()) {
    try {
      return await attempt({ host, port: target.port[i] ?? target.port[0] ?? 5432 });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<GraphDb> {
  // `socket` is a postgres-js option its type declarations leave out.
  const client = postgres(url, {
    max: opts.maxConnections ?? 10,
    onnotice: () => {},
    socket: connectNoDelay,
    ...(opts.genericPlans ? { connection: { plan_cache_mode: 'force_generic_plan' } } : {}),
  } as postgres.Options<Record<string, never>>);
  const deadline = Date.now() + (opts.waitForServerMs ?? 0);
  try {
    await retry(() => client`select 1`, {
      attempts: Infinity,
      retryable: () => Date.now() < deadline,
      baseMs: 400,
      capMs: 2_000,
      jitter: 'equal',
      onRetry: ({ attempt, err }) => opts.logger?.warn({ attempt, err: scrubSecrets((err as Error).message) }, 'PostgreSQL not reachable yet; retrying'),
    });
  } catch (err) {
    await client.end({ timeout: 1 }).catch(() => {});
    throw new Error(`cannot connect to PostgreSQL at ${scrubSecrets(url)}: ${scrubSecrets((err as Error).message)}. Check DATABASE_URL and that the server is running.`);
  }
  const db = drizzlePostgres(client, { schema });
  opts.logger?.debug({ database: 'postgres' }, 'database opened');
  return {
    db: db as unknown as GraphDrizzle,
    kind: 'postgres',
    execute: async <Row>(query: SQL) => rowsOf<Row>(await db.execute(query)),
    close: () => client.end({ timeout: 5 }),
    async migrate(migrationsFolder) {
      // Migrate on one dedicated connection that holds the advisory lock for the whole run.
      const single = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await single`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
        await migratePostgres(drizzlePostgres(single, { schema }), { migrationsFolder });
      } finally {
        await single`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
        await single.end({ timeout: 5 });
      }
    },
  };
}

async function openPglite(dataDir: string, opts: OpenDatabaseOptions): Promise<GraphDb> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  // Loaded lazily: PostgreSQL users never pay for the embedded engine.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
  let client;
  try {
    client = await PGlite.create(dir);
  } catch (err) {
    throw new Error(
      `cannot open the embedded database in ${dir}: ${(err as Error).message}. ` +
        'Is another idgraph process using it? Set DATABASE_URL to use a PostgreSQL server instead.',
    );
  }
  const db = drizzlePglite(client, { schema });
  opts.logger?.debug({ database: 'pglite', dir }, 'database opened');
  return {
    db: db as unknown as GraphDrizzle,
    kind: 'pglite',
    execute: async <Row>(query: SQL) => rowsOf<Row>(await db.execute(query)),
    close: () => client.close(),
    migrate: (migrationsFolder) => migratePglite(db, { migrationsFolder }),
  };
}

/** Applies every migration in the folder (default: the package's /migrations) not yet applied. */
export async function migrateDatabase(gdb: GraphDb, migrationsFolder = DEFAULT_MIGRATIONS_FOLDER): Promise<void> {
  await gdb.migrate(migrationsFolder);
}

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

function latestMigrationMillis(migrationsFolder: string): number {
  const journalPath = join(migrationsFolder, 'meta', '_journal.json');
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
  } catch (err) {
    throw new Error(`cannot read the migrations journal ${journalPath}: ${(err as Error).message}`);
  }
  return journal.entries.reduce((max, e) => Math.max(max, e.when), 0);
}

/** True when the database has every migration of the folder applied (for readiness checks). */
export async function migrationsCurrent(gdb: GraphDb, migrationsFolder = DEFAULT_MIGRATIONS_FOLDER): Promise<boolean> {
  const wanted = latestMigrationMillis(migrationsFolder);
  const [exists] = await gdb.execute<{ present: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!exists?.present) return false;
  const [last] = await gdb.execute<{ created_at: string | number | null }>(
    sql`select max(created_at) as created_at from drizzle.__drizzle_migrations`,
  );
  return last?.created_at != null && Number(last.created_at) >= wanted;
}
