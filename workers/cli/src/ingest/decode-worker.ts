/** Worker thread entry: decodes the chunks of one input for EventLineDecoder, in the order they come. */
import { parentPort, workerData } from 'node:worker_threads';
import { EventChunkDecoder, type DecodeOptions } from './decode-lines.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread (see EventLineDecoder)');
const port = parentPort;
const decoder = new EventChunkDecoder((workerData ?? {}) as DecodeOptions);
port.on('message', (msg: { id: number; bytes: Uint8Array; end: boolean }) => {
  try {
    const chunk = decoder.decode(msg.bytes, msg.end);
    port.postMessage({ id: msg.id, chunk }, chunk.tuples ? [chunk.tuples.buffer as ArrayBuffer] : []);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
