/**
 * The one thing store helpers run SQL through: the database or an open transaction.
 * Nested `tx()` calls become savepoints, so helpers can always ask for atomicity.
 */
import type { SQL } from 'drizzle-orm';
import type { GraphDrizzle } from './db.js';
import { rowsOf } from './db.js';

export interface Executor {
  /** drizzle query builder over the database or the current transaction. */
  readonly db: GraphDrizzle;
  /** Raw SQL, rows normalised across drivers (timestamps come back as strings: cast or map). */
  rows<Row = Record<string, unknown>>(query: SQL): Promise<Row[]>;
  tx<T>(fn: (exec: Executor) => Promise<T>): Promise<T>;
}

export function executorOf(db: GraphDrizzle): Executor {
  return {
    db,
    rows: async <Row>(query: SQL) => rowsOf<Row>(await db.execute(query)),
    tx: (fn) => db.transaction((t) => fn(executorOf(t as unknown as GraphDrizzle))),
  };
}

/**
 * Rows travel to PostgreSQL as ONE json parameter expanded with jsonb_to_recordset: a page of
 * thousands of rows is one bind value (no 65k-parameter limit, little driver overhead). The
 * `::text::jsonb` cast keeps drivers from JSON-encoding the string a second time.
 */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}
