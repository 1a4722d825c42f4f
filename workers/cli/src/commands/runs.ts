import type { Command } from 'commander';
import { Queue, QueueEvents } from 'bullmq';
import { QUEUES, sleep } from '@idgraph/core';
import { collectNow, estimateRunEta, expectedObjectsFromLastRun, parseResources, redisConnection } from '@idgraph/collector';
import type { Run } from '@idgraph/graph';
import { action } from '../action.js';
import { requirePostgres, requireRedis } from '../context.js';
import { UserError } from '../errors.js';
import { formatDuration, out, table } from '../output.js';
import { intOption, listOption } from '../options.js';
import { selectIntegrations } from './report.js';

type RunWithResources = Run & { resources?: { resource: string; state: string; pages: number; objects: number; requests: number; waited429: number; retries: number; error: string | null }[] };

function runRow(r: RunWithResources, names: Map<string, string>) {
  const ended = r.endedAt ? new Date(r.endedAt).getTime() : Date.now();
  return [
    r.id.slice(0, 8),
    names.get(r.integrationId) ?? r.integrationId,
    r.mode,
    r.trigger,
    r.status,
    new Date(r.startedAt).toISOString().replace('T', ' ').slice(0, 19),
    formatDuration(ended - new Date(r.startedAt).getTime()),
  ];
}

function resourceTable(r: RunWithResources): string {
  return table(
    ['resource', 'state', 'pages', 'objects', 'requests', '429s', 'retries', 'error / reason skipped'],
    (r.resources ?? []).map((x) => [x.resource, x.state, x.pages, x.objects, x.requests, x.waited429, x.retries, x.error ?? '']),
  );
}

/** JSON of a run: a skipped resource's `error` column holds why it was skipped; name it so. */
function runJson(r: RunWithResources) {
  return { ...r, resources: (r.resources ?? []).map((x) => (x.state === 'skipped' ? { ...x, error: null, reason: x.error } : x)) };
}

/** A run did its job when no resource failed (skipped ones are the credentials' choice). */
function runSucceeded(summary: { status?: string; perResource?: Record<string, { state: string }> } | null): boolean {
  if (!summary?.status) return true;
  if (summary.status === 'succeeded') return true;
  return summary.status === 'partial' && !Object.values(summary.perResource ?? {}).some((x) => x.state === 'failed');
}

/** When the run's admin checks became final (admin roles, their holders and their factors collected first). */
function adminPostureLine(r: RunWithResources): string | null {
  if (r.adminPostureFinalAt) {
    const at = new Date(r.adminPostureFinalAt);
    return `admin posture final at ${at.toISOString()} (${formatDuration(at.getTime() - new Date(r.startedAt).getTime())} into the run)`;
  }
  if (r.mode !== 'full') return null;
  return r.status === 'running' ? 'admin posture: not final yet (admin roles, their holders and their factors come first)' : 'admin posture: not final in this run (a resource it needs failed or was skipped)';
}

function etaLine(r: RunWithResources, expectedObjects: Map<string, number>): string | null {
  const eta = estimateRunEta(r, expectedObjects);
  return eta ? `ETA ~${formatDuration(eta.seconds * 1000)} at ${eta.requestsPerMinute} requests/min (the spendable rate budget)` : null;
}

export function registerRuns(program: Command): void {
  program
    .command('runs [name]')
    .description('Collection runs (newest first) with per-resource progress.')
    .option('-n, --limit <n>', 'how many runs (1-1000)', intOption('--limit', 1, 1000), 10)
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, name: string | undefined, opts: { limit: number; json: boolean }) => {
        const store = await ctx.store();
        const integrations = await selectIntegrations(store, name);
        const names = new Map(integrations.map((i) => [i.id, i.name]));
        const runs: RunWithResources[] = [];
        for (const i of integrations) runs.push(...((await store.latestRuns(i.id, opts.limit)) as RunWithResources[]));
        runs.sort((a, b) => new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime());
        if (opts.json) return out.json(runs.slice(0, opts.limit).map(runJson));
        if (!runs.length) return out.line('no runs yet: `idgraph scan NAME` or `idgraph collect-now NAME`');
        out.line(table(['run', 'integration', 'mode', 'trigger', 'status', 'started (UTC)', 'duration'], runs.slice(0, opts.limit).map((r) => runRow(r, names))));
        const latest = runs[0]!;
        out.line(`\nlatest run ${latest.id}:`);
        out.line(resourceTable(latest));
        const admin = adminPostureLine(latest);
        if (admin) out.line(admin);
      }),
    );

  program
    .command('status')
    .description('Per integration: the run under way (progress, ETA) or the last run, and open findings.')
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, opts: { json: boolean }) => {
        const store = await ctx.store();
        const integrations = await store.listIntegrations();
        const result = [];
        for (const i of integrations) {
          const running = (await store.runningRun(i.id)) as RunWithResources | undefined;
          const last = ((await store.latestRuns(i.id, 1)) as RunWithResources[])[0];
          const current = running ? ((await store.getRun(running.id)) as RunWithResources) : last;
          const eta = current ? etaLine(current, await expectedObjectsFromLastRun(store, i.id)) : null;
          const findings = await store.listFindings(i.id, { openOnly: true });
          result.push({ integration: i.name, orgUrl: i.orgUrl, run: current ?? null, eta, openFindings: findings.length });
        }
        if (opts.json) return out.json(result);
        if (!result.length) return out.line('no integrations yet: `idgraph integration add` or `idgraph demo`');
        for (const r of result) {
          out.line(`${r.integration} (${r.orgUrl}) — ${r.openFindings} open findings`);
          if (!r.run) out.line('  never collected');
          else {
            out.line(`  ${r.run.status === 'running' ? 'collecting now' : 'last run'}: ${r.run.mode} ${r.run.trigger}, ${r.run.status}, started ${new Date(r.run.startedAt).toISOString()}`);
            out.line(resourceTable(r.run).replace(/^/gm, '  '));
            const admin = adminPostureLine(r.run);
            if (admin) out.line(`  ${admin}`);
            if (r.eta) out.line(`  ${r.eta}`);
          }
          out.line('');
        }
      }),
    );

  program
    .command('collect-now <name>')
    .description('Start a full collection now on the workers (a second request while one is under way joins it).')
    .option('--resources <list>', 'only these resources (comma separated)', listOption)
    .option('--wait', 'show live progress and exit when the run ends', false)
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, name: string, opts: { resources?: string[]; wait: boolean; json: boolean }) => {
        requirePostgres(ctx, 'collect-now');
        await requireRedis(ctx);
        const store = await ctx.store();
        const integration = await store.getIntegration(name);
        if (!integration) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
        if (opts.resources) {
          try {
            parseResources(opts.resources);
          } catch (err) {
            throw new UserError((err as Error).message);
          }
        }
        const connection = redisConnection(ctx.config.redisUrl);
        const queue = new Queue(QUEUES.collect, { connection, prefix: ctx.config.queuePrefix });
        try {
          const { jobId, joined, runId } = await collectNow(queue, integration.id, opts.resources, { tenant: store.tenant, runs: store });
          if (!opts.wait) {
            if (opts.json) out.json({ jobId, joined, runId: runId ?? null });
            else out.line(joined ? `a collection of ${name} is already queued or running (job ${jobId}): joined it` : `queued a collection of ${name} (job ${jobId}); run \`idgraph workers\` if none are running`);
            return;
          }
          const events = new QueueEvents(QUEUES.collect, { connection: connection.duplicate(), prefix: ctx.config.queuePrefix });
          try {
            await events.waitUntilReady();
            out.note(`waiting for job ${jobId}${joined ? ' (joined a run already under way)' : ''} …`);
            let lastPrint = 0;
            events.on('progress', ({ jobId: id, data }) => {
              if (id !== jobId || opts.json) return;
              if (Date.now() - lastPrint < 2000) return;
              lastPrint = Date.now();
              const p = data as { resources?: { resource: string; state: string; objects: number }[] };
              out.note(`  ${(p.resources ?? []).map((r) => `${r.resource} ${r.state === 'done' ? '✓' : r.state === 'skipped' ? '–' : r.objects}`).join(' · ')}`);
            });
            for (;;) {
              const job = await queue.getJob(jobId);
              if (!job) throw new UserError(`job ${jobId} vanished from the queue`);
              const state = await job.getState();
              if (state === 'completed' || state === 'failed') {
                const summary = job.returnvalue as { runId?: string; status?: string; skipped?: string[]; perResource?: Record<string, { state: string }> } | null;
                if (opts.json) out.json({ jobId, joined, runId: runId ?? null, state, summary, failedReason: job.failedReason ?? null });
                else {
                  const skipped = summary?.skipped?.length ? ` (skipped ${summary.skipped.join(', ')}: see \`idgraph runs ${name}\`)` : '';
                  out.line(`job ${jobId} ${state}${summary?.status ? `: run ${summary.runId} ${summary.status}${skipped}` : ''}${job.failedReason ? `: ${job.failedReason}` : ''}`);
                }
                return state === 'completed' && runSucceeded(summary) ? 0 : 1;
              }
              await sleep(500);
            }
          } finally {
            await events.close();
          }
        } finally {
          await queue.close();
          connection.disconnect();
        }
      }),
    );
}
