/** Worker thread entry: decodes chunks of lines for EventLineDecoder, in the order they come. */
import { parentPort } from 'node:worker_threads';
import { decodeEventLines } from './decode-lines.js';

if (!parentPort) throw new Error('decode-worker.js runs as a worker thread (see EventLineDecoder)');
const port = parentPort;
port.on('message', (msg: { id: number; lines: string[] }) => {
  try {
    port.postMessage({ id: msg.id, decoded: decodeEventLines(msg.lines) });
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
