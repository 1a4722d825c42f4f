/** Worker thread entry: decodes one input for DecodingThread, chunk by chunk, in the order asked. */
import { parentPort } from 'node:worker_threads';
import { EventLineDecoder, type DecodeOptions } from './decode-lines.js';
import { FileChunkReader } from './file-chunks.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread (see DecodingThread)');
const port = parentPort;
let decoder: EventLineDecoder | null = null;
let reader: FileChunkReader | null = null;

type Request = { configure: DecodeOptions; file: string | null } | { recycle: ArrayBuffer } | { id: number; bytes: Uint8Array; end: boolean } | { id: number; next: true };

port.on('message', (msg: Request) => {
  if ('configure' in msg) {
    decoder = new EventLineDecoder(msg.configure);
    reader = msg.file === null ? null : new FileChunkReader(msg.file);
    return;
  }
  if ('recycle' in msg) {
    decoder?.recycle(msg.recycle);
    return;
  }
  try {
    if (!decoder) throw new Error('the decoding thread was not configured');
    let chunk;
    let last = false;
    if ('next' in msg) {
      if (!reader) throw new Error('the decoding thread reads no file');
      const bytes = reader.next();
      last = bytes === null;
      chunk = decoder.decode(bytes ?? new Uint8Array(0), last);
    } else {
      chunk = decoder.decode(msg.bytes, msg.end);
    }
    port.postMessage({ id: msg.id, chunk, last }, chunk.tuples ? [chunk.tuples.buffer as ArrayBuffer] : []);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
