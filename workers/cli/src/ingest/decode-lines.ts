import type { GraphMutation, LogEventRow, RefreshRequest } from '@idgraph/graph';
import { eventToGraphChanges, normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';

/** One JSONL line of an event archive, decoded: the row to store and what it changes, or why not. */
export type DecodedLine =
  | { ok: true; source: string | null; row: LogEventRow; mutations: GraphMutation[]; refresh: RefreshRequest[] }
  | { ok: false; reason: string }
  | { ok: 'blank' };

/** Pure CPU work with no I/O, so it can run on a worker thread (decode-worker.ts). */
export function decodeEventLines(lines: readonly string[]): DecodedLine[] {
  return lines.map((text): DecodedLine => {
    if (!text.trim()) return { ok: 'blank' };
    const parsed = parseEventMessage(text);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const { mutations, refresh } = eventToGraphChanges(parsed.event);
    return { ok: true, source: parsed.source, row: normalizeLogEventRow(parsed.event, parsed.eventJson), mutations, refresh };
  });
}
