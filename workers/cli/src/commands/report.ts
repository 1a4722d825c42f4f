import type { Command } from 'commander';
import { buildReport, formatReportTable, postureThresholdsFromEnv, reportLabels, runPostureChecks } from '@idgraph/posture';
import type { GraphStore } from '@idgraph/graph';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { out } from '../output.js';

/** The integrations a command acts on: the named one, or every one of the tenant. */
export async function selectIntegrations(store: GraphStore, name: string | undefined) {
  if (name) {
    const found = await store.getIntegration(name);
    if (!found) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
    return [found];
  }
  const all = await store.listIntegrations();
  if (!all.length) throw new UserError('no integrations yet: run `idgraph scan --org-url URL --token-env VAR` or `idgraph demo` first');
  return all;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Evaluate the posture checks on the current graph and print the findings (they are stored: opened, kept, resolved).')
    .option('--integration <name>', 'integration to report on (required with --json when there are several)')
    .option('--json', 'print {"integration","generatedAt","checks":[{"id","severity","title","count","subjects"}]}', false)
    .option('--all', 'list checks without findings too (table only)', false)
    .action(
      action(
        async (ctx, opts: { integration?: string; json: boolean; all: boolean }) => {
          // The same IDGRAPH_POSTURE_* thresholds as scan and workers, read (and refused when invalid) before any work.
          const thresholds = postureThresholdsFromEnv();
          const store = await ctx.store();
          const integrations = await selectIntegrations(store, opts.integration);
          if (opts.json && integrations.length > 1) {
            throw new UsageError(`there are ${integrations.length} integrations (${integrations.map((i) => i.name).join(', ')}): pass --integration NAME with --json`);
          }
          for (const integration of integrations) {
            const run = await runPostureChecks({ store, db: await ctx.database(), integrationId: integration.id, thresholds, logger: ctx.logger });
            const report = buildReport(run);
            if (opts.json) out.json(report);
            else out.line(formatReportTable(report, reportLabels(run), { onlyFindings: !opts.all }));
          }
        },
        { quiet: (opts) => opts.json },
      ),
    );
}
