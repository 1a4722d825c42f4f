/**
 * Applying graph mutations (from System Log events, or confirmed by Okta's answer to a
 * remediation), in batches.
 *
 * Each mutation carries the event's `published` time as `at`: it changes a row only when `at` is
 * not older than the row's source_updated_at, so replays and out-of-order delivery converge.
 *
 * Nor against a read that reflects it: `at` older than the row's last read from Okta
 * (observed_at, the response's `Date`) by more than the ambiguity window changes nothing.
 * Near a read, within the ambiguity window of it, timestamps cannot decide. Okta's list results trail its
 * writes by seconds, so a read made after the event's time may still show the state before it
 * (a removal published 2 s before the group's members were listed, still listed), and a read
 * before it may already show it. Such a mutation is not applied; the result names the object to
 * re-read instead (the same targeted refresh events without state ask for), and the re-read
 * decides. Deletions are final (Okta never reuses an id) and always decided by time.
 *
 * Work is done per mutation kind with one statement each (rows passed as one array parameter
 * per column), never per event, so a batch of ~1000 events costs a handful of round trips.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './executor.js';
import { bulkRows, bulkValue, type BulkColumn } from './executor.js';
import type { GraphMutation, RefreshRequest } from './model.js';
import type { ColumnSpec, GraphResourceSpec } from './resource-spec.js';
import { appGroupAssignments, appUserAssignments, groupMembers, roleAssignments, users as usersResource } from './resources.js';

export interface IngestOptions {
  /** The ambiguity window in ms (IDGRAPH_EVENT_AMBIGUITY_SECONDS); 0 decides every event by time. */
  ambiguityMs: number;
}

/** An object to re-read from Okta because an event about it came too close to its last read. */
export interface DeferredRefresh {
  integrationId: string;
  request: RefreshRequest;
}

export function checkMutations(uuid: string, mutations: readonly GraphMutation[]): void {
  for (const m of mutations) {
    if (!(m.at instanceof Date) || Number.isNaN(m.at.getTime())) throw new Error(`event ${uuid}: mutation ${m.kind} needs a valid Date in at`);
    const ids: Record<string, unknown> =
      m.kind === 'user.upsert' ? { 'user.oktaId': m.user.oktaId } : m.kind === 'group.upsert' ? { 'group.oktaId': m.group.oktaId } : m;
    if (m.kind === 'group.upsert' && (typeof m.group.name !== 'string' || m.group.name === '' || typeof m.group.groupType !== 'string' || m.group.groupType === '')) {
      throw new Error(`event ${uuid}: mutation group.upsert needs a non-empty group.name and group.groupType`);
    }
    for (const [field, value] of Object.entries(ids)) {
      if (!/Id$/.test(field) || field === 'resourceSetId') continue;
      if (typeof value !== 'string' || value === '') {
        throw new Error(`event ${uuid}: mutation ${m.kind} needs a non-empty ${field}, got ${JSON.stringify(value)}`);
      }
    }
  }
}

type Scoped<M> = M & { integrationId: string; seq: number };

/** Keeps, per key, the mutation with the latest `at` (later in the batch wins ties). */
function latestPerKey<M extends { at: Date; seq: number }>(items: M[], key: (m: M) => string): M[] {
  const best = new Map<string, M>();
  for (const m of items) {
    const k = key(m);
    const seen = best.get(k);
    if (!seen || m.at.getTime() > seen.at.getTime() || (m.at.getTime() === seen.at.getTime() && m.seq > seen.seq)) best.set(k, m);
  }
  return [...best.values()];
}

type MutationOf<K extends GraphMutation['kind']> = Extract<GraphMutation, { kind: K }>;

export class MutationBuckets {
  readonly userUpserts: Scoped<MutationOf<'user.upsert'>>[] = [];
  readonly userStatus: Scoped<MutationOf<'user.status'>>[] = [];
  readonly groupUpserts: Scoped<MutationOf<'group.upsert'>>[] = [];
  readonly appStatus: Scoped<MutationOf<'app.status'>>[] = [];
  readonly nodeDeletes: Scoped<{ table: 'users' | 'groups' | 'apps'; id: string; at: Date }>[] = [];
  readonly memberships: Scoped<{ userId: string; groupId: string; at: Date; removed: boolean }>[] = [];
  readonly appUsers: Scoped<{ appId: string; userId: string; at: Date; removed: boolean }>[] = [];
  readonly appGroups: Scoped<{ appId: string; groupId: string; at: Date; removed: boolean }>[] = [];
  readonly roles: Scoped<{ principalKind: string; principalId: string; roleId: string; resourceSetId: string; at: Date; removed: boolean }>[] = [];
  private seq = 0;

  add(integrationId: string, m: GraphMutation): void {
    const s = { integrationId, seq: this.seq++ };
    switch (m.kind) {
      case 'user.upsert':
        this.userUpserts.push({ ...m, ...s });
        break;
      case 'user.status':
        this.userStatus.push({ ...m, ...s });
        break;
      case 'group.upsert':
        this.groupUpserts.push({ ...m, ...s });
        break;
      case 'app.status':
        this.appStatus.push({ ...m, ...s });
        break;
      case 'user.delete':
        this.nodeDeletes.push({ table: 'users', id: m.userId, at: m.at, ...s });
        break;
      case 'group.delete':
        this.nodeDeletes.push({ table: 'groups', id: m.groupId, at: m.at, ...s });
        break;
      case 'app.delete':
        this.nodeDeletes.push({ table: 'apps', id: m.appId, at: m.at, ...s });
        break;
      case 'membership.add':
      case 'membership.remove':
        this.memberships.push({ userId: m.userId, groupId: m.groupId, at: m.at, removed: m.kind === 'membership.remove', ...s });
        break;
      case 'appUser.add':
      case 'appUser.remove':
        this.appUsers.push({ appId: m.appId, userId: m.userId, at: m.at, removed: m.kind === 'appUser.remove', ...s });
        break;
      case 'appGroup.add':
      case 'appGroup.remove':
        this.appGroups.push({ appId: m.appId, groupId: m.groupId, at: m.at, removed: m.kind === 'appGroup.remove', ...s });
        break;
      case 'role.add':
      case 'role.remove':
        this.roles.push({
          principalKind: m.principalKind,
          principalId: m.principalId,
          roleId: m.roleId,
          resourceSetId: m.resourceSetId,
          at: m.at,
          removed: m.kind === 'role.remove',
          ...s,
        });
        break;
      default: {
        const unknown: never = m;
        throw new Error(`unknown graph mutation kind ${JSON.stringify((unknown as { kind: unknown }).kind)}`);
      }
    }
  }
}

/** Columns a `user.upsert` may set, by the row field it carries: the users resource's data columns. */
const USER_COLUMNS: ReadonlyMap<string, ColumnSpec> = new Map(usersResource.data.map((c) => [c.field, c]));
/** Required columns rows created from events fill with a stand-in (status 'UNKNOWN'). */
const USER_PLACEHOLDERS = usersResource.data.filter((c) => c.placeholder !== undefined);
type UserFields = MutationOf<'user.upsert'>['user'];

/**
 * user.upsert: inserts a minimal row when the user is unknown (placeholders such as status
 * 'UNKNOWN' until a page or refresh tells), else sets only the fields the event carried. Grouped
 * by field set so each statement has one shape.
 */
async function applyUserUpserts(exec: Executor, tenantId: string, items: Scoped<MutationOf<'user.upsert'>>[]): Promise<void> {
  const groups = new Map<string, { fields: ColumnSpec[]; items: typeof items }>();
  for (const m of latestPerKey(items, (x) => `${x.integrationId}\u0000${x.user.oktaId}`)) {
    const user = m.user as Record<string, unknown>;
    const fields = Object.keys(user)
      .filter((f) => USER_COLUMNS.has(f) && user[f] !== undefined)
      .sort()
      .map((f) => USER_COLUMNS.get(f)!);
    const sig = fields.map((c) => c.field).join(',');
    const g = groups.get(sig) ?? { fields, items: [] };
    g.items.push(m);
    groups.set(sig, g);
  }
  for (const { fields, items: group } of groups.values()) {
    const payload = group.map((m) => {
      const o: Record<string, unknown> = { integration_id: m.integrationId, okta_id: m.user.oktaId, at: m.at };
      for (const c of fields) o[c.name] = (m.user as UserFields & Record<string, unknown>)[c.field] ?? null;
      return o;
    });
    const fieldCols: BulkColumn[] = fields.map((c) => ({ name: c.name, type: c.type }));
    const bulkCols: BulkColumn[] = [{ name: 'integration_id', type: 'uuid' }, { name: 'okta_id', type: 'text' }, { name: 'at', type: 'timestamptz' }, ...fieldCols];
    const carried = new Set(fields.map((c) => c.name));
    const others = fieldCols.filter((c) => !USER_PLACEHOLDERS.some((p) => p.name === c.name));
    // A placeholder column: the carried value (or the stand-in when it is null), else the stand-in.
    const placeholderCols = USER_PLACEHOLDERS.map((p) => ({
      name: p.name,
      value: carried.has(p.name) ? sql`coalesce(x.${sql.raw(`"${p.name}"`)}, ${p.placeholder})` : sql`${p.placeholder}`,
    }));
    const insertCols = sql.raw([...placeholderCols, ...others].map((c) => `, "${c.name}"`).join(''));
    const selectValues = [...placeholderCols.map((c) => c.value), ...others.map(bulkValue)];
    const selectCols = selectValues.length ? sql`, ${sql.join(selectValues, sql.raw(', '))}` : sql.raw('');
    const setCols = [...others.map((c) => c.name), ...placeholderCols.filter((c) => carried.has(c.name)).map((c) => c.name)];
    const sets = sql.raw(setCols.map((col) => `"${col}" = excluded."${col}", `).join(''));
    await exec.rows(sql`
      INSERT INTO "users" AS t ("tenant_id", "integration_id", "okta_id"${insertCols},
        "source_updated_at", "first_seen_at", "last_seen_at")
      SELECT ${tenantId}, x."integration_id"::uuid, x."okta_id"${selectCols}, x."at"::timestamptz, now(), now()
      FROM ${bulkRows(bulkCols, payload)}
      ON CONFLICT ("tenant_id", "integration_id", "okta_id") DO UPDATE SET ${sets}
        "source_updated_at" = excluded."source_updated_at", "deleted_at" = NULL, "last_seen_at" = excluded."last_seen_at"
      WHERE excluded."source_updated_at" >= t."source_updated_at"`);
  }
}

const PATCH_COLUMNS: BulkColumn[] = [
  { name: 'integration_id', type: 'uuid' },
  { name: 'id', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'at', type: 'timestamptz' },
];

/** Patches a node's status; an event about an object proves it exists, so it also clears a tombstone. */
/** group.upsert: creates the group, or renames it; a stored group keeps its type. Clears a tombstone. */
async function applyGroupUpserts(exec: Executor, tenantId: string, items: Scoped<MutationOf<'group.upsert'>>[]): Promise<void> {
  const latest = latestPerKey(items, (x) => `${x.integrationId}\u0000${x.group.oktaId}`);
  if (!latest.length) return;
  const cols: BulkColumn[] = [
    { name: 'integration_id', type: 'uuid' },
    { name: 'okta_id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'group_type', type: 'text' },
    { name: 'at', type: 'timestamptz' },
  ];
  const payload = latest.map((m) => ({ integration_id: m.integrationId, okta_id: m.group.oktaId, name: m.group.name, group_type: m.group.groupType, at: m.at }));
  await exec.rows(sql`
    INSERT INTO "groups" AS t ("tenant_id", "integration_id", "okta_id", "name", "group_type", "source_updated_at", "first_seen_at", "last_seen_at")
    SELECT ${tenantId}, x."integration_id"::uuid, x."okta_id", x."name", x."group_type", x."at"::timestamptz, now(), now()
    FROM ${bulkRows(cols, payload)}
    ON CONFLICT ("tenant_id", "integration_id", "okta_id") DO UPDATE SET "name" = excluded."name",
      "source_updated_at" = excluded."source_updated_at", "deleted_at" = NULL, "last_seen_at" = excluded."last_seen_at"
    WHERE excluded."source_updated_at" >= t."source_updated_at"`);
}

async function applyStatus(
  exec: Executor,
  tenantId: string,
  table: 'users' | 'apps',
  items: { integrationId: string; id: string; status: string; at: Date; seq: number }[],
): Promise<void> {
  const latest = latestPerKey(items, (x) => `${x.integrationId}\u0000${x.id}`);
  if (!latest.length) return;
  const payload = latest.map((m) => ({ integration_id: m.integrationId, id: m.id, status: m.status, at: m.at }));
  await exec.rows(sql`
    UPDATE ${sql.raw(`"${table}"`)} AS t SET "status" = x."status", "source_updated_at" = x."at"::timestamptz,
      "deleted_at" = NULL, "last_seen_at" = now()
    FROM ${bulkRows(PATCH_COLUMNS, payload)}
    WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = x."integration_id"::uuid AND t."okta_id" = x."id"
      AND x."at"::timestamptz >= t."source_updated_at"`);
}

async function applyNodeDeletes(exec: Executor, tenantId: string, items: MutationBuckets['nodeDeletes']): Promise<void> {
  for (const table of ['users', 'groups', 'apps'] as const) {
    const latest = latestPerKey(
      items.filter((i) => i.table === table),
      (x) => `${x.integrationId}\u0000${x.id}`,
    );
    if (!latest.length) continue;
    const payload = latest.map((m) => ({ integration_id: m.integrationId, id: m.id, at: m.at }));
    await exec.rows(sql`
      UPDATE ${sql.raw(`"${table}"`)} AS t SET "deleted_at" = x."at"::timestamptz, "source_updated_at" = x."at"::timestamptz
      FROM ${bulkRows(PATCH_COLUMNS.filter((c) => c.name !== 'status'), payload)}
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = x."integration_id"::uuid AND t."okta_id" = x."id"
        AND x."at"::timestamptz >= t."source_updated_at"`);
  }
}

/**
 * "If a user account is deactivated in Okta, any API token created by that user account is
 * deprovisioned at the same time" (Okta's API token guide): a deactivation or deletion tombstones
 * the user's tokens. Not deferred like the status itself: however the events are ordered, the
 * tokens the user had before it are gone (a reactivated user's older tokens stay revoked).
 */
async function retireApiTokensOf(exec: Executor, tenantId: string, items: { integrationId: string; id: string; at: Date; seq: number }[]): Promise<void> {
  const latest = latestPerKey(items, (x) => `${x.integrationId}\u0000${x.id}`);
  if (!latest.length) return;
  const payload = latest.map((m) => ({ integration_id: m.integrationId, id: m.id, at: m.at }));
  await exec.rows(sql`
    UPDATE "api_tokens" AS t SET "deleted_at" = x."at"::timestamptz, "source_updated_at" = x."at"::timestamptz
    FROM ${bulkRows(PATCH_COLUMNS.filter((c) => c.name !== 'status'), payload)}
    WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = x."integration_id"::uuid AND t."user_id" = x."id"
      AND t."deleted_at" IS NULL AND x."at"::timestamptz >= t."source_updated_at"`);
}

/**
 * Adds revive or create an edge, removes tombstone it. A remove of an edge we never saw still
 * writes a tombstoned row: it records that the edge was gone at `at`, so an older page cannot
 * bring it back.
 */
async function applyEdges<M extends EdgeMutation>(exec: Executor, tenantId: string, table: string, keys: KeyCol<M>[], items: M[]): Promise<void> {
  const latest = latestPerKey(items, (m) => [m.integrationId, ...keys.map((k) => String(k.get(m)))].join('\u0000'));
  if (!latest.length) return;
  const payload = latest.map((m) => {
    const o: Record<string, unknown> = { integration_id: m.integrationId, at: m.at, removed: m.removed };
    for (const k of keys) o[k.name] = k.get(m);
    return o;
  });
  const keyCols = keys.map((k) => `"${k.name}"`).join(', ');
  const bulkCols: BulkColumn[] = [
    { name: 'integration_id', type: 'uuid' },
    { name: 'at', type: 'timestamptz' },
    { name: 'removed', type: 'boolean' },
    ...keys.map((k) => ({ name: k.name, type: 'text' as const })),
  ];
  const xKeys: SQL = sql.raw(keys.map((k) => `x."${k.name}"`).join(', '));
  await exec.rows(sql`
    INSERT INTO ${sql.raw(`"${table}"`)} AS t ("tenant_id", "integration_id", ${sql.raw(keyCols)}, "source_updated_at",
      "deleted_at", "first_seen_at", "last_seen_at")
    SELECT ${tenantId}, x."integration_id"::uuid, ${xKeys}, x."at"::timestamptz,
      CASE WHEN x."removed"::boolean THEN x."at"::timestamptz END, now(), now()
    FROM ${bulkRows(bulkCols, payload)}
    ON CONFLICT ("tenant_id", "integration_id", ${sql.raw(keyCols)}) DO UPDATE SET
      "source_updated_at" = excluded."source_updated_at",
      "deleted_at" = excluded."deleted_at",
      "last_seen_at" = CASE WHEN excluded."deleted_at" IS NULL THEN excluded."last_seen_at" ELSE t."last_seen_at" END
    WHERE excluded."source_updated_at" >= t."source_updated_at"`);
}

/**
 * The targeted refresh that re-reads what a mutation changes; null for deletions (final) and for
 * a service app's roles (no refresh re-reads those alone).
 */
export function refreshForMutation(m: GraphMutation): RefreshRequest | null {
  switch (m.kind) {
    case 'user.upsert':
      return { kind: 'user', id: m.user.oktaId };
    case 'user.status':
      return { kind: 'user', id: m.userId };
    case 'group.upsert':
      return { kind: 'group', id: m.group.oktaId };
    case 'app.status':
      return { kind: 'app', id: m.appId };
    case 'membership.add':
    case 'membership.remove':
      return { kind: 'groupMembers', groupId: m.groupId };
    case 'appUser.add':
    case 'appUser.remove':
    case 'appGroup.add':
    case 'appGroup.remove':
      return { kind: 'appAssignments', appId: m.appId };
    case 'role.add':
    case 'role.remove':
      return m.principalKind === 'app' ? null : { kind: 'principalRoles', principalKind: m.principalKind, principalId: m.principalId };
    case 'user.delete':
    case 'group.delete':
    case 'app.delete':
      return null;
  }
}

interface KeyCol<M> {
  name: string;
  get: (m: M) => string;
}

type EdgeMutation = Record<string, unknown> & { integrationId: string; at: Date; removed: boolean; seq: number };

/** An edge resource's natural key, read from mutations by the same field names as its rows. */
function edgeKeys<M extends EdgeMutation>(spec: GraphResourceSpec): KeyCol<M>[] {
  return spec.keys.map((k) => ({ name: k.name, get: (m: M) => String(m[k.field]) }));
}

/**
 * Splits the latest mutation per row into those timestamps can decide and those within the
 * ambiguity window of the row's last read (observed_at), which are not applied: their refreshes
 * go to `deferred`. Mutations older than the read by more than the window are dropped: the read
 * reflects them. Rows never read (observed_at null) or not stored yet are decided by time.
 */
async function deferAmbiguous<M extends { integrationId: string; at: Date; seq: number }>(
  exec: Executor,
  tenantId: string,
  table: string,
  keys: KeyCol<M>[],
  items: M[],
  refresh: (m: M) => RefreshRequest | null,
  ambiguityMs: number,
  deferred: Map<string, DeferredRefresh>,
): Promise<M[]> {
  const latest = latestPerKey(items, (m) => [m.integrationId, ...keys.map((k) => k.get(m))].join('\u0000'));
  if (ambiguityMs <= 0 || latest.length === 0) return latest;
  const checkable = latest.map((m, i) => ({ m, i, request: refresh(m) })).filter((c) => c.request !== null);
  if (checkable.length === 0) return latest;
  const bulkCols: BulkColumn[] = [
    { name: 'i', type: 'integer' },
    { name: 'integration_id', type: 'uuid' },
    { name: 'at', type: 'timestamptz' },
    ...keys.map((k) => ({ name: k.name, type: 'text' as const })),
  ];
  const payload = checkable.map(({ m, i }) => {
    const o: Record<string, unknown> = { i, integration_id: m.integrationId, at: m.at };
    for (const k of keys) o[k.name] = k.get(m);
    return o;
  });
  const join = sql.raw(keys.map((k) => ` AND t."${k.name}" = x."${k.name}"`).join(''));
  const window = sql`make_interval(secs => ${ambiguityMs / 1000}::double precision)`;
  const rows = await exec.rows<{ i: number; stale: number }>(sql`
    SELECT x."i"::int AS i, (x."at"::timestamptz < t."observed_at" - ${window})::int AS stale FROM ${bulkRows(bulkCols, payload)}
    JOIN ${sql.raw(`"${table}"`)} t ON t."tenant_id" = ${tenantId} AND t."integration_id" = x."integration_id"::uuid${join}
    WHERE t."observed_at" IS NOT NULL AND x."at"::timestamptz <= t."observed_at" + ${window}`);
  if (rows.length === 0) return latest;
  // Older than the read by more than the window: the read already reflects it (a node's
  // lastUpdated-based source time alone would let a late event undo it).
  const stale = new Set(rows.filter((r) => Number(r.stale) === 1).map((r) => Number(r.i)));
  const ambiguous = new Set(rows.map((r) => Number(r.i)).filter((i) => !stale.has(i)));
  for (const { m, i, request } of checkable) {
    if (!ambiguous.has(i)) continue;
    const r = request!;
    deferred.set(`${m.integrationId}\u0000${JSON.stringify(r)}`, { integrationId: m.integrationId, request: r });
  }
  return latest.filter((_, i) => !ambiguous.has(i) && !stale.has(i));
}

/**
 * Applies each kind with one statement, after setting aside the mutations too close to their
 * row's last read (returned as refreshes). For equal times on one object: upsert, then status,
 * then delete.
 */
export async function applyMutations(exec: Executor, tenantId: string, b: MutationBuckets, opts: IngestOptions): Promise<DeferredRefresh[]> {
  const w = opts.ambiguityMs;
  const deferred = new Map<string, DeferredRefresh>();
  const defer = <M extends { integrationId: string; at: Date; seq: number }>(table: string, keys: KeyCol<M>[], items: M[], refresh: (m: M) => RefreshRequest | null) =>
    deferAmbiguous(exec, tenantId, table, keys, items, refresh, w, deferred);
  const userUpserts = await defer('users', [{ name: 'okta_id', get: (m) => m.user.oktaId }], b.userUpserts, refreshForMutation);
  if (userUpserts.length) await applyUserUpserts(exec, tenantId, userUpserts);
  const userStatus = await defer('users', [{ name: 'okta_id', get: (m) => m.userId }], b.userStatus, refreshForMutation);
  await applyStatus(exec, tenantId, 'users', userStatus.map((m) => ({ ...m, id: m.userId })));
  const groupUpserts = await defer('groups', [{ name: 'okta_id', get: (m) => m.group.oktaId }], b.groupUpserts, refreshForMutation);
  await applyGroupUpserts(exec, tenantId, groupUpserts);
  const appStatus = await defer('apps', [{ name: 'okta_id', get: (m) => m.appId }], b.appStatus, refreshForMutation);
  await applyStatus(exec, tenantId, 'apps', appStatus.map((m) => ({ ...m, id: m.appId })));
  await applyNodeDeletes(exec, tenantId, b.nodeDeletes);
  await retireApiTokensOf(exec, tenantId, [
    ...b.userStatus.filter((m) => m.status === 'DEPROVISIONED').map((m) => ({ ...m, id: m.userId })),
    ...b.nodeDeletes.filter((m) => m.table === 'users'),
  ]);
  // Edges, keyed as their resources declare (a mutation names the key fields as the rows do).
  const edge = async <M extends EdgeMutation>(spec: GraphResourceSpec, items: M[], refresh: (m: M) => RefreshRequest | null) => {
    const keys = edgeKeys<M>(spec);
    await applyEdges(exec, tenantId, spec.tableName, keys, await defer(spec.tableName, keys, items, refresh));
  };
  await edge(groupMembers, b.memberships, (m) => ({ kind: 'groupMembers', groupId: m.groupId }));
  await edge(appUserAssignments, b.appUsers, (m) => ({ kind: 'appAssignments', appId: m.appId }));
  await edge(appGroupAssignments, b.appGroups, (m) => ({ kind: 'appAssignments', appId: m.appId }));
  await edge(roleAssignments, b.roles, (m) =>
    m.principalKind === 'app' ? null : { kind: 'principalRoles', principalKind: m.principalKind as 'user' | 'group', principalId: m.principalId },
  );
  return [...deferred.values()];
}

/**
 * Applies mutations that come without a System Log event: a change Okta confirmed in its answer
 * to a remediation request, at the answer's time. The same freshness rules as events apply, so
 * the event Okta logs for the same change later converges to the same rows.
 */
export async function applyConfirmedMutations(exec: Executor, tenantId: string, integrationId: string, mutations: readonly GraphMutation[]): Promise<number> {
  checkMutations('(confirmed change)', mutations);
  const buckets = new MutationBuckets();
  for (const m of mutations) buckets.add(integrationId, m);
  // Okta's own answer to the write, not a log entry that may trail a read: decided by time, no window.
  await applyMutations(exec, tenantId, buckets, { ambiguityMs: 0 });
  return mutations.length;
}

/**
 * Applies changes pushed by SCIM provisioning, stamped with the push's time, under the rules of
 * events: a change never replaces state with a newer source time, nor state read from Okta's API
 * close to it (within the ambiguity window of the row's observed_at: the read stands, and the
 * re-read the result names is what a collection would do), nor state read after it; a later read
 * replaces it (see page-upserts.ts). Returns the re-reads that would decide the set-aside ones.
 */
export async function applyPushedMutations(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  mutations: readonly GraphMutation[],
  opts: IngestOptions,
): Promise<DeferredRefresh[]> {
  checkMutations('(pushed change)', mutations);
  const buckets = new MutationBuckets();
  for (const m of mutations) buckets.add(integrationId, m);
  return applyMutations(exec, tenantId, buckets, opts);
}
