/**
 * Streaming graph export in exactly `sortExportLines` order, without loading the graph.
 *
 * The sort key is (nodes before edges, kind, ids). Per integration the export walks the segments
 * the resources declare (resources.ts) in that order (app, factor, group, resource_set, role, user
 * nodes; then assigned_to group→app, assigned_to user→app, has_factor, has_role, member_of edges);
 * each segment is read in batches with keyset paging over an index whose "C"-collated id columns
 * hold rows in JavaScript string order. A tenant-wide export merges the per-integration streams.
 *
 * An edge counts as deleted when it is tombstoned or when one of its endpoint objects is
 * (Okta drops a deleted user's memberships; a later full sync will tombstone them too).
 */
import { sql, type SQL } from 'drizzle-orm';
import { compareExportLines } from './export-format.js';
import type { ExportLine } from './model.js';
import type { Executor } from './executor.js';
import { isCustomSegment, type ExportOrder, type ExportSegment, type TableSegment } from './resource-spec.js';
import { GRAPH_RESOURCE_SPECS } from './resources.js';

const BATCH = 2000;

type Row = Record<string, unknown> & { deleted: boolean };

function orderKey([type, kind, fromKind]: ExportOrder): string {
  return `${type === 'node' ? 0 : 1}\u0000${kind}\u0000${fromKind ?? ''}`;
}

/** Every resource's export segments, in sortExportLines order (see ExportOrder). */
export const EXPORT_SEGMENTS: readonly ExportSegment[] = GRAPH_RESOURCE_SPECS.flatMap((spec) => spec.export).sort((a, b) => {
  const ka = orderKey(a.order);
  const kb = orderKey(b.order);
  if (ka === kb) throw new Error(`two export segments share the place ${JSON.stringify(a.order)}: give each its own kind or fromKind`);
  return ka < kb ? -1 : 1;
});

function markDeleted(line: ExportLine, deleted: boolean, includeDeleted: boolean): ExportLine {
  return includeDeleted && deleted ? { ...line, deleted: true } : line;
}

async function* readSegment(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  seg: TableSegment,
  includeDeleted: boolean,
  batchSize: number,
): AsyncGenerator<ExportLine> {
  let cursor: string[] | null = null;
  const keyList = sql.raw(seg.sortBy.map((k) => `t."${k.name}"`).join(', '));
  const columns = sql.raw([...seg.sortBy, ...seg.fields].map((c) => `t."${c.name}" AS "${c.field}"`).join(', '));
  for (;;) {
    const after: SQL = cursor
      ? sql` AND (${keyList}) > (${sql.join(cursor.map((v) => sql`${v}`), sql.raw(', '))})`
      : sql.raw('');
    const live = includeDeleted ? sql.raw('') : sql` AND NOT ${seg.deleted}`;
    const rows: Row[] = await exec.rows<Row>(sql`
      SELECT ${columns}, ${seg.deleted} AS "deleted"
      FROM ${sql.raw(`"${seg.table}" t`)}
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid${live}${after}
      ORDER BY ${keyList}
      LIMIT ${batchSize}`);
    for (const row of rows) yield markDeleted(seg.line(row), row.deleted === true, includeDeleted);
    const last = rows[rows.length - 1];
    if (!last || rows.length < batchSize) return;
    cursor = seg.sortBy.map((k) => last[k.field] as string);
  }
}

/** All lines of one integration, sorted. */
export async function* exportIntegration(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  includeDeleted: boolean,
  batchSize = BATCH,
): AsyncGenerator<ExportLine> {
  for (const seg of EXPORT_SEGMENTS) {
    if (isCustomSegment(seg)) yield* await seg.read(exec, tenantId, integrationId, includeDeleted);
    else yield* readSegment(exec, tenantId, integrationId, seg, includeDeleted, batchSize);
  }
}

/** Merges already-sorted streams into one sorted stream. */
export async function* mergeSorted(streams: AsyncIterator<ExportLine>[]): AsyncGenerator<ExportLine> {
  const heads: { it: AsyncIterator<ExportLine>; line: ExportLine }[] = [];
  for (const it of streams) {
    const r = await it.next();
    if (!r.done) heads.push({ it, line: r.value });
  }
  while (heads.length) {
    let min = 0;
    for (let i = 1; i < heads.length; i++) if (compareExportLines(heads[i]!.line, heads[min]!.line) < 0) min = i;
    const head = heads[min]!;
    yield head.line;
    const r = await head.it.next();
    if (r.done) heads.splice(min, 1);
    else head.line = r.value;
  }
}
