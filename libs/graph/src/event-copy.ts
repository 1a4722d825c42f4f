/**
 * An event's log_events row as a binary COPY tuple. Kept apart from event-ingest.ts (and free of
 * drizzle and the drivers) so that a decoding thread can import it without loading the database
 * stack: `@idgraph/graph/event-copy`.
 */
import type { LogEventRow } from './model.js';
import type { CopyTupleWriter } from './copy-binary.js';

export { CopyTupleWriter, copyTupleEnd } from './copy-binary.js';

export type EventVia = 'poll' | 'stream' | 'file';

/** log_events columns in tuple order. */
export const COPY_EVENT_COLUMNS = ['tenant_id', 'integration_id', 'uuid', 'published', 'event_type', 'severity', 'actor_id', 'outcome', 'received_via', 'raw'] as const;

/** Fields of a log_events COPY tuple. */
export const EVENT_TUPLE_FIELDS = COPY_EVENT_COLUMNS.length;

/**
 * Appends an event's log_events row (columns COPY_EVENT_COLUMNS) as a binary COPY tuple. `rawUtf8`:
 * the event's JSON text as UTF-8 bytes, when the caller has them (a decoding thread reading a file),
 * instead of `row.rawJson` or `row.raw`.
 */
export function writeEventCopyTuple(
  writer: CopyTupleWriter,
  tenantId: string,
  integrationId: string,
  row: LogEventRow,
  via: EventVia,
  rawUtf8?: { bytes: Uint8Array; start: number; end: number },
): void {
  writer
    .tuple(EVENT_TUPLE_FIELDS)
    .text(tenantId)
    .uuid(integrationId)
    .text(row.uuid)
    .timestamptz(row.published.getTime())
    .text(row.eventType)
    .text(row.severity)
    .text(row.actorId)
    .text(row.outcome)
    .text(via);
  if (rawUtf8) writer.utf8Bytes(rawUtf8.bytes, rawUtf8.start, rawUtf8.end);
  else writer.text(rawText(row));
}

/** The event's JSON text for log_events.raw: as received when known, else serialised. */
export function rawText(row: LogEventRow): string | null {
  return row.rawJson ?? (row.raw === null || row.raw === undefined ? null : JSON.stringify(row.raw));
}

