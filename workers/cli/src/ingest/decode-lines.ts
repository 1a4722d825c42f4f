import { encodeEventCopyRow, type GraphMutation, type LogEventRow, type RefreshRequest } from '@idgraph/graph';
import { eventToGraphChanges, normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';

/** One JSONL line of an event archive, decoded: the row to store and what it changes, or why not. */
export type DecodedLine =
  | {
      ok: true;
      source: string | null;
      row: LogEventRow;
      mutations: GraphMutation[];
      refresh: RefreshRequest[];
      /** Where the row's encoded COPY line sits in DecodedChunk.copyBytes (then row.rawJson is left out). */
      copyRange?: [number, number];
    }
  | { ok: false; reason: string }
  | { ok: 'blank' };

export interface DecodedChunk {
  lines: DecodedLine[];
  /** The COPY lines of the chunk's events, UTF-8, back to back; null unless asked for. */
  copyBytes: Uint8Array | null;
}

export interface DecodeOptions {
  /** Encode each event's log_events COPY line here (PostgreSQL), so the main thread need not. */
  copyRowsFor?: { tenantId: string; integrationId: string } | null;
}

/** Pure CPU work with no I/O, so it can run on a worker thread (decode-worker.ts). */
export function decodeEventLines(lines: readonly string[], opts: DecodeOptions = {}): DecodedChunk {
  const decoded = lines.map((text): DecodedLine => {
    if (!text.trim()) return { ok: 'blank' };
    const parsed = parseEventMessage(text);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const { mutations, refresh } = eventToGraphChanges(parsed.event);
    return { ok: true, source: parsed.source, row: normalizeLogEventRow(parsed.event, parsed.eventJson), mutations, refresh };
  });
  const target = opts.copyRowsFor;
  if (!target) return { lines: decoded, copyBytes: null };
  const encoded: string[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const d of decoded) {
    if (d.ok !== true) continue;
    const text = encodeEventCopyRow(target.tenantId, target.integrationId, d.row, 'file');
    const size = Buffer.byteLength(text);
    encoded.push(text);
    sizes.push(size);
    d.copyRange = [total, total + size];
    total += size;
    // The encoded line carries the event text; the row need not carry it back too.
    delete d.row.rawJson;
  }
  // Its own ArrayBuffer (not Buffer's shared pool), so it can be transferred.
  const copyBytes = new Uint8Array(total);
  const view = Buffer.from(copyBytes.buffer, copyBytes.byteOffset, copyBytes.byteLength);
  let at = 0;
  for (const [i, text] of encoded.entries()) at += view.write(text, at, sizes[i]!, 'utf8');
  return { lines: decoded, copyBytes };
}
