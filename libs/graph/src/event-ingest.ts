/**
 * Storing System Log events once per (integration, uuid), in batches, and handing the mutations
 * of the newly stored ones to mutations.ts in the same transaction. Two ways in: IngestItems
 * (rows built by the caller; INSERT on PGlite, COPY on PostgreSQL) and encoded batches (COPY
 * tuples a decoding thread encoded ahead; PostgreSQL only).
 */
import { sql, type SQL } from 'drizzle-orm';
import { retry } from '@idgraph/core';
import type { GraphMutation, LogEventRow } from './model.js';
import type { Executor } from './executor.js';
import { bulkRows, bulkValue, type BulkColumn, type BulkType } from './executor.js';
import { CopyTupleWriter, copyTupleEnd, copyTupleField } from './copy-binary.js';
import { COPY_EVENT_COLUMNS, EVENT_TUPLE_FIELDS, rawText, writeEventCopyTuple, type EventVia } from './event-copy.js';
import { conflictingDuplicates, storedEventHashes } from './event-conflicts.js';

import { applyMutations, checkMutations, MutationBuckets, type DeferredRefresh, type IngestOptions } from './mutations.js';

export { writeEventCopyTuple, type EventVia };
export type { DeferredRefresh, IngestOptions };

export interface IngestItem {
  integrationId: string;
  row: LogEventRow;
  mutations: GraphMutation[];
  via: EventVia;
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
    subject_ids: i.row.subjectIds,
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
  const storedIndexes = await retry(
    async (attempt) => {
      // The primary key refused the last COPY: look up what is stored now, and copy the rest.
      if (attempt > 1) stored = await storedEventHashes(exec, tenantId, integrationId, uuids);
      const seen = new Set<string>();
      const indexes: number[] = [];
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
        indexes.push(i);
        if (runStart < 0) runStart = start;
      }
      if (runStart >= 0) copying.push(tuples.subarray(runStart, tuples.length));
      // A savepoint's executor runs on the same connection, so it can COPY too.
      if (copying.length) await exec.tx((savepoint) => savepoint.copyIn!('log_events', COPY_EVENT_COLUMNS, copying));
      return indexes;
    },
    // Nothing to wait for: the look-up is what changes between attempts.
    { attempts: COPY_ATTEMPTS, retryable: (err) => (err as { code?: unknown }).code === UNIQUE_VIOLATION, baseMs: 0 },
  );
  const duplicates = [];
  for (let i = 0, s = 0, start = 0; i < uuids.length; start = tupleEnds[i]!, i++) {
    if (storedIndexes[s] === i) s++;
    else duplicates.push({ uuid: uuids[i]!, raw: copyTupleField(tuples, start, RAW_FIELD) });
  }
  return { storedIndexes, conflictUuids: await conflictingDuplicates(exec, tenantId, integrationId, duplicates, stored) };
}

/** `raw`, the event's text in its tuple. */
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
const EVENT_COLUMN_TYPES: Record<string, BulkType> = { integration_id: 'uuid', published: 'timestamptz', subject_ids: 'text[]' };
const EVENT_COLUMNS: BulkColumn[] = COPY_EVENT_COLUMNS.slice(1).map((name) => ({ name, type: EVENT_COLUMN_TYPES[name] ?? 'text' }));

function columnList(columns: readonly BulkColumn[]): SQL {
  return sql.raw(columns.map((c) => `"${c.name}"`).join(', '));
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

