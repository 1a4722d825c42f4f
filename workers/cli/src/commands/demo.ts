import type { Command } from 'commander';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startOktaSim, expectedFindings, type OktaSim, type SimMutation } from '@idgraph/okta-sim';
import { refreshObjects, type RunSummary } from '@idgraph/collector';
import { runStreamWorker, startLocalSqs } from '@idgraph/stream-consumer';
import { buildReport, formatReportTable, reportLabels, runPostureChecks, resolvePostureThresholds, type PostureReport } from '@idgraph/posture';
import { sortExportLines, type ExportLine, type GraphStore, type Integration } from '@idgraph/graph';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { formatDuration, out, table } from '../output.js';
import { clientForIntegration } from '../credentials.js';
import { runScan, scanSummaryJson, printScanSummary } from './scan.js';
import { intOption } from '../options.js';
import { sleep } from '@idgraph/core';

const DEMO_NAME = 'demo';

interface DemoOptions {
  users: number;
  changes: number;
  seed: number;
  json: boolean;
}

export interface DemoResult {
  integration: string;
  org: { url: string; users: number; seed: number };
  scan: ReturnType<typeof scanSummaryJson>;
  stream: { sent: number; applied: number; deadLettered: number; duplicatesSent: number; refreshed: number };
  changes: { eventType: string; summary: string; published: string }[];
  graphMatchesOkta: boolean;
  graphDifferences: string[];
  report: PostureReport;
  planted: { expected: number; found: number; missing: string[]; extra: string[]; exact: boolean };
  durationMs: number;
}

/**
 * A fresh integration per demo: each demo org is generated anew from its seed, so the previous
 * demo's rows (with live changes applied to an org that no longer exists) are retired first.
 */
async function demoIntegration(store: GraphStore, sim: OktaSim): Promise<Integration> {
  if (await store.getIntegration(DEMO_NAME)) await store.removeIntegration(DEMO_NAME);
  return store.createIntegration({
    name: DEMO_NAME,
    orgUrl: sim.url,
    authMethod: 'ssws',
    clientId: null,
    keyId: null,
    secrets: { token: sim.apiToken },
    allowHttp: true,
    eventSource: sim.eventSource,
  });
}

function describeChange(m: SimMutation): string {
  const targets = (m.event.target ?? []).map((t) => `${t.type} ${t.alternateId && t.alternateId !== 'unknown' ? t.alternateId : (t.displayName ?? t.id)}`);
  return targets.join(' → ') || m.event.displayMessage || '';
}

/** Lines of `a` not in `b` and vice versa, for a short diff. */
function diffLines(actual: ExportLine[], expected: ExportLine[]): string[] {
  const a = new Set(actual.map((l) => JSON.stringify(l)));
  const e = new Set(expected.map((l) => JSON.stringify(l)));
  const diffs: string[] = [];
  for (const l of e) if (!a.has(l)) diffs.push(`missing: ${l}`);
  for (const l of a) if (!e.has(l)) diffs.push(`extra:   ${l}`);
  return diffs;
}

async function exportOf(store: GraphStore, integrationId: string): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const l of store.exportGraph({ integrationId })) lines.push(l);
  return lines;
}

/** Sends the changes' envelopes (plus a duplicate and a malformed message) and waits until the consumer has handled all. */
async function streamChanges(ctx: CliContext, store: GraphStore, integration: Integration, mutations: SimMutation[]) {
  const sqsServer = await startLocalSqs();
  try {
    const dlq = await sqsServer.createQueue('idgraph-demo-dlq');
    const queue = await sqsServer.createQueue('idgraph-demo', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '5' }),
    });
    let refreshed = 0;
    const worker = await runStreamWorker(ctx.config, {
      stream: {
        queueUrl: queue.url,
        deadLetterQueueUrl: dlq.url,
        endpoint: sqsServer.endpoint,
        region: 'us-east-1',
        pollers: 2,
        waitTimeSeconds: 1,
        batchSize: 10,
        visibilityTimeoutSeconds: 30,
      },
      store,
      sideEffects: store,
      sqs: sqsServer.sqs,
      logger: ctx.logger,
      metricsLogIntervalMs: 0,
      onRefresh: async (_integrationId, requests) => {
        const client = await clientForIntegration(store, integration, { logger: ctx.logger });
        const r = await refreshObjects({ client, store, integration, requests, logger: ctx.logger, trigger: 'stream' });
        refreshed += r.refreshed;
      },
    });
    const bodies = mutations.map((m) => JSON.stringify(m.envelope));
    // At-least-once delivery is the norm: one duplicate; and one message that is not an event at all.
    if (bodies.length) bodies.push(bodies[0]!);
    bodies.push('{"not":"an EventBridge envelope"}');
    for (let i = 0; i < bodies.length; i += 10) {
      await sqsServer.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(i + j), MessageBody: b })),
        }),
      );
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = worker.metrics.snapshot();
      if (m.applied + m.dlq >= bodies.length) break;
      if (Date.now() > deadline) throw new Error(`stream did not drain in 60 s (handled ${m.applied + m.dlq} of ${bodies.length})`);
      await sleep(100);
    }
    await worker.stop();
    const m = worker.metrics.snapshot();
    return { sent: bodies.length, applied: m.applied, deadLettered: m.dlq, duplicatesSent: 1, refreshed };
  } finally {
    await sqsServer.stop();
  }
}

export async function runDemo(ctx: CliContext, opts: DemoOptions, progress: (s: string) => void): Promise<DemoResult> {
  const started = Date.now();
  progress(`starting a simulated Okta org (${opts.users} users, seed ${opts.seed}) …`);
  // Raised limits: a real org of this size takes hours at Okta's defaults (the demo shows the pipeline, not the wait).
  const sim = await startOktaSim({ seed: opts.seed, users: opts.users, rateLimitFactor: 40, tokenShare: 1, plantPosture: true });
  try {
    const store = await ctx.store();
    const integration = await demoIntegration(store, sim);
    progress(`scanning ${sim.url} into ${ctx.config.databaseUrl ? 'PostgreSQL' : `the embedded database (${ctx.config.dataDir})`} …`);
    const scan: RunSummary = await runScan(store, integration, { logger: ctx.logger, rateShare: 1, progress: !opts.json, eventLimits: ctx.config.eventLimits });
    if (scan.status !== 'succeeded') throw new Error(`the demo scan ended ${scan.status}: ${scan.error ?? 'see the log'}`);
    if (!opts.json) printScanSummary(integration, scan);

    progress(`streaming ${opts.changes} live changes through EventBridge envelopes → SQS → consumer …`);
    const mutations: SimMutation[] = [];
    for (let i = 0; i < opts.changes; i++) mutations.push(sim.mutate());
    const stream = await streamChanges(ctx, store, integration, mutations);

    const actual = await exportOf(store, integration.id);
    const differences = diffLines(actual, sortExportLines(sim.truth()));

    const thresholds = resolvePostureThresholds();
    const now = new Date();
    const run = await runPostureChecks({ store, db: await ctx.database(), integrationId: integration.id, thresholds, now, logger: ctx.logger });
    const report = buildReport(run);
    const expected = expectedFindings(sim.org, thresholds, now);
    const missing: string[] = [];
    const extra: string[] = [];
    let expectedCount = 0;
    for (const check of report.checks) {
      const want = new Set(expected[check.id] ?? []);
      expectedCount += want.size;
      const got = new Set(check.subjects);
      for (const s of want) if (!got.has(s)) missing.push(`${check.id} ${s}`);
      for (const s of got) if (!want.has(s)) extra.push(`${check.id} ${s}`);
    }
    const result: DemoResult = {
      integration: integration.name,
      org: { url: sim.url, users: opts.users, seed: opts.seed },
      scan: scanSummaryJson(integration, scan),
      stream,
      changes: mutations.map((m) => ({ eventType: m.event.eventType, summary: describeChange(m), published: m.event.published })),
      graphMatchesOkta: differences.length === 0,
      graphDifferences: differences.slice(0, 50),
      report,
      planted: { expected: expectedCount, found: expectedCount - missing.length, missing, extra, exact: missing.length === 0 && extra.length === 0 },
      durationMs: Date.now() - started,
    };
    if (!opts.json) {
      out.line('\nlive changes seen through the stream:');
      out.line(table(['event', 'subject'], result.changes.map((c) => [c.eventType, c.summary])));
      out.line(
        `\nstream: ${stream.sent} messages (1 duplicate, 1 malformed) → ${stream.applied} applied, ${stream.deadLettered} dead-lettered, ${stream.refreshed} objects refreshed from Okta`,
      );
      out.line(`graph equals the org: ${result.graphMatchesOkta ? 'yes' : `NO (${differences.length} differing lines)`}`);
      for (const d of result.graphDifferences.slice(0, 10)) out.line(`  ${d}`);
      out.line('');
      out.line(formatReportTable(report, reportLabels(run), { onlyFindings: true }));
      out.line(
        `planted findings: ${result.planted.found} of ${result.planted.expected} found, ${extra.length} unexpected${result.planted.exact ? ' — exact' : ''}`,
      );
      out.line(`\ndone in ${formatDuration(result.durationMs)}. Try: idgraph graph export --integration demo | head, idgraph report --integration demo --json`);
    }
    return result;
  } finally {
    await sim.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('End to end on a simulated org: scan it, stream live changes through SQS, print the posture report.')
    .option('--users <n>', 'users in the simulated org', intOption('--users', 50, 200_000), 3000)
    .option('--changes <n>', 'live changes to stream', intOption('--changes', 0, 10_000), 40)
    .option('--seed <n>', 'org seed', intOption('--seed', 0), 42)
    .option('--json', 'print one JSON object with the scan, stream, report and planted-findings check', false)
    .action(
      action(
        async (ctx, opts: DemoOptions) => {
          const result = await runDemo(ctx, opts, (s) => {
            if (!opts.json) out.note(s);
          });
          if (opts.json) out.json(result);
          return result.graphMatchesOkta && result.planted.exact ? 0 : 1;
        },
        { quiet: (opts: DemoOptions) => opts.json },
      ),
    );
}
