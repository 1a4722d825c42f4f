import type { Command } from 'commander';
import { scanIntegration, withGraphReader, type RunProgress, type RunSummary } from '@idgraph/collector';
import { createMemoryRateGovernor } from '@idgraph/okta';
import type { GraphStore, Integration } from '@idgraph/graph';
import type { Logger } from '@idgraph/core';
import type { EventLimits } from '@idgraph/normalize';
import { runPostureChecks, postureThresholdsFromEnv } from '@idgraph/posture';
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
  allowHttp: boolean;
  json: boolean;
  resources?: string[];
  rateShare: number;
}

/** Saves (or updates) the integration of an ad-hoc `scan --org-url …`, so later commands can name it. */
async function adHocIntegration(store: GraphStore, opts: ScanOptions): Promise<Integration> {
  const orgUrl = validateOrgUrl(opts.orgUrl!, opts.allowHttp);
  const name = opts.name ?? new URL(orgUrl).host.replace(/:/g, '_');
  validateName(name);
  const creds = await readCredentials(opts);
  const fields = {
    orgUrl,
    authMethod: creds.authMethod,
    clientId: creds.clientId ?? null,
    keyId: creds.keyId ?? null,
    secrets: creds.secrets,
    allowHttp: opts.allowHttp,
  };
  return saveIntegration(store, { name, ...fields });
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
    const parts = p.resources.map((r) => `${r.resource} ${r.state === 'done' ? '✓' : r.state === 'failed' ? '✗' : r.objects}`);
    const line = `collecting: ${parts.join(' · ')}`;
    process.stderr.write(tty ? `\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}` : `${line}\n`);
  };
}

export function scanSummaryJson(integration: Integration, s: RunSummary) {
  return {
    integration: integration.name,
    orgUrl: integration.orgUrl,
    runId: s.runId,
    status: s.status,
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
  if (s.error) out.line(`error: ${s.error}`);
}

export async function runScan(
  store: GraphStore,
  integration: Integration,
  opts: { logger: Logger; resources?: string[]; rateShare?: number; progress: boolean; signal?: AbortSignal; eventLimits?: Partial<EventLimits> },
): Promise<RunSummary> {
  const governor = createMemoryRateGovernor({ share: opts.rateShare ?? 0.5, maxConcurrent: 16 });
  const printer = progressPrinter(opts.progress);
  const summary = await scanIntegration({
    store: withGraphReader(store),
    integration,
    makeClient: (hooks) => clientForIntegration(store, integration, { logger: opts.logger, governor, onRequest: hooks.onRequest, signal: opts.signal }),
    logger: opts.logger,
    onProgress: printer,
    ...(opts.resources ? { resources: opts.resources } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.eventLimits ? { eventLimits: opts.eventLimits } : {}),
  });
  if (opts.progress && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return summary;
}

export function registerScan(program: Command): void {
  program
    .command('scan [name]')
    .description('One-shot full collection of an org, inline (no Redis), into DATABASE_URL or the embedded database; tombstones what disappeared since the last scan.')
    .option('--org-url <url>', 'scan this org ad hoc (it is saved as an integration for later commands)')
    .option('--token-env <var>', 'environment variable holding an SSWS API token')
    .option('--client-id <id>', 'OAuth 2.0 service app client id')
    .option('--key-file <pem>', "service app's private key (PKCS#8 PEM)")
    .option('--kid <kid>', 'key id of that key')
    .option('--name <name>', 'name to save the ad-hoc integration as (default: the org host)')
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
          if (name) {
            const found = await store.getIntegration(name);
            if (!found) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`, or scan ad hoc with --org-url)`);
            integration = found;
          } else {
            integration = await adHocIntegration(store, opts);
          }
          const abort = new AbortController();
          const onSignal = () => abort.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            const summary = await runScan(store, integration, {
              logger: ctx.logger,
              resources: opts.resources,
              rateShare: opts.rateShare,
              progress: !opts.json,
              signal: abort.signal,
              eventLimits: ctx.config.eventLimits,
            });
            // Findings follow every collection run (they open, persist and resolve run by run).
            const posture = summary.status === 'succeeded'
              ? await runPostureChecks({ store, db: await ctx.database(), integrationId: integration.id, thresholds: postureThresholdsFromEnv(), logger: ctx.logger })
              : null;
            const findings = posture ? Object.fromEntries(posture.checks.map((c) => [c.id, c.count])) : null;
            if (opts.json) out.json({ ...scanSummaryJson(integration, summary), findings });
            else {
              printScanSummary(integration, summary);
              if (posture) {
                const open = posture.checks.filter((c) => c.count > 0);
                out.line(`\nposture: ${open.reduce((n, c) => n + c.count, 0)} findings in ${open.length} of ${posture.checks.length} checks — \`idgraph report --integration ${integration.name}\``);
              }
            }
            return summary.status === 'succeeded' ? 0 : 1;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        },
        { quiet: (_name: string | undefined, opts: ScanOptions) => opts.json },
      ),
    );
}
