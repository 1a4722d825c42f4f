import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Bytes per read at most: each read's events become one write transaction (~7,000 events of
 * 2.3 KB). Besides its COPY a transaction costs the server a few milliseconds of statements and a
 * commit; 16 MB reads took a tenth off its time per event compared with 4 MB, for ~70 MB more memory.
 */
export const READ_CHUNK_BYTES = 16 << 20;
/** The first reads are smaller, so that writing starts sooner; each doubles up to READ_CHUNK_BYTES. */
export const FIRST_READ_BYTES = 1 << 20;

/** The size of read number `n` (from 0). */
export function readSize(n: number): number {
  return Math.min(READ_CHUNK_BYTES, FIRST_READ_BYTES * 2 ** Math.min(n, 16));
}

/**
 * Reads a file in chunks into one reused buffer, synchronously: it runs on the decoding thread,
 * which has nothing else to do meanwhile, and the bytes never pass through the main thread.
 * Each chunk is valid until the next call.
 */
export class FileChunkReader {
  private fd: number | null;
  private reads = 0;
  private readonly buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The next chunk, or null at the end of the file (the file is closed then). */
  next(): Uint8Array | null {
    if (this.fd === null) return null;
    const bytesRead = readSync(this.fd, this.buffer, 0, readSize(this.reads++), null);
    if (bytesRead > 0) return this.buffer.subarray(0, bytesRead);
    this.close();
    return null;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
