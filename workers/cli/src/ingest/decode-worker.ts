/** Worker thread entry: decodes the chunks of one input for EventLineDecoder, in the order they come. */
import { parentPort } from 'node:worker_threads';
import { EventChunkDecoder, type DecodeOptions } from './decode-lines.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread (see EventLineDecoder)');
const port = parentPort;
let decoder: EventChunkDecoder | null = null;
port.on('message', (msg: { configure: DecodeOptions } | { id: number; bytes: Uint8Array; end: boolean }) => {
  if ('configure' in msg) {
    decoder = new EventChunkDecoder(msg.configure);
    return;
  }
  try {
    if (!decoder) throw new Error('the decoding thread was not configured');
    const chunk = decoder.decode(msg.bytes, msg.end);
    port.postMessage({ id: msg.id, chunk }, chunk.tuples ? [chunk.tuples.buffer as ArrayBuffer] : []);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
