/**
 * Batch upserts of collected rows, one statement per table and chunk.
 *
 * Every time compared here is Okta's: a row's source time (source_updated_at) is the object's
 * `lastUpdated` or, for edges Okta gives no time for, the `Date` of the response that listed them;
 * its observation time (observed_at) is that response's `Date`. Events stamp rows with their
 * `published`. The host's clock never enters a comparison.
 *
 * Freshness rule, for a row whose stored state was read from Okta: a listed row replaces it only
 * if its source time is not older, so an old page never undoes a newer one.
 *
 * For a row whose stored state an event set (source_updated_at > observed_at, or never observed):
 * Okta's list results trail writes by seconds, so a read close to the event's time may not
 * reflect it yet. Within the ambiguity window of the event's time the read replaces the event's
 * state only if the object itself says it changed since (its `lastUpdated`; edges have none).
 * A read later than that is authoritative: it reflects the event. So is a targeted re-read not
 * older than the event (`reread`): it was asked for after the event arrived, to decide exactly this
 * (Okta documents list lag as typically under a second, see libs/okta-sim/README.md). An event stamped ahead of
 * Okta's clock therefore holds its state only until reads pass its time plus the window, and
 * events more than the allowed skew ahead are rejected before they get here (event-time.ts in
 * @idgraph/normalize), so no event pins its state for long.
 *
 * The row still counts as *seen* by the run either way (last_seen_at, last_run_id), so
 * finishFullSync never tombstones an object the run did list. Replacing a row's data clears its
 * tombstone (a returning object comes back to life).
 *
 * One exception fills gaps: a row that never held a full Okta object (raw IS NULL: created from
 * an event that carried only some fields) takes the fields it lacks from a listed object even
 * when an event has already stamped it newer. Okta stamps the event's `published` a little
 * after the object's `lastUpdated` for the same change, so otherwise a user created and
 * activated by events would keep its unknown fields until it next changed in Okta.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './executor.js';
import { bulkRows, bulkValue, type BulkColumn } from './executor.js';
import type { ColumnSpec, GraphResourceSpec, Sourced } from './resource-spec.js';

/** Rows per statement: bounds the size of one statement's parameters and work. */
const CHUNK_ROWS = 2000;

function ident(name: string): SQL {
  return sql.raw(`"${name}"`);
}

/** The stored value, with a placeholder counting as missing. */
function storedValue(col: ColumnSpec): SQL {
  return col.placeholder === undefined
    ? sql`t.${ident(col.name)}`
    : sql`NULLIF(t.${ident(col.name)}, ${col.placeholder})`;
}

function list(parts: SQL[]): SQL {
  return sql.join(parts, sql.raw(', '));
}

function field(row: Sourced, col: ColumnSpec): unknown {
  return (row as unknown as Record<string, unknown>)[col.field];
}

function checkRow(spec: GraphResourceSpec, row: Sourced, index: number): void {
  if (!(row.sourceUpdatedAt instanceof Date) || Number.isNaN(row.sourceUpdatedAt.getTime())) {
    throw new Error(`${spec.tableName} row ${index}: sourceUpdatedAt must be a valid Date (the Okta-side time of the row)`);
  }
  if (row.observedAt !== undefined && (!(row.observedAt instanceof Date) || Number.isNaN(row.observedAt.getTime()))) {
    throw new Error(`${spec.tableName} row ${index}: observedAt must be a valid Date (the response's Date header) or absent`);
  }
  for (const k of spec.keys) {
    const v = field(row, k);
    // A key may be '' only where the schema says so (resource_set_id of standard roles).
    if (typeof v !== 'string' || (v === '' && !k.mayBeEmpty)) {
      throw new Error(`${spec.tableName} row ${index}: key ${k.name} must be a non-empty string, got ${JSON.stringify(v)}`);
    }
  }
  for (const col of spec.data) {
    if (col.required && (field(row, col) === null || field(row, col) === undefined)) {
      throw new Error(`${spec.tableName} row ${index} (${spec.keys.map((k) => field(row, k)).join('/')}): ${col.name} is required`);
    }
  }
}

/**
 * One row per natural key: a page may list an object twice (Okta paging under concurrent
 * changes), and PostgreSQL refuses to update one row twice in one statement. The newest
 * source time wins; on a tie, the later row.
 */
export function dedupeByKey<R extends Sourced>(spec: GraphResourceSpec, rows: readonly R[]): R[] {
  const byKey = new Map<string, R>();
  rows.forEach((row, i) => {
    checkRow(spec, row, i);
    const key = spec.keys.map((k) => field(row, k) as string).join('\u0000');
    const seen = byKey.get(key);
    if (!seen || row.sourceUpdatedAt.getTime() >= seen.sourceUpdatedAt.getTime()) byKey.set(key, row);
  });
  return [...byKey.values()];
}

export interface UpsertContext {
  tenantId: string;
  integrationId: string;
  runId: string | null;
  /** The ambiguity window (ms) around an event's time within which a read does not override it. */
  ambiguityMs: number;
  /**
   * A targeted re-read, asked for after the events about these objects were stored, to decide
   * what their times could not: a read not older than an event's time replaces its state.
   */
  reread?: boolean;
}

/** Upserts rows into one table; returns how many rows were written (inserted or touched). */
export async function upsertRows(exec: Executor, spec: GraphResourceSpec, ctx: UpsertContext, rows: readonly Sourced[]): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = dedupeByKey(spec, rows);
  const cols = [...spec.keys, ...spec.data];
  const bulkCols: BulkColumn[] = [
    ...cols.map((col) => ({ name: col.name, type: col.type })),
    { name: 'source_updated_at', type: 'timestamptz' },
    { name: 'observed_at', type: 'timestamptz' },
  ];
  if (!(ctx.ambiguityMs >= 0)) throw new Error(`upsertRows: ambiguityMs must be ≥ 0, got ${ctx.ambiguityMs}`);
  const window = sql`make_interval(secs => ${ctx.reread ? 0 : ctx.ambiguityMs / 1000}::double precision)`;
  const eventSet = sql.raw('(t."observed_at" IS NULL OR t."source_updated_at" > t."observed_at")');
  const objectNewer = sql.raw(spec.objectTime ? 'excluded."source_updated_at" >= t."source_updated_at"' : 'false');
  const fresher = sql`(CASE WHEN ${eventSet}
    THEN ${objectNewer} OR excluded."observed_at" >= t."source_updated_at" + ${window}
    ELSE excluded."source_updated_at" >= t."source_updated_at" END)`;
  const sets: SQL[] = [
    ...spec.data.map((col) => sql`${ident(col.name)} = CASE WHEN ${fresher} THEN excluded.${ident(col.name)}
      WHEN t."raw" IS NULL THEN COALESCE(${storedValue(col)}, excluded.${ident(col.name)}) ELSE t.${ident(col.name)} END`),
    // Replaced: the read's source time, even a node's lastUpdated older than the event it overrules.
    sql`"source_updated_at" = CASE WHEN ${fresher} THEN excluded."source_updated_at" ELSE t."source_updated_at" END`,
    sql`"observed_at" = CASE WHEN ${fresher} THEN excluded."observed_at" ELSE t."observed_at" END`,
    sql`"deleted_at" = CASE WHEN ${fresher} THEN NULL ELSE t."deleted_at" END`,
    sql.raw('"last_seen_at" = excluded."last_seen_at"'),
    sql.raw('"last_run_id" = excluded."last_run_id"'),
  ];
  const conflict = list([ident('tenant_id'), ident('integration_id'), ...spec.keys.map((k) => ident(k.name))]);
  let written = 0;
  for (let i = 0; i < unique.length; i += CHUNK_ROWS) {
    const chunk = unique.slice(i, i + CHUNK_ROWS).map((row) => {
      // Without the read's time (rows built by hand), the row's source time stands for it.
      const o: Record<string, unknown> = { source_updated_at: row.sourceUpdatedAt, observed_at: row.observedAt ?? row.sourceUpdatedAt };
      for (const col of cols) o[col.name] = field(row, col) ?? null;
      return o;
    });
    const result = await exec.rows<{ n: number }>(sql`
      WITH written AS (
        INSERT INTO ${ident(spec.tableName)} AS t (
          "tenant_id", "integration_id", ${list(cols.map((col) => ident(col.name)))},
          "source_updated_at", "observed_at", "first_seen_at", "last_seen_at", "last_run_id", "deleted_at")
        SELECT ${ctx.tenantId}, ${ctx.integrationId}::uuid, ${list(bulkCols.map(bulkValue))}, now(), now(), ${ctx.runId}::uuid, NULL
        FROM ${bulkRows(bulkCols, chunk)}
        ON CONFLICT (${conflict}) DO UPDATE SET ${list(sets)}
        RETURNING 1)
      SELECT count(*)::int AS n FROM written`);
    written += result[0]?.n ?? 0;
  }
  return written;
}
