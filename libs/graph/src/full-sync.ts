/**
 * Tombstoning after a complete full collection: what the run did not see is gone in Okta.
 * Left alone are rows another run, a targeted refresh or an event saw after this run started
 * (last_seen_at >= run start: e.g. an event applied during the run is newer than anything the run
 * could have missed), and rows an event set shortly before the run started (within the ambiguity
 * window: Okta's list results trail writes by seconds, so the run's reads may not show them yet).
 *
 * Both sides of those comparisons are the database's clock (when we stored something), never an
 * Okta time against a host time: with a host clock minutes off Okta's, comparing an event's
 * `published` with the run's start would tombstone fresh rows or keep a stale row alive, and an
 * event stamped in the future would be safe from every later full collection.
 * Nothing is ever deleted. What a pass covers, and how it can be narrowed, each resource declares
 * (tombstoneScopes in resources.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './executor.js';
import type { GraphResourceSpec } from './resource-spec.js';
import { GRAPH_RESOURCES, resourceSpec, type FullSyncScope } from './resources.js';

export type { FullSyncScope };

function scopeFilter(spec: GraphResourceSpec, scope: FullSyncScope | undefined): SQL {
  const parts: SQL[] = [];
  const columns = spec.tombstoneScopes as Readonly<Record<string, string>>;
  for (const [field, value] of Object.entries(scope ?? {})) {
    if (value === undefined) continue;
    const column = columns[field];
    if (!column) {
      const allowed = Object.keys(columns);
      throw new Error(
        `finishFullSync: resource ${spec.name} cannot be scoped by ${field}` +
          (allowed.length ? ` (it can by ${allowed.join(', ')})` : ' (it has no scopes: pass none)'),
      );
    }
    parts.push(sql` AND ${sql.raw(`"${column}"`)} = ${value}`);
  }
  return sql.join(parts, sql.raw(''));
}

export interface FullSyncRun {
  id: string;
  tenantId: string;
  integrationId: string;
  status: string;
  resourceState: string | undefined;
}

/** Tombstones unseen rows of one resource; returns how many were tombstoned. */
export async function tombstoneUnseen(
  exec: Executor,
  run: FullSyncRun,
  resource: string,
  scope: FullSyncScope | undefined,
  ambiguityMs: number,
): Promise<number> {
  if (run.status === 'failed' || run.status === 'partial') {
    throw new Error(`finishFullSync refused: run ${run.id} is ${run.status}; only a complete run may tombstone what it did not see`);
  }
  if (run.resourceState === 'failed' || run.resourceState === 'skipped') {
    throw new Error(`finishFullSync refused: resource ${resource} of run ${run.id} ${run.resourceState === 'failed' ? 'failed' : 'was skipped'}; nothing is tombstoned after an incomplete collection`);
  }
  if (resource === 'system_log') return 0; // events are a log, never tombstoned
  const spec = resourceSpec(resource);
  if (!spec) {
    throw new Error(`finishFullSync: unknown resource ${JSON.stringify(resource)}; expected one of ${GRAPH_RESOURCES.join(', ')}`);
  }
  const filter = scopeFilter(spec, scope);
  // The run's start is read in SQL: it has microseconds, a JavaScript Date only milliseconds.
  const rows = await exec.rows<{ n: number }>(sql`
    WITH run AS (SELECT "started_at" FROM "collection_runs" WHERE "id" = ${run.id}::uuid),
    gone AS (
      UPDATE ${sql.raw(`"${spec.tableName}"`)} SET "deleted_at" = now()
      WHERE "tenant_id" = ${run.tenantId} AND "integration_id" = ${run.integrationId}::uuid
        AND "deleted_at" IS NULL
        AND "last_run_id" IS DISTINCT FROM ${run.id}::uuid
        AND "last_seen_at" < (SELECT "started_at" FROM run)
        AND NOT (("observed_at" IS NULL OR "source_updated_at" > "observed_at")
          AND "last_seen_at" >= (SELECT "started_at" FROM run) - make_interval(secs => ${ambiguityMs / 1000}::double precision))${filter}
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`);
  // A whole-resource pass just (re)wrote the table: refresh planner statistics now rather than
  // waiting for autovacuum, or the first export/posture query after an initial load is planned
  // blind. Scoped passes (targeted refreshes) touch a few rows and skip this.
  if (!scope || Object.values(scope).every((v) => v === undefined)) await exec.rows(sql.raw(`ANALYZE "${spec.tableName}"`));
  return rows[0]?.n ?? 0;
}
