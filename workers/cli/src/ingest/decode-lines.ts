import { isAscii, isUtf8 } from 'node:buffer';
import type { GraphMutation, ImpliedChange, LogEventRow, RefreshRequest } from '@idgraph/graph';
// Not the package's main entry: that loads drizzle and the drivers, a fifth of a second of this thread's start.
import { CopyTupleWriter, writeEventCopyTuple } from '@idgraph/graph/event-copy';
import { DEFAULT_EVENT_LIMITS, eventSizeProblem, eventToGraphChanges, futureEventReason, impliedChanges, normalizeLogEventRow, parseEventMessage, type EventLimits, type ParseEventOptions } from '@idgraph/normalize';

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
  mutations: GraphMutation[];
  refresh: RefreshRequest[];
  /** What the event implies beyond its own mutations (impliedChanges), for the writer to resolve against the graph. */
  implied: ImpliedChange[];
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
  /** Size and depth limits of one event (IDGRAPH_MAX_EVENT_BYTES, IDGRAPH_MAX_EVENT_DEPTH); unset ones are the defaults. */
  limits?: Partial<EventLimits>;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
/** Room over the size limit a carried line may take before it is known to be too big: its `\r`, a BOM and spaces are not counted. */
const CARRY_SLACK = 64;
const REASON_NOT_UTF8 = 'line is not valid UTF-8 (an encoded lone surrogate, or bytes of another encoding): give the events as UTF-8 text';

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
export class EventLineDecoder {
  private carry: Buffer | null = null;
  /**
   * Bytes of the line being carried that were let go of: the line is over the size limit
   * already, and only its length is still needed. A 50 MB line never sits in memory whole.
   */
  private dropped = 0;
  private lineNo = 0;
  private now = Date.now();
  private readonly writer: CopyTupleWriter | null;
  private readonly maxEventBytes: number;
  /** Reused for every line: only its byteLength changes. */
  private readonly parseOptions: ParseEventOptions;

  constructor(private readonly opts: DecodeOptions = {}) {
    this.writer = opts.copyRowsFor ? new CopyTupleWriter(1 << 20) : null;
    this.maxEventBytes = opts.limits?.maxEventBytes ?? DEFAULT_EVENT_LIMITS.maxEventBytes;
    this.parseOptions = { maxEventBytes: this.maxEventBytes, maxDepth: opts.limits?.maxDepth ?? DEFAULT_EVENT_LIMITS.maxDepth, byteLength: 0 };
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
    if (this.carry || this.dropped) {
      // The line the previous chunk ended in: only it is copied together, not the whole chunk.
      const newline = buf.indexOf(NEWLINE);
      const rest = buf.subarray(0, newline < 0 ? buf.length : newline);
      if (newline < 0 && !end) {
        this.carryOn(rest);
        return columns.finish(this.writer);
      }
      if (this.dropped) {
        this.rejectOversized(this.dropped + rest.length, columns);
        this.dropped = 0;
      } else {
        const line = Buffer.concat([this.carry!, rest]);
        this.carry = null;
        this.decodeLine(line, 0, line.length, columns);
      }
      start = newline < 0 ? buf.length : newline + 1;
    }
    for (let newline = buf.indexOf(NEWLINE, start); newline >= 0; newline = buf.indexOf(NEWLINE, start)) {
      this.decodeLine(buf, start, newline, columns);
      start = newline + 1;
    }
    if (start < buf.length) {
      if (end) this.decodeLine(buf, start, buf.length, columns);
      else this.carryOn(buf.subarray(start));
    }
    return columns.finish(this.writer);
  }

  /** Keeps the start of a line that goes on in the next chunk, or only its length once it is too big. */
  private carryOn(bytes: Uint8Array): void {
    const carried = this.dropped + (this.carry?.length ?? 0) + bytes.length;
    if (carried > this.maxEventBytes + CARRY_SLACK) {
      this.dropped = carried;
      this.carry = null;
    } else {
      // A copy: the chunk's buffer may be reused by whoever sent it.
      this.carry = this.carry ? Buffer.concat([this.carry, bytes]) : Buffer.from(bytes);
    }
  }

  private rejectOversized(bytes: number, chunk: ChunkColumns): void {
    const line = ++this.lineNo;
    chunk.read++;
    chunk.rejections.push({ line, reason: eventSizeProblem(bytes, this.maxEventBytes)! });
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
    const tooBig = eventSizeProblem(end - start, this.maxEventBytes);
    if (tooBig) return reject(tooBig);
    // Nearly every line is ASCII: its text is then read and written back byte for byte, with no
    // UTF-8 decoding or encoding.
    const bytes = buf.subarray(start, end);
    const ascii = isAscii(bytes);
    // Decoding would turn invalid bytes (such as a lone surrogate encoded on its own) into U+FFFD
    // and store something other than what was given.
    if (!ascii && !isUtf8(bytes)) return reject(REASON_NOT_UTF8);
    const text = buf.toString(ascii ? 'latin1' : 'utf8', start, end);
    this.parseOptions.byteLength = end - start;
    const parsed = parseEventMessage(text, this.parseOptions);
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
    if (mutations.length || refresh.length) {
      const implied = mutations.length ? impliedChanges({ eventType: row.eventType, published: row.published, mutations }) : [];
      this.changes.push({ index, mutations, refresh, implied });
    }
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
