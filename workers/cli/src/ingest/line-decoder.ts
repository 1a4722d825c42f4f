import { Worker } from 'node:worker_threads';
import { EventChunkDecoder, type DecodedChunk, type DecodeOptions } from './decode-lines.js';

/**
 * Decodes an input's bytes on a worker thread, so JSON parsing, normalising and COPY encoding (most
 * of ingest-events' CPU) run beside the main thread's reading and database writes. Chunks are
 * decoded in the order they were sent (one worker, FIFO), which lines spanning chunks rely on.
 * Without a worker (`threads: 0`) it decodes inline.
 */
export class EventLineDecoder {
  private readonly worker: Worker | null;
  private inline: EventChunkDecoder | null = null;
  private configured = false;
  private readonly pending = new Map<number, { resolve: (d: DecodedChunk) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  /** Starts the thread at once, so it boots while the caller still opens the database; `configure` before decoding. */
  constructor(opts: { threads: 0 | 1 }) {
    this.worker = opts.threads ? new Worker(new URL('./decode-worker.js', import.meta.url)) : null;
    this.worker?.on('message', (msg: { id: number; chunk?: DecodedChunk; error?: string }) => {
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.chunk) waiter.resolve(msg.chunk);
      else waiter.reject(new Error(`decoding events failed: ${msg.error ?? 'unknown error'}`));
    });
    this.worker?.on('error', (err) => this.failAll(err));
    this.worker?.on('exit', (code) => this.failAll(new Error(`the event decoding thread exited (code ${code})`)));
  }

  configure(options: DecodeOptions): void {
    if (this.configured) throw new Error('the event decoder is configured already');
    this.configured = true;
    const plain: DecodeOptions = { copyRowsFor: options.copyRowsFor ?? null, eventSource: options.eventSource ?? null };
    if (this.worker) this.worker.postMessage({ configure: plain });
    else this.inline = new EventChunkDecoder(plain);
  }

  /**
   * The lines `bytes` completes; `end`: the input ends after these bytes. `owned`: the caller
   * gives up the bytes' whole ArrayBuffer, which moves to the thread instead of being copied.
   */
  decode(bytes: Uint8Array, end = false, owned = false): Promise<DecodedChunk> {
    if (!this.configured) throw new Error('configure the event decoder before decoding');
    if (this.inline) return Promise.resolve(this.inline.decode(bytes, end));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, bytes, end }, owned ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
