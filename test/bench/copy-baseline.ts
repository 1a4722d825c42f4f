/**
 * The physical baseline of storing events: PostgreSQL's own binary COPY, through the driver, of
 * the very log_events rows an ingest path writes for the same events (the tuples
 * writeEventCopyTuple encodes, as ingest-events' decoding thread does), into a database in the
 * same state. Encoding happens before the clock runs: the baseline is the server's (and the
 * socket's) cost alone, what no ingest path can beat. Rates measured on this shared machine drift
 * by up to 1.7× between days, so an ingest rate means something only as a share of this one,
 * measured in the same run.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { COPY_EVENT_COLUMNS, CopyTupleWriter, executorOf, openDatabase, writeEventCopyTuple } from '@idgraph/graph';
import { normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';

/** Events per COPY, each in its own transaction: about ingest-events' 16 MB batches for 2.3 KB events. */
const COPY_CHUNK_EVENTS = 7000;

export interface CopyBaseline {
  events: number;
  /** Time spent in the COPYs and their commits. */
  seconds: number;
  eventsPerSecond: number;
}

/** Lines of a JSONL file, read as they are needed. */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim() !== '') yield line;
}

/**
 * COPYs the log_events rows of `lines` (EventBridge envelopes or bare LogEvents, one per line) for
 * the integration, `COPY_CHUNK_EVENTS` per transaction, and times the COPYs alone.
 */
export async function copyBaseline(opts: {
  databaseUrl: string;
  tenantId: string;
  integrationId: string;
  lines: AsyncIterable<string> | Iterable<string>;
  chunkEvents?: number;
}): Promise<CopyBaseline> {
  const chunkEvents = opts.chunkEvents ?? COPY_CHUNK_EVENTS;
  const gdb = await openDatabase({ databaseUrl: opts.databaseUrl, maxConnections: 1 });
  const exec = executorOf(gdb.db);
  if (!exec.copyIn) throw new Error('the COPY baseline needs PostgreSQL');
  const writer = new CopyTupleWriter(chunkEvents * 4096);
  let events = 0;
  let inChunk = 0;
  let copyMs = 0;
  const flush = async (): Promise<void> => {
    if (inChunk === 0) return;
    const tuples = writer.take();
    const started = performance.now();
    await exec.tx((tx) => tx.copyIn!('log_events', COPY_EVENT_COLUMNS, [tuples]));
    copyMs += performance.now() - started;
    inChunk = 0;
  };
  try {
    for await (const line of opts.lines) {
      const parsed = parseEventMessage(line);
      if (!parsed.ok) throw new Error(`COPY baseline: an event the ingest path would reject (${parsed.reason})`);
      writeEventCopyTuple(writer, opts.tenantId, opts.integrationId, normalizeLogEventRow(parsed.event, parsed.eventJson), 'file');
      events++;
      if (++inChunk === chunkEvents) await flush();
    }
    await flush();
  } finally {
    await gdb.close();
  }
  const seconds = copyMs / 1000;
  return { events, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(events / seconds) };
}
