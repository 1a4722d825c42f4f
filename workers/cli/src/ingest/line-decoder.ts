import { Worker } from 'node:worker_threads';
import { decodeEventLines, type DecodedChunk, type DecodeOptions } from './decode-lines.js';

/**
 * Decodes event lines on a worker thread, so JSON parsing and normalising (about half of
 * ingest-events' CPU) run beside the main thread's reading and database writes. Results come
 * back in the order chunks were sent (one worker, FIFO). Without a worker (`threads: 0`) it
 * decodes inline.
 */
export class EventLineDecoder {
  private readonly worker: Worker | null;
  private readonly pending = new Map<number, { resolve: (d: DecodedChunk) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly opts: { threads: 0 | 1 } & DecodeOptions) {
    this.worker = opts.threads ? new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: { copyRowsFor: opts.copyRowsFor ?? null } }) : null;
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

  decode(lines: string[]): Promise<DecodedChunk> {
    if (!this.worker) return Promise.resolve(decodeEventLines(lines, this.opts));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, lines });
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
