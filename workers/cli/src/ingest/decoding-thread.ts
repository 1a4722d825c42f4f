import { Worker } from 'node:worker_threads';
import type { DecodedChunk, DecodeOptions } from './decode-lines.js';

/** A decoded chunk; `last`: the file being read ended with it. */
export type NextChunk = DecodedChunk & { last: boolean };

/**
 * Decodes an input's bytes on a worker thread (decode-worker.ts), so reading, JSON parsing,
 * normalising and COPY encoding (most of ingest-events' CPU) run beside the main thread's
 * database writes. Chunks are decoded in the order they were asked for (one worker, FIFO), which
 * lines spanning chunks rely on.
 */
export class DecodingThread {
  private readonly worker = new Worker(new URL('./decode-worker.js', import.meta.url));
  private configured = false;
  private readonly pending = new Map<number, { resolve: (d: NextChunk) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  /** Starts the thread at once, so it boots while the caller still opens the database; `configure` before decoding. */
  constructor() {
    this.worker.on('message', (msg: { id: number; chunk?: DecodedChunk; last?: boolean; error?: string }) => {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.chunk) waiter.resolve({ ...msg.chunk, last: msg.last ?? false });
      else waiter.reject(new Error(`decoding events failed: ${msg.error ?? 'unknown error'}`));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`the event decoding thread exited (code ${code})`)));
  }

  /** `file`: the thread reads that file itself (see next()); without one, the caller sends bytes (decode()). */
  configure(options: DecodeOptions & { file?: string | null }): void {
    if (this.configured) throw new Error('the event decoder is configured already');
    this.configured = true;
    const plain: DecodeOptions = {
      copyRowsFor: options.copyRowsFor ?? null,
      eventSource: options.eventSource ?? null,
      maxFutureMs: options.maxFutureMs ?? null,
      limits: { ...options.limits },
    };
    this.worker.postMessage({ configure: plain, file: options.file ?? null });
  }

  /** The next chunk of the configured file, decoded; after the `last` one, empty chunks. */
  next(): Promise<NextChunk> {
    return this.request({ next: true });
  }

  /**
   * The lines `bytes` completes; `end`: the input ends after these bytes. `owned`: the caller
   * gives up the bytes' whole ArrayBuffer, which moves to the thread instead of being copied.
   */
  decode(bytes: Uint8Array, end = false, owned = false): Promise<NextChunk> {
    return this.request({ bytes, end }, owned ? [bytes.buffer as ArrayBuffer] : []);
  }

  /** Hands a chunk's tuples back for reuse once they are stored; the chunk must not be used after. */
  recycle(tuples: Uint8Array): void {
    const buffer = tuples.buffer as ArrayBuffer;
    this.worker.postMessage({ recycle: buffer }, [buffer]);
  }

  private request(message: object, transfer: ArrayBuffer[] = []): Promise<NextChunk> {
    if (!this.configured) throw new Error('configure the event decoder before decoding');
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message }, transfer);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
