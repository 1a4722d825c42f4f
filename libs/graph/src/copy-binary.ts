/**
 * PostgreSQL's binary COPY format: a header, then tuples (a 16-bit field count, then per field a
 * 32-bit byte length, -1 for NULL, and the type's binary form), then a trailer. The server takes
 * each field as it comes, with no text to scan for delimiters, unescape and parse: for System Log
 * events that is about a quarter of the server's time per event compared with COPY's text format,
 * and the client need not escape the event text either.
 */

/** `PGCOPY\n\377\r\n\0`, flags 0, no header extension. */
export const COPY_BINARY_HEADER = Uint8Array.of(0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
/** A field count of -1. */
export const COPY_BINARY_TRAILER = Uint8Array.of(0xff, 0xff);

/** 2000-01-01T00:00:00Z, PostgreSQL's epoch for timestamps. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;
/** Buffers kept for reuse at most (a few chunks are in flight at a time). */
const MAX_SPARES = 4;
/** Strings up to this length are tried as ASCII first. */
const SHORT_TEXT = 64;
/** pg_type oid of text, the element type of a text[] field. */
const TEXT_OID = 25;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Appends binary COPY tuples to one growing buffer. `take()` hands them over in an ArrayBuffer of
 * their own, so a worker thread can transfer them without a copy.
 */
export class CopyTupleWriter {
  private buf: Buffer;
  private at = 0;
  private readonly spares: ArrayBuffer[] = [];
  private lastUuid: string | null = null;
  private lastUuidBytes = Buffer.alloc(16);

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, initialBytes));
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.at;
  }

  tuple(fields: number): this {
    this.reserve(2);
    this.buf.writeInt16BE(fields, this.at);
    this.at += 2;
    return this;
  }

  null(): this {
    this.reserve(4);
    this.buf.writeInt32BE(-1, this.at);
    this.at += 4;
    return this;
  }

  /** A text field as UTF-8 (lone surrogates become U+FFFD, as everywhere in Node). */
  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.reserve(4 + value.length * 3);
    const size = value.length <= SHORT_TEXT ? this.writeShortAscii(value, this.at + 4) : -1;
    const written = size >= 0 ? size : this.buf.write(value, this.at + 4, 'utf8');
    this.buf.writeInt32BE(written, this.at);
    this.at += 4 + written;
    return this;
  }

  /** Ids, types and names are short ASCII: copied in a loop, which beats a call into the encoder. -1 when not ASCII. */
  private writeShortAscii(value: string, at: number): number {
    const buf = this.buf;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0x7f) return -1;
      buf[at + i] = c;
    }
    return value.length;
  }

  /**
   * A text field the caller knows to be pure ASCII (then its UTF-8 is its Latin-1): written as one
   * copy of the string's bytes, with no encoding pass. Long event text, just parsed, is still hot.
   */
  asciiText(value: string): this {
    this.reserve(4 + value.length);
    const size = this.buf.write(value, this.at + 4, 'latin1');
    this.buf.writeInt32BE(size, this.at);
    this.at += 4 + size;
    return this;
  }

  /**
   * A text[] field (one dimension, no NULL elements): the array header (dimensions, null flag,
   * element type text = OID 25, length, lower bound 1), then each element as a text field.
   */
  textArray(values: readonly string[] | null | undefined): this {
    if (values === null || values === undefined) return this.null();
    this.reserve(24);
    const sizeAt = this.at;
    this.buf.writeInt32BE(1, sizeAt + 4);
    this.buf.writeInt32BE(0, sizeAt + 8);
    this.buf.writeInt32BE(TEXT_OID, sizeAt + 12);
    this.buf.writeInt32BE(values.length, sizeAt + 16);
    this.buf.writeInt32BE(1, sizeAt + 20);
    this.at += 24;
    for (const v of values) this.text(v);
    this.buf.writeInt32BE(this.at - sizeAt - 4, sizeAt);
    return this;
  }

  /** A uuid field, from its canonical text (8-4-4-4-12 hex digits). */
  uuid(value: string): this {
    // Every tuple of a batch carries the same integration id: it is parsed once.
    if (value !== this.lastUuid) {
      if (!CANONICAL_UUID.test(value)) throw new Error(`not a uuid: ${JSON.stringify(value)}`);
      this.lastUuidBytes = Buffer.from(value.replace(/-/g, ''), 'hex');
      this.lastUuid = value;
    }
    this.reserve(20);
    this.buf.writeInt32BE(16, this.at);
    this.buf.set(this.lastUuidBytes, this.at + 4);
    this.at += 20;
    return this;
  }

  /** A timestamptz field: microseconds since PostgreSQL's epoch, as a signed 64-bit integer. */
  timestamptz(ms: number): this {
    if (!Number.isFinite(ms)) throw new Error(`not a valid time: ${ms}`);
    // Exact in a double for any time Date can hold (|µs| < 2^53 until the year 287396).
    const micros = (ms - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_32);
    this.reserve(12);
    this.buf.writeInt32BE(8, this.at);
    this.buf.writeInt32BE(high, this.at + 4);
    this.buf.writeUInt32BE(micros - high * TWO_32, this.at + 8);
    this.at += 12;
    return this;
  }

  /** Drops what was written after `length` (a tuple that could not be finished). */
  truncate(length: number): void {
    if (length < 0 || length > this.at) throw new Error(`cannot truncate ${this.at} bytes to ${length}`);
    this.at = length;
  }

  /**
   * The tuples written so far, in an ArrayBuffer of their own (handed over, not copied: it can be
   * transferred to another thread); the writer starts again empty, in a new buffer.
   */
  take(): Uint8Array {
    const out = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.at);
    const size = Math.max(this.buf.length, this.at);
    const spare = this.spares.findIndex((b) => b.byteLength >= size);
    this.buf = spare >= 0 ? Buffer.from(this.spares.splice(spare, 1)[0]!) : Buffer.allocUnsafeSlow(size);
    this.at = 0;
    return out;
  }

  /**
   * Gives back the ArrayBuffer of tuples taken before, once nothing uses them any more: the next
   * take() writes on into it instead of into new memory, which the kernel would first have to
   * map and zero, page by page.
   */
  recycle(buffer: ArrayBuffer): void {
    if (this.spares.length < MAX_SPARES && buffer.byteLength > 0) this.spares.push(buffer);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/**
 * The end of the binary COPY tuple of `fields` fields that starts at `start`, or -1 when the bytes
 * do not hold exactly that (a wrong field count, a length running past the end).
 */
export function copyTupleEnd(bytes: Uint8Array, start: number, fields: number): number {
  if (start + 2 > bytes.length || ((bytes[start]! << 8) | bytes[start + 1]!) !== fields) return -1;
  let at = start + 2;
  for (let f = 0; f < fields; f++) {
    if (at + 4 > bytes.length) return -1;
    // A signed 32-bit length: -1 is NULL, any other negative is malformed.
    const size = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    at += 4;
    if (size === -1) continue;
    if (size < 0 || at + size > bytes.length) return -1;
    at += size;
  }
  return at;
}

/**
 * The bytes of field `index` (from 0) of the well-formed binary COPY tuple that starts at
 * `start`; null for a NULL field.
 */
export function copyTupleField(bytes: Uint8Array, start: number, index: number): Uint8Array | null {
  let at = start + 2;
  for (let f = 0; ; f++) {
    const size = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    at += 4;
    if (f === index) return size < 0 ? null : bytes.subarray(at, at + size);
    if (size > 0) at += size;
  }
}
