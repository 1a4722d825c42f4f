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
export const COPY_EVENT_COLUMNS = ['tenant_id', 'integration_id', 'uuid', 'published', 'event_type', 'severity', 'actor_id', 'outcome', 'received_via', 'raw', 'subject_ids'] as const;

/** Fields of a log_events COPY tuple. */
export const EVENT_TUPLE_FIELDS = COPY_EVENT_COLUMNS.length;

/**
 * Appends an event's log_events row (columns COPY_EVENT_COLUMNS) as a binary COPY tuple.
 * `rawIsAscii`: the caller knows the event's text (`row.rawJson`) to be pure ASCII, as a decoding
 * thread does that checked the line's bytes; it is then copied without a UTF-8 encoding pass.
 */
export function writeEventCopyTuple(
  writer: CopyTupleWriter,
  tenantId: string,
  integrationId: string,
  row: LogEventRow,
  via: EventVia,
  rawIsAscii = false,
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
  const raw = rawText(row);
  if (rawIsAscii && raw !== null) writer.asciiText(raw);
  else writer.text(raw);
  writer.textArray(row.subjectIds);
}

/** The event's JSON text for log_events.raw: as received when known, else serialised. */
export function rawText(row: LogEventRow): string | null {
  return row.rawJson ?? (row.raw === null || row.raw === undefined ? null : JSON.stringify(row.raw));
}

