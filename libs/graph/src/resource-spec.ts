/**
 * The machinery behind resources.ts: what a graph resource's declaration holds, and what the store
 * derives from it together with the drizzle table (the schema stays the single source of truth for
 * columns):
 * - the row type normalizers produce: the table's own columns (not graphColumns), plus `raw` when
 *   the resource keeps Okta's object, plus the Okta-side times (model.ts names one per resource);
 * - the natural key: the table's primary key after (tenant_id, integration_id);
 * - the columns a page upsert writes (page-upserts.ts), their bulk types, which are required (NOT
 *   NULL) and the placeholders rows created from events hold;
 * - the fields a tombstone pass can be narrowed by (full-sync.ts);
 * - how its rows appear in the graph export and when a line counts as deleted (export-graph.ts).
 */
import { getTableColumns, getTableName, sql, type InferSelectModel, type SQL } from 'drizzle-orm';
import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './executor.js';
import type { ExportLine } from './model.js';
import { GRAPH_COLUMN_FIELDS, type GraphColumnField } from './schema.js';

/** Okta-side times every collected row carries (see model.ts). */
export interface Sourced {
  sourceUpdatedAt: Date;
  /**
   * Okta-side time of the read that returned the row: the response's `Date` (Okta's clock, never
   * the host's). Absent: the row's source time stands for it.
   */
  observedAt?: Date;
}

/** A graph table's own fields: its columns other than graphColumns(). */
export type OwnField<T extends PgTable> = Exclude<keyof InferSelectModel<T>, GraphColumnField> & string;
export type OwnRow<T extends PgTable> = Pick<InferSelectModel<T>, OwnField<T>>;

/** A row as normalizers produce it and page upserts write it. */
export type GraphRow<T extends PgTable, Raw extends boolean> = OwnRow<T> & (Raw extends true ? { raw: unknown } : unknown) & Sourced;

/** Column types as bulk parameters carry them (executor.ts). */
export type ColumnType = 'text' | 'timestamptz' | 'boolean' | 'integer' | 'jsonb';

export interface ColumnSpec {
  /** The row field (the drizzle property). */
  field: string;
  /** The SQL column. */
  name: string;
  type: ColumnType;
  /** NOT NULL in the schema: checked up front so the error names the row and field. */
  required: boolean;
  /** A stand-in value that rows created from events hold until a full object arrives. */
  placeholder?: string;
  /** A key column whose schema default is '' may hold '' (resource_set_id of a standard role's assignment). */
  mayBeEmpty: boolean;
}

/** Where a line goes in the export's order: nodes before edges, then by kind, then (edges) by the kind of their `from`. */
export type ExportOrder = readonly [type: 'node' | 'edge', kind: string, fromKind?: string];

/** A row another row points at: when it is tombstoned, the line counts as deleted. */
export interface Endpoint<F extends string = string> {
  /** The field holding the other row's id. */
  field: F;
  /** The node table it points into (keyed by okta_id). */
  table: PgTable;
  /** Only for rows where this field equals (`is`) or differs from (`isNot`) a value. */
  when?: { field: F; is?: string; isNot?: string };
}

/** A segment of the export read from the resource's table, keyset-paged over `sortBy`. */
export interface TableSegmentInput<T extends PgTable, K extends OwnField<T>, F extends OwnField<T>> {
  order: ExportOrder;
  /** Fields in the line's sort order ("C"-collated text, so SQL order = JavaScript order); an index must cover them. */
  sortBy: readonly K[];
  /** Other fields the line needs. */
  fields?: readonly F[];
  endpoints?: readonly Endpoint<OwnField<T>>[];
  line(row: Pick<OwnRow<T>, K | F>): ExportLine;
}

export interface TableSegment {
  order: ExportOrder;
  table: string;
  sortBy: readonly { field: string; name: string }[];
  fields: readonly { field: string; name: string }[];
  /** SQL over the table aliased t: the line counts as deleted. */
  deleted: SQL;
  line(row: Record<string, unknown>): ExportLine;
}

/** A segment read whole by its own query (small sets that are no one table's rows, such as role nodes). */
export interface CustomSegment {
  order: ExportOrder;
  read(exec: Executor, tenantId: string, integrationId: string, includeDeleted: boolean): Promise<ExportLine[]>;
}

export type ExportSegment = TableSegment | CustomSegment;

export function isCustomSegment(seg: ExportSegment): seg is CustomSegment {
  return 'read' in seg;
}

export type SegmentBuilder<T extends PgTable> = <const K extends OwnField<T>, const F extends OwnField<T> = never>(
  input: TableSegmentInput<T, K, F>,
) => TableSegment;

export interface ResourceDeclaration<Name extends string, Rows extends string, T extends PgTable, Raw extends boolean, Scope extends OwnField<T>> {
  /** The resource's name in runs, checkpoints and finishFullSync. */
  name: Name;
  /** Its key in PageRows (a page's rows) and GraphCounts. */
  rows: Rows;
  /** Rows keep Okta's object as received (`raw`); edges Okta lists without an object of their own do not. */
  raw: Raw;
  /** Rows carry the object's own `lastUpdated` as source time (nodes); edges carry the read's time. */
  objectTime: boolean;
  /** Stand-in values of required columns for rows created from events (see UNKNOWN_STATUS). */
  placeholders?: Partial<Record<OwnField<T>, string>>;
  /**
   * What a complete full collection covers: every row of the integration, or (for targeted
   * re-reads) only those whose given fields match. The fields a tombstone pass can be narrowed by.
   */
  tombstoneScopes: readonly Scope[];
  /** The resource's export lines. */
  export: (segment: SegmentBuilder<T>) => readonly ExportSegment[];
}

export interface GraphResourceSpec<
  Name extends string = string,
  Rows extends string = string,
  T extends PgTable = PgTable,
  Raw extends boolean = boolean,
  Scope extends string = string,
> {
  name: Name;
  rows: Rows;
  table: T;
  tableName: string;
  raw: Raw;
  objectTime: boolean;
  /** The natural key after (tenant_id, integration_id), in primary-key order. */
  keys: readonly ColumnSpec[];
  /** Every other column a page writes (its own columns, then raw when kept). */
  data: readonly ColumnSpec[];
  /** Scope field → column. */
  tombstoneScopes: Readonly<Record<Scope, string>>;
  export: readonly ExportSegment[];
}

/** The row type of a declared resource. */
export type RowOf<S> = S extends GraphResourceSpec<string, string, infer T, infer Raw> ? GraphRow<T, Raw> : never;

function columnType(resource: string, field: string, col: PgColumn): ColumnType {
  switch (col.columnType) {
    case 'PgText':
      return 'text';
    case 'PgCustomColumn':
      if (col.getSQLType().startsWith('text')) return 'text';
      break;
    case 'PgTimestamp':
      return 'timestamptz';
    case 'PgBoolean':
      return 'boolean';
    case 'PgInteger':
      return 'integer';
    case 'PgJsonb':
      return 'jsonb';
  }
  throw new Error(`resource ${resource}: column ${col.name} (${field}) is ${col.getSQLType()}, which page upserts cannot write yet (add it to columnType in resource-spec.ts)`);
}

/** Declares a graph resource over its drizzle table; everything else the store does with it is derived. */
export function graphResource<const Name extends string, const Rows extends string, T extends PgTable, const Raw extends boolean, const Scope extends OwnField<T> = never>(
  table: T,
  decl: ResourceDeclaration<Name, Rows, T, Raw, Scope>,
): GraphResourceSpec<Name, Rows, T, Raw, Scope> {
  const tableName = getTableName(table);
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  // By SQL name: the primary key's columns are not the table's column objects themselves.
  const fieldOf = new Map(Object.entries(columns).map(([field, col]) => [col.name, field]));
  const placeholders = (decl.placeholders ?? {}) as Record<string, string | undefined>;
  const spec = (field: string, col: PgColumn): ColumnSpec => {
    const placeholder = placeholders[field];
    return {
      field,
      name: col.name,
      type: columnType(decl.name, field, col),
      required: col.notNull,
      mayBeEmpty: col.default === '',
      ...(placeholder === undefined ? {} : { placeholder }),
    };
  };
  const [pk] = getTableConfig(table).primaryKeys;
  const pkFields = (pk?.columns ?? []).map((c) => fieldOf.get(c.name)!);
  if (pkFields[0] !== 'tenantId' || pkFields[1] !== 'integrationId' || pkFields.length < 3) {
    throw new Error(`resource ${decl.name}: table ${tableName} needs the primary key (tenant_id, integration_id, …natural key)`);
  }
  const keyFields = pkFields.slice(2);
  const bookkeeping = new Set<string>(GRAPH_COLUMN_FIELDS);
  const keys = keyFields.map((f) => spec(f, columns[f]!));
  const data = Object.entries(columns)
    .filter(([field]) => !bookkeeping.has(field) && !keyFields.includes(field))
    .map(([field, col]) => spec(field, col));
  if (decl.raw) data.push(spec('raw', columns['raw']!));
  for (const field of Object.keys(placeholders)) {
    if (!data.some((c) => c.field === field)) throw new Error(`resource ${decl.name}: placeholder for ${field}, which is not one of its data columns`);
  }
  const nameOf = (field: string): string => {
    const col = columns[field];
    if (!col || bookkeeping.has(field)) throw new Error(`resource ${decl.name}: ${field} is not a field of table ${tableName}`);
    return col.name;
  };
  const tombstoneScopes = Object.fromEntries(decl.tombstoneScopes.map((f) => [f, nameOf(f)])) as Record<Scope, string>;
  const segment: SegmentBuilder<T> = (input) => ({
    order: input.order,
    table: tableName,
    sortBy: input.sortBy.map((field) => ({ field, name: nameOf(field) })),
    fields: (input.fields ?? []).map((field) => ({ field, name: nameOf(field) })),
    deleted: deletedWhen((input.endpoints ?? []).map((e) => tombstonedEndpoint(e, nameOf))),
    line: input.line as (row: Record<string, unknown>) => ExportLine,
  });
  return {
    name: decl.name,
    rows: decl.rows,
    table,
    tableName,
    raw: decl.raw,
    objectTime: decl.objectTime,
    keys,
    data,
    tombstoneScopes,
    export: decl.export(segment),
  };
}

/** The id column of a node table: the last column of its primary key. */
function nodeIdColumn(table: PgTable): string {
  const [pk] = getTableConfig(table).primaryKeys;
  const last = pk?.columns[pk.columns.length - 1];
  if (!last) throw new Error(`table ${getTableName(table)} has no primary key to point at`);
  return last.name;
}

/**
 * "the row an endpoint points at is tombstoned", as a correlated subquery: always an index
 * lookup on the full primary key, whatever the table statistics say (a join planned on stale
 * statistics degrades to scanning the whole integration per row).
 */
export function tombstonedEndpoint(endpoint: Endpoint, nameOf: (field: string) => string = (f) => f): string {
  const when = endpoint.when;
  const condition = when
    ? when.is !== undefined
      ? ` AND t."${nameOf(when.field)}" = '${when.is.replace(/'/g, "''")}'`
      : ` AND t."${nameOf(when.field)}" <> '${(when.isNot ?? '').replace(/'/g, "''")}'`
    : '';
  return (
    `EXISTS (SELECT 1 FROM "${getTableName(endpoint.table)}" x WHERE x."tenant_id" = t."tenant_id" AND x."integration_id" = t."integration_id"` +
    ` AND x."${nodeIdColumn(endpoint.table)}" = t."${nameOf(endpoint.field)}" AND x."deleted_at" IS NOT NULL${condition})`
  );
}

/** The line counts as deleted: its row is tombstoned, or one of the rows it points at is. */
export function deletedWhen(endpoints: readonly string[]): SQL {
  if (endpoints.length === 0) return sql.raw('t."deleted_at" IS NOT NULL');
  return sql.raw(`(t."deleted_at" IS NOT NULL${endpoints.map((p) => ` OR ${p}`).join('')})`);
}
