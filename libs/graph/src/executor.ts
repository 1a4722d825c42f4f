/**
 * The one thing store helpers run SQL through: the database or an open transaction.
 * Nested `tx()` calls become savepoints, so helpers can always ask for atomicity.
 */
import type { Writable } from 'node:stream';
import { sql, type SQL } from 'drizzle-orm';
import { retry } from '@idgraph/core';
import type { GraphDrizzle } from './db.js';
import { rowsOf } from './db.js';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER } from './copy-binary.js';

export interface Executor {
  /** drizzle query builder over the database or the current transaction. */
  readonly db: GraphDrizzle;
  /**
   * Raw SQL, rows normalised across drivers (timestamps come back as strings: cast or map).
   * `prepare`: run it as a named prepared statement (PostgreSQL; the connection keeps it), so the
   * server parses it once per connection and can reuse its plan. For queries whose text is fixed
   * and that run on every request (the API's read models): drizzle sends each raw query unnamed,
   * parsed and planned anew, which was most of the server's time on the person route. Not for
   * `SELECT *` or text that varies with its input (each text is kept until the connection closes).
   */
  rows<Row = Record<string, unknown>>(query: SQL, opts?: { prepare?: boolean }): Promise<Row[]>;
  tx<T>(fn: (exec: Executor) => Promise<T>): Promise<T>;
  /**
   * COPY … FROM STDIN in binary format of tuples already encoded (CopyTupleWriter), given in
   * pieces of whole tuples (a run of many is one piece), on this executor's connection (inside its
   * transaction). Null where the driver has no COPY (PGlite): use INSERT instead.
   */
  readonly copyIn: ((table: string, columns: readonly string[], tuples: readonly Uint8Array[]) => Promise<void>) | null;
}

/** The postgres-js connection behind a drizzle database or transaction; null for other drivers. */
function postgresJsClientOf(db: GraphDrizzle): PostgresJsClient | null {
  // drizzle keeps the driver's client on its session (a transaction's session holds the
  // reserved connection); postgres-js clients are recognised by `unsafe`, which PGlite lacks.
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  return client && typeof (client as { unsafe?: unknown }).unsafe === 'function' ? (client as PostgresJsClient) : null;
}

type PostgresJsClient = {
  unsafe(query: string): { writable(): Promise<Writable> };
  unsafe(query: string, params: unknown[], opts: { prepare: boolean }): Promise<unknown>;
};

/** drizzle's SQL compiler for the database (the same one db.execute uses). */
function dialectOf(db: GraphDrizzle): { sqlToQuery(query: SQL): { sql: string; params: unknown[] } } {
  return (db as unknown as { dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } } }).dialect;
}

/** Bytes handed to the COPY stream per write: large enough to amortise, small enough to stream. */
const COPY_CHUNK_BYTES = 1 << 20;

async function copyInWith(client: PostgresJsClient, table: string, columns: readonly string[], tuples: readonly Uint8Array[]): Promise<void> {
  if (tuples.length === 0) return;
  const stream = await client.unsafe(`COPY "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN (FORMAT binary)`).writable();
  // The server can refuse the data while it is still being written (a duplicate key in the first
  // rows): the first error ends the copy, later write errors are its echo.
  let failure: Error | null = null;
  let settle: (() => void) | null = null;
  const wake = () => settle?.();
  stream.on('error', (err: Error) => {
    failure ??= err;
    wake();
  });
  stream.on('drain', wake);
  stream.on('finish', wake);
  const waitFor = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      if (failure || ready()) return resolve();
      settle = () => {
        if (failure || ready()) {
          settle = null;
          resolve();
        }
      };
    });
  const send = async (data: Uint8Array) => {
    for (let at = 0; at < data.length && !failure; at += COPY_CHUNK_BYTES) {
      if (!stream.write(data.subarray(at, at + COPY_CHUNK_BYTES))) await waitFor(() => !stream.writableNeedDrain);
    }
  };
  await send(COPY_BINARY_HEADER);
  for (const piece of tuples) {
    if (failure) break;
    await send(piece);
  }
  if (!failure) await send(COPY_BINARY_TRAILER);
  if (!failure) stream.end();
  await waitFor(() => stream.writableFinished);
  if (failure) throw failure;
}

/** SQLSTATEs after which the whole transaction can simply run again: deadlock, serialization failure. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const TX_ATTEMPTS = 5;

export function isRetryableTxError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return true;
  }
  return false;
}

/**
 * `nested`: inside a transaction, `tx()` is a savepoint and never retried (the outer transaction
 * is aborted anyway). At the top, a transaction that lost a deadlock or a serialization conflict
 * (concurrent page commits and event batches touching the same rows) runs again from the start.
 */
export function executorOf(db: GraphDrizzle, nested = false): Executor {
  const client = postgresJsClientOf(db);
  return {
    db,
    copyIn: client ? (table, columns, rows) => copyInWith(client, table, columns, rows) : null,
    rows: async <Row>(query: SQL, opts?: { prepare?: boolean }) => {
      if (opts?.prepare && client) {
        const q = dialectOf(db).sqlToQuery(query);
        return rowsOf<Row>(await client.unsafe(q.sql, q.params, { prepare: true }));
      }
      return rowsOf<Row>(await db.execute(query));
    },
    tx: (fn) =>
      retry(() => db.transaction((t) => fn(executorOf(t as unknown as GraphDrizzle, true))), {
        attempts: nested ? 1 : TX_ATTEMPTS,
        retryable: isRetryableTxError,
        baseMs: 40,
        capMs: 1_000,
        jitter: 'equal',
      }),
  };
}

/**
 * A value as ONE JSON text parameter, for queries that expand it in SQL (findings.ts uses
 * jsonb_to_recordset). Write it as `${jsonParam(v)}::text::jsonb`: the `::text` keeps drivers from
 * JSON-encoding the string a second time. Rows to insert or update go through bulkRows instead.
 */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

/** A text[] as PostgreSQL's array input: every element quoted, `"` and `\\` escaped. */
function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** Column types bulkRows carries; `jsonb` values are serialised with JSON.stringify. */
export type BulkType = 'text' | 'uuid' | 'timestamptz' | 'boolean' | 'integer' | 'jsonb' | 'text[]';

export interface BulkColumn {
  name: string;
  type: BulkType;
}

function toText(type: BulkType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'jsonb') return JSON.stringify(value);
  if (type === 'text[]') return textArrayLiteral(value as readonly string[]);
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * Rows as a set for INSERT … SELECT / UPDATE … FROM (page upserts, event mutations, events on
 * PGlite): one text[] parameter per column, expanded with unnest into `x("col", …)`. Cheaper for
 * PostgreSQL than expanding one big JSON document with jsonb_to_recordset (measured 10-50% faster
 * when events were inserted this way), and the parameter count stays at one per column whatever
 * the number of rows (no 65k-parameter limit). Read values with `bulkValue`.
 */
export function bulkRows(columns: readonly BulkColumn[], rows: readonly Record<string, unknown>[]): SQL {
  const arrays = columns.map((col) => sql`${sql.param(rows.map((row) => toText(col.type, row[col.name])))}::text[]`);
  const names = sql.raw(columns.map((col) => `"${col.name}"`).join(', '));
  return sql`unnest(${sql.join(arrays, sql.raw(', '))}) AS x(${names})`;
}

/** `x."name"` cast to its column type. */
export function bulkValue(col: BulkColumn): SQL {
  return sql.raw(col.type === 'text' ? `x."${col.name}"` : `x."${col.name}"::${col.type}`);
}
