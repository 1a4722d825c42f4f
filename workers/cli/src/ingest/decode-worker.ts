/** Worker thread entry: decodes chunks of lines for EventLineDecoder, in the order they come. */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeEventLines, type DecodeOptions } from './decode-lines.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread (see EventLineDecoder)');
const port = parentPort;
const options = (workerData ?? {}) as DecodeOptions;
port.on('message', (msg: { id: number; lines: string[] }) => {
  try {
    const chunk = decodeEventLines(msg.lines, options);
    port.postMessage({ id: msg.id, chunk }, chunk.copyBytes ? [chunk.copyBytes.buffer as ArrayBuffer] : []);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
