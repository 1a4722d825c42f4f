import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { describeError } from '@idgraph/core';
import type { RefreshRequest } from '@idgraph/graph';
import { refreshObjects, withGraphReader } from '@idgraph/collector';
import { graphSideEffectLookups, OktaSideEffects } from '@idgraph/stream-consumer';
import { action } from '../action.js';
import { UserError } from '../errors.js';
import { out, table } from '../output.js';
import { clientForIntegration } from '../credentials.js';
import { EventBatchWriter, sideEffectEventOf } from '../ingest/batch-writer.js';
import { EventLineDecoder } from '../ingest/line-decoder.js';
import type { DecodedChunk } from '../ingest/decode-lines.js';

/** Events per transaction: large enough to amortise a COPY, small enough to overlap with parsing. */
const BATCH = 2000;
/** Lines per message to the decoding thread, and how many such chunks may be in flight. */
const DECODE_CHUNK = 500;
const DECODE_CHUNKS_AHEAD = 4;
const WRITES_IN_FLIGHT = 2;
const MAX_LISTED_REJECTIONS = 100;

export interface IngestReport {
  read: number;
  stored: number;
  duplicates: number;
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
          const store = await ctx.store();
          const integration = await store.getIntegration(opts.integration);
          if (!integration) throw new UserError(`no integration named "${opts.integration}" (see \`idgraph integration list\`)`);
          if (opts.file !== '-') {
            try {
              await access(opts.file);
            } catch {
              throw new UserError(`cannot read --file ${opts.file}: no such file (use '-' to read stdin)`);
            }
          }
          const input = opts.file === '-' ? process.stdin : createReadStream(opts.file, { encoding: 'utf8' });
          const report: IngestReport = { read: 0, stored: 0, duplicates: 0, applied: 0, mutationsApplied: 0, refreshed: 0, rejected: 0, rejections: [], refreshFailures: [] };
          // The same Okta side effects the stream follows (Everyone membership of new users, GROUP-scope app users …).
          const sideEffects = new OktaSideEffects(graphSideEffectLookups(await ctx.database(), store.tenant));
          const writer = new EventBatchWriter({ store, sideEffects, integrationId: integration.id, batchSize: BATCH, inFlight: WRITES_IN_FLIGHT });
          const reject = (line: number, reason: string) => {
            report.rejected++;
            if (report.rejections.length < MAX_LISTED_REJECTIONS) report.rejections.push({ line, reason });
          };

          const take = async (firstLineNo: number, { lines: decoded, copyBytes }: DecodedChunk) => {
            for (const [i, d] of decoded.entries()) {
              if (d.ok === 'blank') continue;
              report.read++;
              const lineNo = firstLineNo + i;
              if (d.ok === false) {
                reject(lineNo, d.reason);
                continue;
              }
              if (d.source !== null && integration.eventSource && d.source !== integration.eventSource) {
                reject(lineNo, `event source ${d.source} is not this integration's (${integration.eventSource})`);
                continue;
              }
              const copyRow = copyBytes && d.copyRange ? copyBytes.subarray(d.copyRange[0], d.copyRange[1]) : undefined;
              const item = { integrationId: integration.id, row: d.row, mutations: d.mutations, via: 'file' as const, ...(copyRow ? { copyRow } : {}) };
              const extra = await sideEffects.extraMutations(sideEffectEventOf(item));
              if (extra.length) item.mutations = [...d.mutations, ...extra];
              await writer.add({ item, refresh: d.refresh });
            }
          };

          let refreshRequests: RefreshRequest[] = [];
          // Lines go to the decoding thread in chunks, a few chunks ahead, and are taken back in order.
          // On PostgreSQL the thread also encodes each event's COPY line, so the event text never
          // has to come back to this thread as a string.
          const database = await ctx.database();
          const copyRowsFor = database.kind === 'postgres' ? { tenantId: store.tenant, integrationId: integration.id } : null;
          const decoder = new EventLineDecoder({ threads: 1, copyRowsFor });
          const decoding: { firstLineNo: number; decoded: Promise<DecodedChunk> }[] = [];
          const send = (lines: string[], firstLineNo: number) => {
            const decoded = decoder.decode(lines);
            // Awaited in order later; a failure before then must not count as unhandled.
            decoded.catch(() => undefined);
            decoding.push({ firstLineNo, decoded });
          };
          const takeOldest = async () => {
            const next = decoding.shift()!;
            await take(next.firstLineNo, await next.decoded);
          };
          try {
            let lineNo = 0;
            let chunk: string[] = [];
            for await (const text of createInterface({ input, crlfDelay: Infinity })) {
              lineNo++;
              chunk.push(text);
              if (chunk.length < DECODE_CHUNK) continue;
              send(chunk, lineNo - chunk.length + 1);
              chunk = [];
              if (decoding.length > DECODE_CHUNKS_AHEAD) await takeOldest();
            }
            if (chunk.length) send(chunk, lineNo - chunk.length + 1);
            while (decoding.length) await takeOldest();
            refreshRequests = await writer.finish();
          } catch (err) {
            // Each batch is its own transaction: what was committed stays, and a rerun skips it.
            throw new Error(
              `${describeError(err)} after storing ${writer.counts.stored} events; run the same command again to finish (stored events are skipped)`,
              { cause: err },
            );
          } finally {
            await decoder.close();
          }

          Object.assign(report, writer.counts);
          if (refreshRequests.length) {
            const client = await clientForIntegration(store, integration, { logger: ctx.logger });
            const result = await refreshObjects({ client, store: withGraphReader(store), integration, requests: refreshRequests, logger: ctx.logger });
            report.refreshed = result.refreshed;
            report.refreshFailures = result.failures.map((f) => ({ request: f.request, error: f.error }));
          }

          if (opts.json) out.json(report);
          else {
            out.line(
              table(
                ['read', 'stored', 'duplicates', 'applied', 'refreshed', 'rejected'],
                [[report.read, report.stored, report.duplicates, report.applied, report.refreshed, report.rejected]],
              ),
            );
            if (report.rejections.length) {
              out.line('\nrejected lines:');
              out.line(table(['line', 'reason'], report.rejections.map((r) => [r.line, r.reason])));
            }
            if (report.refreshFailures.length) {
              out.line(`\n${report.refreshFailures.length} targeted refreshes failed; the next collection reconciles them:`);
              for (const f of report.refreshFailures.slice(0, 20)) out.line(`  ${JSON.stringify(f.request)}: ${f.error}`);
            }
          }
        },
        { quiet: (opts) => opts.json },
      ),
    );
}
