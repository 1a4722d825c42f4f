/**
 * Storing System Log events once and applying their graph mutations, in batches.
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
import type { GraphMutation, LogEventRow, RefreshRequest } from './model.js';
import type { Executor } from './executor.js';
import { bulkRows, bulkValue, type BulkColumn, type BulkType } from './executor.js';
import { CopyTupleWriter, copyTupleEnd, copyTupleField } from './copy-binary.js';
import { COPY_EVENT_COLUMNS, EVENT_TUPLE_FIELDS, rawText, writeEventCopyTuple, type EventVia } from './event-copy.js';
import { conflictingDuplicates, storedEventHashes } from './event-conflicts.js';

export { writeEventCopyTuple, type EventVia };
import type { ColumnSpec } from './resource-spec.js';
import { users as usersResource } from './resources.js';


export interface IngestItem {
  integrationId: string;
  row: LogEventRow;
  mutations: GraphMutation[];
  via: EventVia;
}

/** An object to re-read from Okta because an event about it came too close to its last read. */
export interface DeferredRefresh {
  integrationId: string;
  request: RefreshRequest;
}

export interface IngestOptions {
  /** The ambiguity window in ms (IDGRAPH_EVENT_AMBIGUITY_SECONDS); 0 decides every event by time. */
  ambiguityMs: number;
}

export interface IngestResult {
  /** Events stored now for the first time. */
  stored: number;
  /** Events already stored before (or twice in this batch), the same event again: their mutations were not applied again. */
  duplicates: number;
  /** Events whose uuid was stored already with other content: the stored event stays, their mutations were not applied. */
  conflicts: number;
  /** Their uuids, one per conflicting copy. */
  conflictUuids: string[];
  /** Mutations of newly stored events (applied, or deferred to a re-read). */
  applied: number;
  storedUuids: string[];
  /** Re-reads asked for instead of applying mutations too close to their object's last read; each once. */
  deferred: DeferredRefresh[];
}

const VIAS: readonly EventVia[] = ['poll', 'stream', 'file'];

function checkItem(item: IngestItem, index: number): void {
  const r = item.row;
  if (!item.integrationId) throw new Error(`event ${index}: integrationId is required`);
  if (typeof r.uuid !== 'string' || r.uuid === '') throw new Error(`event ${index}: uuid must be a non-empty string`);
  if (!(r.published instanceof Date) || Number.isNaN(r.published.getTime())) {
    throw new Error(`event ${r.uuid}: published must be a valid Date`);
  }
  if (typeof r.eventType !== 'string' || r.eventType === '') throw new Error(`event ${r.uuid}: eventType must be a non-empty string`);
  if (!VIAS.includes(item.via)) throw new Error(`event ${r.uuid}: via must be one of ${VIAS.join(', ')}, got ${JSON.stringify(item.via)}`);
  checkMutations(r.uuid, item.mutations);
}

function checkMutations(uuid: string, mutations: readonly GraphMutation[]): void {
  for (const m of mutations) {
    if (!(m.at instanceof Date) || Number.isNaN(m.at.getTime())) throw new Error(`event ${uuid}: mutation ${m.kind} needs a valid Date in at`);
    const ids: Record<string, unknown> = m.kind === 'user.upsert' ? { 'user.oktaId': m.user.oktaId } : m;
    for (const [field, value] of Object.entries(ids)) {
      if (!/Id$/.test(field) || field === 'resourceSetId') continue;
      if (typeof value !== 'string' || value === '') {
        throw new Error(`event ${uuid}: mutation ${m.kind} needs a non-empty ${field}, got ${JSON.stringify(value)}`);
      }
    }
  }
}

/**
 * Inserts the events, ignoring ones already stored; returns `${integrationId}\u0000${uuid}` of the
 * new ones, and the uuids of the duplicates that differ from the stored event (see event-conflicts.ts).
 */
async function insertEvents(exec: Executor, tenantId: string, items: readonly IngestItem[]): Promise<{ fresh: Set<string>; conflictUuids: string[] }> {
  if (exec.copyIn) return copyEvents(exec, tenantId, items);
  const fresh = await insertEventsReturning(exec, tenantId, items);
  const left = new Set(fresh);
  const duplicates = new Map<string, { uuid: string; raw: string | null }[]>();
  for (const i of items) {
    // delete(): the first copy of a uuid is the one stored; later ones are duplicates.
    if (left.delete(eventKey(i.integrationId, i.row.uuid))) continue;
    const list = duplicates.get(i.integrationId) ?? [];
    list.push({ uuid: i.row.uuid, raw: rawText(i.row) });
    duplicates.set(i.integrationId, list);
  }
  const conflictUuids: string[] = [];
  for (const [integrationId, list] of duplicates) conflictUuids.push(...(await conflictingDuplicates(exec, tenantId, integrationId, list)));
  return { fresh, conflictUuids };
}

const eventKey = (integrationId: string, uuid: string): string => `${integrationId}\u0000${uuid}`;

async function insertEventsReturning(exec: Executor, tenantId: string, items: readonly IngestItem[]): Promise<Set<string>> {
  const payload = items.map((i) => ({
    integration_id: i.integrationId,
    uuid: i.row.uuid,
    published: i.row.published,
    event_type: i.row.eventType,
    severity: i.row.severity,
    actor_id: i.row.actorId,
    outcome: i.row.outcome,
    received_via: i.via,
    raw: rawText(i.row),
  }));
  const rows = await exec.rows<{ integration_id: string; uuid: string }>(sql`
    INSERT INTO "log_events" ("tenant_id", ${columnList(EVENT_COLUMNS)})
    SELECT ${tenantId}, ${sql.join(EVENT_COLUMNS.map(bulkValue), sql.raw(', '))}
    FROM ${bulkRows(EVENT_COLUMNS, payload)}
    ON CONFLICT ("tenant_id", "integration_id", "uuid") DO NOTHING
    RETURNING "integration_id"::text AS integration_id, "uuid"`);
  return new Set(rows.map((r) => eventKey(r.integration_id, r.uuid)));
}

const COPY_ATTEMPTS = 4;
const UNIQUE_VIOLATION = '23505';

/**
 * The bulk path (PostgreSQL): each integration's events are encoded as binary COPY tuples and
 * copied by copyNewEvents, like an encoded batch.
 */
async function copyEvents(exec: Executor, tenantId: string, items: readonly IngestItem[]): Promise<{ fresh: Set<string>; conflictUuids: string[] }> {
  const byIntegration = new Map<string, IngestItem[]>();
  for (const i of items) {
    const group = byIntegration.get(i.integrationId);
    if (group) group.push(i);
    else byIntegration.set(i.integrationId, [i]);
  }
  const fresh = new Set<string>();
  const conflictUuids: string[] = [];
  for (const [integrationId, group] of byIntegration) {
    const writer = new CopyTupleWriter(group.length * 2048);
    const tupleEnds = group.map((i) => {
      writeEventCopyTuple(writer, tenantId, integrationId, i.row, i.via);
      return writer.length;
    });
    const uuids = group.map((i) => i.row.uuid);
    const copied = await copyNewEvents(exec, tenantId, { integrationId, uuids, tuples: writer.take(), tupleEnds }, false);
    for (const index of copied.storedIndexes) fresh.add(eventKey(integrationId, uuids[index]!));
    conflictUuids.push(...copied.conflictUuids);
  }
  return { fresh, conflictUuids };
}

/**
 * COPYs the events of one integration that are not stored yet, the first of each uuid, and
 * returns their indexes, with the uuids of the duplicates whose content differs. COPY costs the
 * server and the client far less than an INSERT with array parameters, but has no ON CONFLICT,
 * so it is optimistic: when the primary key refuses an event stored before (a replay, a
 * redelivery, or a concurrent writer that got there first), the COPY is rolled back to its
 * savepoint, the stored events are looked up, and the rest is copied again.
 * `lookUpFirst`: look up before the first COPY, for a batch that is likely a replay.
 */
async function copyNewEvents(
  exec: Executor,
  tenantId: string,
  batch: { integrationId: string; uuids: readonly string[]; tuples: Uint8Array; tupleEnds: ArrayLike<number> },
  lookUpFirst: boolean,
): Promise<{ storedIndexes: number[]; conflictUuids: string[] }> {
  const { integrationId, uuids, tuples, tupleEnds } = batch;
  // uuid → hash of the stored event's text, for telling duplicates from conflicts.
  let stored: Map<string, string | null> | null = lookUpFirst ? await storedEventHashes(exec, tenantId, integrationId, uuids) : null;
  for (let attempt = 1; ; attempt++) {
    const seen = new Set<string>();
    const storedIndexes: number[] = [];
    // Runs of adjacent tuples to copy: the whole buffer as one view when nothing is skipped.
    const copying: Uint8Array[] = [];
    let runStart = -1;
    for (let i = 0, start = 0; i < uuids.length; start = tupleEnds[i]!, i++) {
      const uuid = uuids[i]!;
      if (seen.has(uuid) || stored?.has(uuid)) {
        if (runStart >= 0) copying.push(tuples.subarray(runStart, start));
        runStart = -1;
        continue;
      }
      seen.add(uuid);
      storedIndexes.push(i);
      if (runStart < 0) runStart = start;
    }
    if (runStart >= 0) copying.push(tuples.subarray(runStart, tuples.length));
    try {
      // A savepoint's executor runs on the same connection, so it can COPY too.
      if (copying.length) await exec.tx((savepoint) => savepoint.copyIn!('log_events', COPY_EVENT_COLUMNS, copying));
    } catch (err) {
      if (attempt >= COPY_ATTEMPTS || (err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      stored = await storedEventHashes(exec, tenantId, integrationId, uuids);
      continue;
    }
    const duplicates = [];
    for (let i = 0, s = 0, start = 0; i < uuids.length; start = tupleEnds[i]!, i++) {
      if (storedIndexes[s] === i) s++;
      else duplicates.push({ uuid: uuids[i]!, raw: copyTupleField(tuples, start, RAW_FIELD) });
    }
    return { storedIndexes, conflictUuids: await conflictingDuplicates(exec, tenantId, integrationId, duplicates, stored) };
  }
}

/** `raw`, the last field of an event's tuple. */
const RAW_FIELD = COPY_EVENT_COLUMNS.indexOf('raw');

/**
 * A pre-encoded tuple must be one whole tuple of this tenant, integration and event: its first
 * three fields are compared byte for byte and its field lengths must add up to its size exactly.
 */
class CopyRowChecker {
  private readonly prefixes = new Map<string, Uint8Array>();
  private readonly writer = new CopyTupleWriter(256);

  constructor(private readonly tenantId: string) {}

  /** Throws unless bytes[start, end) is exactly the tuple of event `uuid` of this tenant and integration. */
  check(integrationId: string, uuid: string, bytes: Uint8Array, start: number, end: number): void {
    let prefix = this.prefixes.get(integrationId);
    if (!prefix) {
      this.writer.tuple(EVENT_TUPLE_FIELDS).text(this.tenantId).uuid(integrationId);
      this.prefixes.set(integrationId, (prefix = this.writer.take()));
    }
    const uuidAt = start + prefix.length + 4;
    let ok = end <= bytes.length && uuidAt + uuid.length <= end && copyTupleEnd(bytes, start, EVENT_TUPLE_FIELDS) === end;
    for (let i = 0; ok && i < prefix.length; i++) ok = bytes[start + i] === prefix[i];
    if (ok) {
      const at = start + prefix.length;
      const size = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
      // Okta uuids are ASCII; anything else is compared through its UTF-8 encoding.
      let ascii = size === uuid.length;
      for (let i = 0; ascii && ok && i < uuid.length; i++) {
        const c = uuid.charCodeAt(i);
        if (c > 0x7f) ascii = false;
        else ok = bytes[uuidAt + i] === c;
      }
      if (ok && !ascii) {
        const utf8 = Buffer.from(uuid);
        ok = size === utf8.length && Buffer.from(bytes.buffer, bytes.byteOffset + uuidAt, size).equals(utf8);
      }
    }
    if (!ok) {
      throw new Error(`event ${uuid}: its tuple is not this event's encoded row for tenant ${this.tenantId} (encode it with writeEventCopyTuple)`);
    }
  }
}

/**
 * Events of one integration already encoded as binary COPY tuples (writeEventCopyTuple), with the
 * mutations of those that carry any: the bulk path (`ingest-events`), where building an IngestItem
 * per event would cost more than storing it. PostgreSQL only.
 */
export interface EncodedEventBatch {
  integrationId: string;
  uuids: readonly string[];
  /** The tuples back to back: event i's ends at tupleEnds[i] and starts where event i-1's ends. */
  tuples: Uint8Array;
  tupleEnds: ArrayLike<number>;
  /** Mutations of the events that carry any, by event index. */
  mutations: ReadonlyMap<number, readonly GraphMutation[]>;
  /** Look up stored events before copying: for a batch that is likely a replay (the previous one held duplicates). */
  lookUpFirst?: boolean;
}

export interface EncodedIngestResult {
  stored: number;
  /** The same events again (see IngestResult). */
  duplicates: number;
  /** Events whose uuid was stored already with other content (see IngestResult). */
  conflicts: number;
  conflictUuids: string[];
  /** Mutations of newly stored events (applied, or deferred to a re-read). */
  applied: number;
  /** See IngestResult.deferred. */
  deferred: DeferredRefresh[];
  /** Indexes of the events stored now (an event listed twice counts at its first index). */
  storedIndexes: number[];
}

/** Stores an encoded batch once per uuid and applies the mutations of the newly stored events; run inside a transaction. */
export async function ingestEncodedEventBatch(exec: Executor, tenantId: string, batch: EncodedEventBatch, opts: IngestOptions): Promise<EncodedIngestResult> {
  const { integrationId, uuids, tuples, tupleEnds } = batch;
  if (!exec.copyIn) throw new Error('encoded event batches need PostgreSQL (COPY); give IngestItems with their rows instead');
  if (tupleEnds.length !== uuids.length) throw new Error(`an encoded batch needs one tuple end per uuid (${uuids.length} uuids, ${tupleEnds.length} ends)`);
  if (uuids.length === 0) return { stored: 0, duplicates: 0, conflicts: 0, conflictUuids: [], applied: 0, storedIndexes: [], deferred: [] };
  const checker = new CopyRowChecker(tenantId);
  for (let i = 0, start = 0; i < uuids.length; start = tupleEnds[i]!, i++) {
    const uuid = uuids[i]!;
    if (typeof uuid !== 'string' || uuid === '') throw new Error(`event ${i}: uuid must be a non-empty string`);
    checker.check(integrationId, uuid, tuples, start, tupleEnds[i]!);
  }
  if (tupleEnds[uuids.length - 1] !== tuples.length) throw new Error('an encoded batch holds bytes after its last tuple');
  for (const [index, mutations] of batch.mutations) {
    if (!uuids[index]) throw new Error(`mutations given for event ${index}, which the batch does not hold`);
    checkMutations(uuids[index], mutations);
  }

  const { storedIndexes, conflictUuids } = await copyNewEvents(exec, tenantId, batch, batch.lookUpFirst ?? false);
  const buckets = new MutationBuckets();
  let applied = 0;
  for (const i of storedIndexes) {
    const mutations = batch.mutations.get(i);
    if (!mutations) continue;
    for (const m of mutations) buckets.add(integrationId, m);
    applied += mutations.length;
  }
  const deferred = await applyMutations(exec, tenantId, buckets, opts);
  const conflicts = conflictUuids.length;
  return { stored: storedIndexes.length, duplicates: uuids.length - storedIndexes.length - conflicts, conflicts, conflictUuids, applied, storedIndexes, deferred };
}


/** log_events columns (after tenant_id) with their types, for the INSERT of the embedded database. */
const EVENT_COLUMN_TYPES: Record<string, BulkType> = { integration_id: 'uuid', published: 'timestamptz' };
const EVENT_COLUMNS: BulkColumn[] = COPY_EVENT_COLUMNS.slice(1).map((name) => ({ name, type: EVENT_COLUMN_TYPES[name] ?? 'text' }));

function columnList(columns: readonly BulkColumn[]): SQL {
  return sql.raw(columns.map((c) => `"${c.name}"`).join(', '));
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

class MutationBuckets {
  readonly userUpserts: Scoped<MutationOf<'user.upsert'>>[] = [];
  readonly userStatus: Scoped<MutationOf<'user.status'>>[] = [];
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
async function applyEdges(
  exec: Executor,
  tenantId: string,
  table: string,
  keys: { name: string; get: (m: Record<string, unknown>) => unknown }[],
  items: (Record<string, unknown> & { integrationId: string; at: Date; removed: boolean; seq: number })[],
): Promise<void> {
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
async function applyMutations(exec: Executor, tenantId: string, b: MutationBuckets, opts: IngestOptions): Promise<DeferredRefresh[]> {
  const w = opts.ambiguityMs;
  const deferred = new Map<string, DeferredRefresh>();
  const defer = <M extends { integrationId: string; at: Date; seq: number }>(table: string, keys: KeyCol<M>[], items: M[], refresh: (m: M) => RefreshRequest | null) =>
    deferAmbiguous(exec, tenantId, table, keys, items, refresh, w, deferred);
  const userUpserts = await defer('users', [{ name: 'okta_id', get: (m) => m.user.oktaId }], b.userUpserts, refreshForMutation);
  if (userUpserts.length) await applyUserUpserts(exec, tenantId, userUpserts);
  const userStatus = await defer('users', [{ name: 'okta_id', get: (m) => m.userId }], b.userStatus, refreshForMutation);
  await applyStatus(exec, tenantId, 'users', userStatus.map((m) => ({ ...m, id: m.userId })));
  const appStatus = await defer('apps', [{ name: 'okta_id', get: (m) => m.appId }], b.appStatus, refreshForMutation);
  await applyStatus(exec, tenantId, 'apps', appStatus.map((m) => ({ ...m, id: m.appId })));
  await applyNodeDeletes(exec, tenantId, b.nodeDeletes);
  await retireApiTokensOf(exec, tenantId, [
    ...b.userStatus.filter((m) => m.status === 'DEPROVISIONED').map((m) => ({ ...m, id: m.userId })),
    ...b.nodeDeletes.filter((m) => m.table === 'users'),
  ]);
  const memberships = await defer('group_memberships', [
    { name: 'user_id', get: (m) => m.userId },
    { name: 'group_id', get: (m) => m.groupId },
  ], b.memberships, (m) => ({ kind: 'groupMembers', groupId: m.groupId }));
  await applyEdges(exec, tenantId, 'group_memberships', [
    { name: 'user_id', get: (m) => m.userId },
    { name: 'group_id', get: (m) => m.groupId },
  ], memberships);
  const appUsers = await defer('app_user_assignments', [
    { name: 'app_id', get: (m) => m.appId },
    { name: 'user_id', get: (m) => m.userId },
  ], b.appUsers, (m) => ({ kind: 'appAssignments', appId: m.appId }));
  await applyEdges(exec, tenantId, 'app_user_assignments', [
    { name: 'app_id', get: (m) => m.appId },
    { name: 'user_id', get: (m) => m.userId },
  ], appUsers);
  const appGroups = await defer('app_group_assignments', [
    { name: 'app_id', get: (m) => m.appId },
    { name: 'group_id', get: (m) => m.groupId },
  ], b.appGroups, (m) => ({ kind: 'appAssignments', appId: m.appId }));
  await applyEdges(exec, tenantId, 'app_group_assignments', [
    { name: 'app_id', get: (m) => m.appId },
    { name: 'group_id', get: (m) => m.groupId },
  ], appGroups);
  const roles = await defer('role_assignments', [
    { name: 'principal_kind', get: (m) => m.principalKind },
    { name: 'principal_id', get: (m) => m.principalId },
    { name: 'role_id', get: (m) => m.roleId },
    { name: 'resource_set_id', get: (m) => m.resourceSetId },
  ], b.roles, (m) => (m.principalKind === 'app' ? null : { kind: 'principalRoles', principalKind: m.principalKind as 'user' | 'group', principalId: m.principalId }));
  await applyEdges(exec, tenantId, 'role_assignments', [
    { name: 'principal_kind', get: (m) => m.principalKind },
    { name: 'principal_id', get: (m) => m.principalId },
    { name: 'role_id', get: (m) => m.roleId },
    { name: 'resource_set_id', get: (m) => m.resourceSetId },
  ], roles);
  return [...deferred.values()];
}

/** Stores events once and applies the mutations of the newly stored ones; run inside a transaction. */
export async function ingestEventBatch(exec: Executor, tenantId: string, items: readonly IngestItem[], opts: IngestOptions): Promise<IngestResult> {
  if (items.length === 0) return { stored: 0, duplicates: 0, conflicts: 0, conflictUuids: [], applied: 0, storedUuids: [], deferred: [] };
  items.forEach(checkItem);
  const { fresh, conflictUuids } = await insertEvents(exec, tenantId, items);
  const buckets = new MutationBuckets();
  const storedUuids: string[] = [];
  let applied = 0;
  for (const item of items) {
    const key = `${item.integrationId}\u0000${item.row.uuid}`;
    // delete() makes a uuid listed twice in one batch count (and apply) once.
    if (!fresh.delete(key)) continue;
    storedUuids.push(item.row.uuid);
    for (const m of item.mutations) buckets.add(item.integrationId, m);
    applied += item.mutations.length;
  }
  const deferred = await applyMutations(exec, tenantId, buckets, opts);
  const conflicts = conflictUuids.length;
  return { stored: storedUuids.length, duplicates: items.length - storedUuids.length - conflicts, conflicts, conflictUuids, applied, storedUuids, deferred };
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
