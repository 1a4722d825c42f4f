/**
 * Duplicates that are not the same event: an event whose uuid is stored already but whose
 * content differs (an edited archive, a broken producer). The stored event wins either way, as it
 * always has; these are counted apart from plain duplicates so that someone can look.
 *
 * Only duplicates are compared, and cheaply: by a SHA-256 of the text, the stored one's computed
 * by the server in the same probe that finds the duplicates. Texts that differ byte for byte are
 * then compared as JSON values, since one event can come as differently formatted text by two
 * paths (a System Log page serialised again, an EventBridge `detail` as it was sent).
 */
import { hash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from './executor.js';

/** `SHA-256(raw)` in hex, as the server computes it for a stored event (see storedEventHashes). */
export function rawHash(raw: Uint8Array | string | null): string | null {
  return raw === null ? null : hash('sha256', raw, 'hex');
}

/** The server-side twin of rawHash, for a `log_events` row aliased `e`. */
export const STORED_RAW_HASH = sql`encode(sha256(convert_to(e."raw", 'UTF8')), 'hex')`;

/**
 * The events of an integration among `uuids` that are stored already, with the hash of their text
 * (absent: not stored). The lookup that tells a batch's duplicates; only they are hashed.
 */
export async function storedEventHashes(exec: Executor, tenantId: string, integrationId: string, uuids: readonly string[]): Promise<Map<string, string | null>> {
  // One primary-key probe per uuid, whatever the statistics say: with `uuid = ANY(…)` a planner
  // that has none for log_events yet (a first backfill, before autovacuum analyses it) read every
  // event of the integration and tested each against the whole array, seconds per batch.
  const rows = await exec.rows<{ uuid: string; hash: string | null }>(sql`
    SELECT u."uuid", found."hash" FROM unnest(${sql.param(uuids)}::text[]) AS u("uuid")
    JOIN LATERAL (
      SELECT ${STORED_RAW_HASH} AS "hash" FROM "log_events" e
      WHERE e."tenant_id" = ${tenantId} AND e."integration_id" = ${integrationId}::uuid AND e."uuid" = u."uuid" LIMIT 1
    ) AS found ON true`);
  return new Map(rows.map((r) => [r.uuid, r.hash]));
}

export interface DuplicateEvent {
  uuid: string;
  /** The duplicate's event text (UTF-8 bytes or a string); null when it has none. */
  raw: Uint8Array | string | null;
}

/**
 * The uuids of `duplicates` (events not stored because their uuid was) whose content differs
 * from the stored event's, one entry per differing copy. Runs after the batch's new events are
 * stored, in the same transaction, so a uuid repeated within the batch is compared with its first
 * copy. `known`: stored hashes looked up already (storedEventHashes); the rest are looked up.
 */
export async function conflictingDuplicates(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  duplicates: readonly DuplicateEvent[],
  known: ReadonlyMap<string, string | null> | null = null,
): Promise<string[]> {
  if (duplicates.length === 0) return [];
  const missing = [...new Set(duplicates.filter((d) => !known?.has(d.uuid)).map((d) => d.uuid))];
  const looked = missing.length ? await storedEventHashes(exec, tenantId, integrationId, missing) : null;
  const differing = duplicates.filter((d) => {
    const stored = known?.has(d.uuid) ? known.get(d.uuid) : looked?.get(d.uuid);
    return stored === undefined ? false : stored !== rawHash(d.raw);
  });
  if (differing.length === 0) return [];
  const texts = await storedEventTexts(exec, tenantId, integrationId, [...new Set(differing.map((d) => d.uuid))]);
  return differing.filter((d) => !sameJsonText(texts.get(d.uuid) ?? null, d.raw)).map((d) => d.uuid);
}

async function storedEventTexts(exec: Executor, tenantId: string, integrationId: string, uuids: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await exec.rows<{ uuid: string; raw: string | null }>(sql`
    SELECT e."uuid", e."raw" FROM "log_events" e
    WHERE e."tenant_id" = ${tenantId} AND e."integration_id" = ${integrationId}::uuid AND e."uuid" = ANY(${sql.param(uuids)}::text[])`);
  return new Map(rows.map((r) => [r.uuid, r.raw]));
}

const utf8 = new TextDecoder();

/** Whether two event texts hold the same JSON value (members in any order, numbers by value). */
export function sameJsonText(a: string | null, b: Uint8Array | string | null): boolean {
  if (a === null || b === null) return a === b;
  try {
    return sameJson(JSON.parse(a), JSON.parse(typeof b === 'string' ? b : utf8.decode(b)));
  } catch {
    // Not JSON, or nested beyond the stack (a row stored before events were limited): not the same.
    return false;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
