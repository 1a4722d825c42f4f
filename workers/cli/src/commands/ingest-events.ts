import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeError, eventTimingFromEnv } from '@idgraph/core';
import type { RefreshRequest } from '@idgraph/graph';
import { OktaSideEffects } from '@idgraph/stream-consumer/side-effects';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { UserError } from '../errors.js';
import { out, table } from '../output.js';
import { EventBatchWriter } from '../ingest/batch-writer.js';
import { EventLineDecoder, type NextChunk } from '../ingest/line-decoder.js';
import { readSize } from '../ingest/file-chunks.js';
import type { DecodedChunk } from '../ingest/decode-lines.js';

/** Chunks (see file-chunks.ts; each becomes one write transaction) decoding ahead of the writes. */
const DECODE_CHUNKS_AHEAD = 2;
const WRITES_IN_FLIGHT = 2;
const MAX_LISTED_REJECTIONS = 100;

export interface IngestReport {
  read: number;
  stored: number;
  /** The same events again (their uuid is stored, with the same content). */
  duplicates: number;
  /** Events whose uuid is stored with other content: the stored event stays; look at these. */
  conflicts: number;
  /** Their uuids (the first 1000). */
  conflictUuids: string[];
  /** Newly stored events that changed the graph (carried mutations or asked for re-reads). */
  applied: number;
  /** Row changes those events made (an event can make several, e.g. a new user and its Everyone membership). */
  mutationsApplied: number;
  refreshed: number;
  rejected: number;
  rejections: { line: number; reason: string }[];
  refreshFailures: { request: RefreshRequest; error: string }[];
}

export function registerIngestEvents(program: Command): void {
  program
    .command('ingest-events')
    .description(
      'Replay JSONL of Okta LogEvents or EventBridge envelopes through the streaming path (no SQS): events are stored once by uuid, applied to the graph, and targeted refreshes run inline.',
    )
    .requiredOption('--integration <name>', 'integration the events belong to')
    .requiredOption('--file <path>', "JSONL file, or '-' for stdin")
    .option('--json', 'print the counts as one JSON object', false)
    .action(
      action(
        async (ctx, opts: { integration: string; file: string; json: boolean }) => {
          const decoder = new EventLineDecoder();
          try {
            await ingestEvents(ctx, opts, decoder);
          } finally {
            await decoder.close();
          }
        },
        { quiet: (opts) => opts.json },
      ),
    );
}

async function ingestEvents(ctx: CliContext, opts: { integration: string; file: string; json: boolean }, decoder: EventLineDecoder): Promise<void> {
  const store = await ctx.store();
  const integration = await store.getIntegration(opts.integration);
  if (!integration) throw new UserError(`no integration named "${opts.integration}" (see \`idgraph integration list\`)`);
  if (opts.file !== '-') {
    try {
      await access(opts.file, constants.R_OK);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new UserError(`cannot read --file ${opts.file}: ${missing ? 'no such file' : 'permission denied'} (use '-' to read stdin)`);
    }
    if ((await stat(opts.file)).isDirectory()) throw new UserError(`cannot read --file ${opts.file}: it is a directory; give a JSONL file (or '-' for stdin)`);
  }
  const report: IngestReport = {
    read: 0,
    stored: 0,
    duplicates: 0,
    conflicts: 0,
    conflictUuids: [],
    applied: 0,
    mutationsApplied: 0,
    refreshed: 0,
    rejected: 0,
    rejections: [],
    refreshFailures: [],
  };
  // The same Okta side effects the stream follows (Everyone membership of new users, GROUP-scope app users …).
  const sideEffects = new OktaSideEffects(store);
  const writer = new EventBatchWriter({
    store,
    sideEffects,
    integrationId: integration.id,
    inFlight: WRITES_IN_FLIGHT,
    // The decoding thread writes the next chunks into the same memory.
    onStored: (chunk) => chunk.tuples && decoder.recycle(chunk.tuples),
  });
  const reject = (line: number, reason: string) => {
    report.rejected++;
    if (report.rejections.length < MAX_LISTED_REJECTIONS) report.rejections.push({ line, reason });
  };

  const take = async (chunk: DecodedChunk) => {
    report.read += chunk.read;
    for (const r of chunk.rejections) reject(r.line, r.reason);
    await writer.add(chunk);
  };

  let refreshRequests: RefreshRequest[] = [];
  // The input's bytes go to the decoding thread in chunks, a few chunks ahead, and come back
  // in order as events. On PostgreSQL the thread also encodes each event's COPY tuple, so the
  // event text never comes back to this thread.
  const database = await ctx.database();
  const copyRowsFor = database.kind === 'postgres' ? { tenantId: store.tenant, integrationId: integration.id } : null;
  decoder.configure({
    copyRowsFor,
    eventSource: integration.eventSource ?? null,
    // Events published later than the host clock plus the allowed skew are rejected with the reason.
    maxFutureMs: eventTimingFromEnv().maxFutureMs,
    limits: ctx.config.eventLimits,
    file: opts.file === '-' ? null : opts.file,
  });
  const decoding: Promise<NextChunk>[] = [];
  const queue = (decoded: Promise<NextChunk>) => {
    // Awaited in order later; a failure before then must not count as unhandled.
    decoded.catch(() => undefined);
    decoding.push(decoded);
  };
  try {
    if (opts.file === '-') {
      for await (const { bytes, owned } of streamChunks(process.stdin)) {
        queue(decoder.decode(bytes, false, owned));
        if (decoding.length > DECODE_CHUNKS_AHEAD) await take(await decoding.shift()!);
      }
      queue(decoder.decode(new Uint8Array(0), true, false));
      while (decoding.length) await take(await decoding.shift()!);
    } else {
      // The decoding thread reads the file itself, a few chunks ahead of the writes.
      for (let i = 0; i <= DECODE_CHUNKS_AHEAD; i++) queue(decoder.next());
      let ended = false;
      while (decoding.length) {
        const chunk = await decoding.shift()!;
        ended ||= chunk.last;
        if (!ended) queue(decoder.next());
        await take(chunk);
      }
    }
    refreshRequests = await writer.finish();
  } catch (err) {
    // Each batch is its own transaction: what was committed stays, and a rerun skips it.
    throw new Error(
      `${describeError(err)} after storing ${writer.counts.stored} events; run the same command again to finish (stored events are skipped)`,
      { cause: err },
    );
  }

  Object.assign(report, writer.counts);
  report.conflictUuids = writer.conflictUuids;
  if (refreshRequests.length) {
    // Loaded only when needed: the Okta client and the collector add a tenth of a second to the start.
    const [{ clientForIntegration }, { refreshObjects }] = await Promise.all([import('../credentials.js'), import('@idgraph/collector/refresh')]);
    const client = await clientForIntegration(store, integration, { logger: ctx.logger });
    const result = await refreshObjects({ client, store, integration, requests: refreshRequests, logger: ctx.logger });
    report.refreshed = result.refreshed;
    report.refreshFailures = result.failures.map((f) => ({ request: f.request, error: f.error }));
  }

  if (opts.json) out.json(report);
  else {
    out.line(
      table(
        ['read', 'stored', 'duplicates', 'conflicts', 'applied', 'refreshed', 'rejected'],
        [[report.read, report.stored, report.duplicates, report.conflicts, report.applied, report.refreshed, report.rejected]],
      ),
    );
    if (report.conflicts) {
      const one = report.conflicts === 1;
      out.line(
        `\n${report.conflicts} ${one ? 'event came' : 'events came'} with the uuid of a stored event but other content; the stored ${one ? 'event was' : 'events were'} kept (--json lists the uuids).`,
      );
    }
    if (report.rejections.length) {
      out.line('\nrejected lines:');
      out.line(table(['line', 'reason'], report.rejections.map((r) => [r.line, r.reason])));
    }
    if (report.refreshFailures.length) {
      out.line(`\n${report.refreshFailures.length} targeted refreshes failed; the next collection reconciles them:`);
      for (const f of report.refreshFailures.slice(0, 20)) out.line(`  ${JSON.stringify(f.request)}: ${f.error}`);
    }
  }
}

/** A stream's bytes (stdin's come 64 KB at a time) gathered into chunks as large as a file's reads. */
async function* streamChunks(input: NodeJS.ReadableStream): AsyncGenerator<{ bytes: Uint8Array; owned: boolean }> {
  let n = 0;
  let buffer = Buffer.allocUnsafeSlow(readSize(n));
  let filled = 0;
  for await (const piece of input as AsyncIterable<Buffer | string>) {
    let bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    while (bytes.length) {
      const taken = bytes.copy(buffer, filled);
      filled += taken;
      bytes = bytes.subarray(taken);
      if (filled === buffer.length) {
        yield { bytes: buffer, owned: true };
        buffer = Buffer.allocUnsafeSlow(readSize(++n));
        filled = 0;
      }
    }
  }
  if (filled) yield { bytes: buffer.subarray(0, filled), owned: true };
}
