import { isAscii } from 'node:buffer';
import type { GraphMutation, LogEventRow, RefreshRequest } from '@idgraph/graph';
// Not the package's main entry: that loads drizzle and the drivers, a fifth of a second of this thread's start.
import { CopyTupleWriter, writeEventCopyTuple } from '@idgraph/graph/event-copy';
import { eventToGraphChanges, futureEventReason, normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';

/**
 * The events of a chunk, as they cross from the decoding thread to the main thread. On PostgreSQL
 * they are COPY tuples in one buffer, which is transferred, not copied, plus their uuids: the
 * main thread builds nothing per event. Structured clone would have copied an object per event,
 * writing out every key each time.
 */
export interface DecodedChunk {
  /** Accepted events, in line order. */
  uuids: string[];
  /** The binary COPY tuples of the events, back to back, and where each ends (PostgreSQL). */
  tuples: Uint8Array | null;
  tupleEnds: Uint32Array | null;
  /** The rows, when no tuples are encoded (PGlite). */
  rows: LogEventRow[] | null;
  /** The events that change the graph or ask for re-reads (a tenth of a typical System Log), by index. */
  changes: EventChanges[];
  /** Lines read that were not blank. */
  read: number;
  rejections: { line: number; reason: string }[];
}

export interface EventChanges {
  index: number;
  eventType: string;
  published: Date;
  mutations: GraphMutation[];
  refresh: RefreshRequest[];
}

export interface DecodeOptions {
  /** Encode each event's log_events COPY tuple (PostgreSQL), so the main thread need not. */
  copyRowsFor?: { tenantId: string; integrationId: string } | null;
  /** The integration's event source; envelopes from another source are rejected. Null: any Okta source. */
  eventSource?: string | null;
  /**
   * Events published later than the host clock (standing for Okta's, see futureEventReason) plus
   * this are rejected, never stored or applied. Absent: no limit.
   */
  maxFutureMs?: number | null;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

function isSpace(byte: number | undefined): boolean {
  return byte === 32 || byte === 9 || byte === 13 || byte === 10;
}

/**
 * Decodes JSONL of LogEvents or EventBridge envelopes from a byte stream given in chunks of any
 * size: lines may span chunks (`\n` or `\r\n` ends a line). Each line becomes an event to store,
 * with the graph changes it makes, or a rejection with its line number. Pure CPU with no I/O,
 * so it runs on a worker thread (decode-worker.ts); it reads bytes, so the text of an event is
 * decoded once, here, and never crosses threads as a string.
 */
export class EventChunkDecoder {
  private carry: Buffer | null = null;
  private lineNo = 0;
  private now = Date.now();
  private readonly writer: CopyTupleWriter | null;

  constructor(private readonly opts: DecodeOptions = {}) {
    this.writer = opts.copyRowsFor ? new CopyTupleWriter(1 << 20) : null;
  }

  /** Gives back the buffer of a chunk's tuples once they are stored (see CopyTupleWriter.recycle). */
  recycle(buffer: ArrayBuffer): void {
    this.writer?.recycle(buffer);
  }

  /** Decodes the lines `bytes` completes; `end`: the input ends here, so a last line without `\n` counts too. */
  decode(bytes: Uint8Array, end = false): DecodedChunk {
    // Okta's clock for this chunk's events (read once: a chunk decodes in milliseconds).
    this.now = Date.now();
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const columns = new ChunkColumns(this.writer === null);
    let start = 0;
    if (this.carry) {
      // The line the previous chunk ended in: only it is copied together, not the whole chunk.
      const newline = buf.indexOf(NEWLINE);
      if (newline < 0 && !end) {
        this.carry = Buffer.concat([this.carry, buf]);
        return columns.finish(this.writer);
      }
      const line = Buffer.concat([this.carry, buf.subarray(0, newline < 0 ? buf.length : newline)]);
      this.carry = null;
      this.decodeLine(line, 0, line.length, columns);
      start = newline < 0 ? buf.length : newline + 1;
    }
    for (let newline = buf.indexOf(NEWLINE, start); newline >= 0; newline = buf.indexOf(NEWLINE, start)) {
      this.decodeLine(buf, start, newline, columns);
      start = newline + 1;
    }
    if (start < buf.length) {
      if (end) this.decodeLine(buf, start, buf.length, columns);
      // A copy: the chunk's buffer may be reused by whoever sent it.
      else this.carry = Buffer.from(buf.subarray(start));
    }
    return columns.finish(this.writer);
  }

  private decodeLine(buf: Buffer, start: number, end: number, chunk: ChunkColumns): void {
    const line = ++this.lineNo;
    if (end > start && buf[end - 1] === CARRIAGE_RETURN) end--;
    if (line === 1 && end - start >= 3 && buf[start] === UTF8_BOM[0] && buf[start + 1] === UTF8_BOM[1] && buf[start + 2] === UTF8_BOM[2]) start += 3;
    let first = start;
    while (first < end && isSpace(buf[first])) first++;
    if (first === end) return;
    chunk.read++;
    const reject = (reason: string) => void chunk.rejections.push({ line, reason });
    // Nearly every line is ASCII: its text is then read and written back byte for byte, with no
    // UTF-8 decoding or encoding.
    const ascii = isAscii(buf.subarray(start, end));
    const text = buf.toString(ascii ? 'latin1' : 'utf8', start, end);
    const parsed = parseEventMessage(text);
    if (!parsed.ok) return reject(parsed.reason);
    const { eventSource } = this.opts;
    if (parsed.source !== null && eventSource && parsed.source !== eventSource) {
      return reject(`event source ${parsed.source} is not this integration's (${eventSource})`);
    }
    let row: LogEventRow;
    let changes: ReturnType<typeof eventToGraphChanges>;
    try {
      changes = eventToGraphChanges(parsed.event);
      row = normalizeLogEventRow(parsed.event, parsed.eventJson);
    } catch (err) {
      return reject(err instanceof Error ? err.message : String(err));
    }
    const { maxFutureMs } = this.opts;
    const future = maxFutureMs == null ? null : futureEventReason(row.published, this.now, maxFutureMs);
    if (future) return reject(`event ${row.uuid}: ${future}`);
    const target = this.opts.copyRowsFor;
    if (this.writer && target) {
      const from = this.writer.length;
      try {
        writeEventCopyTuple(this.writer, target.tenantId, target.integrationId, row, 'file', ascii);
      } catch (err) {
        this.writer.truncate(from);
        return reject(err instanceof Error ? err.message : String(err));
      }
    }
    chunk.add(row, changes.mutations, changes.refresh, this.writer?.length ?? 0);
  }
}

/** A DecodedChunk being filled. */
class ChunkColumns {
  private readonly uuids: string[] = [];
  private readonly rows: LogEventRow[] | null;
  private readonly tupleEnds: number[] = [];
  private readonly changes: EventChanges[] = [];
  read = 0;
  readonly rejections: DecodedChunk['rejections'] = [];

  constructor(keepRows: boolean) {
    this.rows = keepRows ? [] : null;
  }

  add(row: LogEventRow, mutations: GraphMutation[], refresh: RefreshRequest[], tupleEnd: number): void {
    const index = this.uuids.length;
    this.uuids.push(row.uuid);
    this.rows?.push(row);
    this.tupleEnds.push(tupleEnd);
    if (mutations.length || refresh.length) this.changes.push({ index, eventType: row.eventType, published: row.published, mutations, refresh });
  }

  finish(writer: CopyTupleWriter | null): DecodedChunk {
    return {
      uuids: this.uuids,
      tuples: writer ? writer.take() : null,
      tupleEnds: writer ? Uint32Array.from(this.tupleEnds) : null,
      rows: this.rows,
      changes: this.changes,
      read: this.read,
      rejections: this.rejections,
    };
  }
}
