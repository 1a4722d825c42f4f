import type { Command } from 'commander';
import { scanIntegration, type RunProgress, type RunSummary } from '@idgraph/collector';
import { createMemoryRateGovernor } from '@idgraph/okta';
import type { GraphStore, Integration, Run } from '@idgraph/graph';
import { sharedAbortController, type Logger } from '@idgraph/core';
import type { EventLimits } from '@idgraph/normalize';
import { ADMIN_POSTURE_CHECKS, runPostureChecks, postureThresholdsFromEnv } from '@idgraph/posture';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { formatDuration, out, table } from '../output.js';
import { clientForIntegration, readCredentials, saveIntegration, validateOrgUrl } from '../credentials.js';
import { listOption } from '../options.js';
import { validateName } from './integration.js';

interface ScanOptions {
  orgUrl?: string;
  tokenEnv?: string;
  clientId?: string;
  keyFile?: string;
  kid?: string;
  name?: string;
  scopes?: string[];
  allowHttp: boolean;
  json: boolean;
  resources?: string[];
  rateShare: number;
  restart: boolean;
  force: boolean;
}

/**
 * Saves (or updates) the integration of an ad-hoc `scan --org-url …`, so later commands can name it.
 * An existing integration of another org is not re-pointed without --force: the store would drop
 * its checkpoints and the scan would tombstone its whole graph.
 */
async function adHocIntegration(store: GraphStore, opts: ScanOptions): Promise<{ integration: Integration; moved: boolean }> {
  const orgUrl = validateOrgUrl(opts.orgUrl!, opts.allowHttp);
  const name = opts.name ?? new URL(orgUrl).host.replace(/:/g, '_');
  validateName(name);
  const existing = await store.getIntegration(name);
  const moved = existing !== undefined && existing.orgUrl !== orgUrl;
  if (moved && !opts.force) {
    throw new UsageError(
      `integration "${name}" is for ${existing.orgUrl}, not ${orgUrl}: scanning ${orgUrl} under that name would re-point it and tombstone the graph collected from ${existing.orgUrl}; ` +
        'pick another --name, or add --force to re-point it',
    );
  }
  const creds = await readCredentials(opts);
  const fields = {
    orgUrl,
    authMethod: creds.authMethod,
    clientId: creds.clientId ?? null,
    keyId: creds.keyId ?? null,
    scopes: creds.scopes ?? null,
    secrets: creds.secrets,
    allowHttp: opts.allowHttp,
  };
  return { integration: await saveIntegration(store, { name, ...fields }), moved };
}

/**
 * The interrupted scan of this integration, if any: the newest full `scan` run still marked running
 * because its process was killed, crashed or stopped by Ctrl-C (each leaves the run resumable).
 * Runs of other kinds started meanwhile (event refreshes, workers) do not hide it.
 */
async function interruptedScan(store: GraphStore, integration: Integration): Promise<Run | undefined> {
  const recent = await store.latestRuns(integration.id, 20);
  return recent.find((r) => r.status === 'running' && r.trigger === 'scan' && r.mode === 'full');
}

/** Renders run progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise. */
export function progressPrinter(enabled: boolean): (p: RunProgress) => void {
  let last = 0;
  const tty = process.stderr.isTTY;
  return (p) => {
    if (!enabled) return;
    const now = Date.now();
    if (now - last < (tty ? 250 : 5000)) return;
    last = now;
    const parts = p.resources.map((r) => `${r.resource} ${r.state === 'done' ? '✓' : r.state === 'failed' ? '✗' : r.state === 'skipped' ? '–' : r.objects}`);
    const line = `collecting: ${parts.join(' · ')}`;
    process.stderr.write(tty ? `\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}` : `${line}\n`);
  };
}

export function scanSummaryJson(integration: Integration, s: RunSummary, resumed = false) {
  return {
    integration: integration.name,
    orgUrl: integration.orgUrl,
    runId: s.runId,
    resumed,
    status: s.status,
    skipped: s.skipped,
    counts: s.counts,
    requests: s.requests,
    waited429: s.waited429,
    retries: s.retries,
    durationMs: s.durationMs,
    resources: s.perResource,
    ...(s.error ? { error: s.error } : {}),
  };
}

export function printScanSummary(integration: Integration, s: RunSummary): void {
  out.line(`\nscan of ${integration.name} (${integration.orgUrl}): ${s.status} in ${formatDuration(s.durationMs)}`);
  out.line(table(['kind', 'count'], Object.entries(s.counts as Record<string, number>).map(([k, v]) => [k, v])));
  out.line(`\nrequests ${s.requests} · 429s waited ${s.waited429} · retries ${s.retries}`);
  const failed = Object.values(s.perResource).filter((r) => r.state === 'failed');
  for (const r of failed) out.line(`  ${r.resource} failed: ${r.error ?? 'unknown error'}`);
  // Skipped resources share few reasons (one missing scope covers several): each reason once.
  const byReason = new Map<string, string[]>();
  for (const r of Object.values(s.perResource)) if (r.state === 'skipped') byReason.set(r.reason ?? '', [...(byReason.get(r.reason ?? '') ?? []), r.resource]);
  for (const [reason, names] of byReason) out.line(`  skipped ${names.join(', ')}: ${reason}`);
  if (s.error) out.line(`error: ${s.error}`);
  if (s.status === 'interrupted') out.line(`interrupted: run \`idgraph scan ${integration.name}\` again to resume from the last committed page (--restart starts afresh)`);
}

/** A scan did its job when nothing failed: skipped resources are the credentials' choice, not an error. */
export function scanExitCode(s: RunSummary): number {
  const failed = Object.values(s.perResource).some((r) => r.state === 'failed');
  return s.status === 'succeeded' || (s.status === 'partial' && !failed) ? 0 : 1;
}

export async function runScan(
  store: GraphStore,
  integration: Integration,
  opts: { logger: Logger; resources?: string[]; rateShare?: number; progress: boolean; signal?: AbortSignal; runId?: string; eventLimits?: Partial<EventLimits> },
): Promise<RunSummary> {
  const governor = createMemoryRateGovernor({ share: opts.rateShare ?? 0.5, maxConcurrent: 16 });
  const printer = progressPrinter(opts.progress);
  const summary = await scanIntegration({
    store,
    integration,
    makeClient: (hooks) => clientForIntegration(store, integration, { logger: opts.logger, governor, onRequest: hooks.onRequest, signal: opts.signal }),
    logger: opts.logger,
    onProgress: printer,
    ...(opts.resources ? { resources: opts.resources } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.eventLimits ? { eventLimits: opts.eventLimits } : {}),
    // Admin findings as soon as admin roles, holders and their factors are in (all checks run at the end).
    onAdminPostureFinal: async ({ integrationId }) => {
      await runPostureChecks({ store, db: store.gdb, integrationId, thresholds: postureThresholdsFromEnv(), logger: opts.logger, checks: ADMIN_POSTURE_CHECKS });
    },
  });
  if (opts.progress && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return summary;
}

export function registerScan(program: Command): void {
  program
    .command('scan [name]')
    .description(
      'One-shot full collection of an org, inline (no Redis), into DATABASE_URL or the embedded database; tombstones what disappeared since the last scan. ' +
        'A scan that was interrupted (killed, crashed) is resumed from its checkpoints; --restart starts afresh.',
    )
    .option('--org-url <url>', 'scan this org ad hoc (it is saved as an integration for later commands)')
    .option('--token-env <var>', 'environment variable holding an SSWS API token')
    .option('--client-id <id>', 'OAuth 2.0 service app client id')
    .option('--key-file <pem>', "service app's private key (PKCS#8 PEM)")
    .option('--kid <kid>', 'key id of that key')
    .option('--scopes <list>', 'service app: OAuth scopes to request (comma separated; default: the read scopes idgraph needs)', listOption)
    .option('--name <name>', 'name to save the ad-hoc integration as (default: the org host)')
    .option('--force', 'let --org-url re-point an existing --name integration to another org (its graph is tombstoned)', false)
    .option('--restart', 'start a new full run even if an interrupted scan could be resumed', false)
    .option('--allow-http', 'allow an http:// org URL (local simulators only)', false)
    .option('--resources <list>', 'only these resources (comma separated): users, groups, group_members, apps, app_assignments, roles, factors, system_log', listOption)
    .option('--rate-share <share>', "share of each Okta rate-limit bucket to use (0-1]; Okta's default per-token share is 0.5", Number, 0.5)
    .option('--json', 'print the summary as one JSON object', false)
    .action(
      action(
        async (ctx, name: string | undefined, opts: ScanOptions) => {
          if (!(opts.rateShare > 0 && opts.rateShare <= 1)) throw new UsageError(`--rate-share must be in (0, 1], got ${opts.rateShare}`);
          if (name && opts.orgUrl) throw new UsageError('give either an integration NAME or --org-url, not both');
          if (!name && !opts.orgUrl) throw new UsageError('scan needs an integration NAME or --org-url URL with credentials (see --help)');
          const store = await ctx.store();
          let integration: Integration;
          let moved = false;
          if (name) {
            const found = await store.getIntegration(name);
            if (!found) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`, or scan ad hoc with --org-url)`);
            integration = found;
          } else {
            ({ integration, moved } = await adHocIntegration(store, opts));
          }
          let resume = await interruptedScan(store, integration);
          if (resume && (opts.restart || moved)) {
            // Its checkpoints are of another org (moved) or unwanted: close it so it is never resumed.
            await store.finishRun(resume.id, 'failed', moved ? 'interrupted scan abandoned: the integration was re-pointed to another org' : 'interrupted scan abandoned: `scan --restart` started a new run');
            resume = undefined;
          }
          const resumeResources = resume?.resources.map((r) => r.resource).sort() ?? [];
          if (resume && opts.resources && [...new Set(opts.resources)].sort().join(',') !== resumeResources.join(',')) {
            throw new UsageError(
              `an interrupted scan of "${integration.name}" (run ${resume.id}, resources ${resumeResources.join(', ')}) can be resumed: ` +
                'run the scan without --resources to resume it, or add --restart to start afresh with these resources',
            );
          }
          if (resume) out.note(`resuming the interrupted scan of ${integration.name} (run ${resume.id}, started ${resume.startedAt.toISOString()}) from its checkpoints; --restart starts afresh`);
          const abort = sharedAbortController();
          const onSignal = () => abort.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            const summary = await runScan(store, integration, {
              logger: ctx.logger,
              resources: resume ? resumeResources : opts.resources,
              rateShare: opts.rateShare,
              progress: !opts.json,
              signal: abort.signal,
              ...(resume ? { runId: resume.id } : {}),
              eventLimits: ctx.config.eventLimits,
            });
            const exitCode = scanExitCode(summary);
            // Findings follow every collection run that completed what it could (they open, persist
            // and resolve run by run); skipped resources were not tombstoned, so they hold their last state.
            const posture = summary.status !== 'interrupted' && exitCode === 0
              ? await runPostureChecks({ store, db: await ctx.database(), integrationId: integration.id, thresholds: postureThresholdsFromEnv(), logger: ctx.logger })
              : null;
            const findings = posture ? Object.fromEntries(posture.checks.map((c) => [c.id, c.count])) : null;
            if (opts.json) out.json({ ...scanSummaryJson(integration, summary, resume !== undefined), findings });
            else {
              printScanSummary(integration, summary);
              if (posture) {
                const open = posture.checks.filter((c) => c.count > 0);
                out.line(`\nposture: ${open.reduce((n, c) => n + c.count, 0)} findings in ${open.length} of ${posture.checks.length} checks — \`idgraph report --integration ${integration.name}\``);
              }
            }
            return exitCode;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        },
        { quiet: (_name: string | undefined, opts: ScanOptions) => opts.json },
      ),
    );
}
