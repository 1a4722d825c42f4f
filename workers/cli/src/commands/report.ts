import type { Command } from 'commander';
import { planFixes, type FixPlan } from '@idgraph/actions';
import { buildReport, findCheck, formatReportTable, POSTURE_CHECKS, postureThresholdsFromEnv, reportLabels, runPostureChecks } from '@idgraph/posture';
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
    .option('--fix <check>', "list the actions that would resolve that check's findings, as runnable `idgraph action` commands")
    .action(
      action(
        async (ctx, opts: { integration?: string; json: boolean; all: boolean; fix?: string }) => {
          // The same IDGRAPH_POSTURE_* thresholds as scan and workers, read (and refused when invalid) before any work.
          const thresholds = postureThresholdsFromEnv();
          const store = await ctx.store();
          const integrations = await selectIntegrations(store, opts.integration);
          if (opts.json && integrations.length > 1) {
            throw new UsageError(`there are ${integrations.length} integrations (${integrations.map((i) => i.name).join(', ')}): pass --integration NAME with --json`);
          }
          if (opts.fix !== undefined && !findCheck(opts.fix)) {
            throw new UsageError(`--fix "${opts.fix}" is not a check id: use one of ${POSTURE_CHECKS.map((c) => c.id).join(', ')}`);
          }
          for (const integration of integrations) {
            const run = await runPostureChecks({ store, db: await ctx.database(), integrationId: integration.id, thresholds, logger: ctx.logger });
            if (opts.fix !== undefined) {
              const check = run.checks.find((c) => c.id === opts.fix)!;
              const plan = await planFixes(store, integration, check.id, check.subjects.map((s) => s.subject));
              if (opts.json) out.json(plan);
              else out.line(formatFixes(plan, new Map(check.subjects.map((s) => [s.subject, s.label]))));
              continue;
            }
            const report = buildReport(run);
            if (opts.json) out.json(report);
            else out.line(formatReportTable(report, reportLabels(run), { onlyFindings: !opts.all }));
          }
        },
        { quiet: (opts) => opts.json },
      ),
    );
}

/** `report --fix`: per finding, a comment naming it and the commands that resolve it. */
function formatFixes(plan: FixPlan, labels: ReadonlyMap<string, string>): string {
  if (!plan.fixes.length) return `# ${plan.check} has no findings in ${plan.integration}`;
  const lines = [`# ${plan.fixes.length} findings of ${plan.check} in ${plan.integration}; each command is a dry run until --apply is added`];
  for (const f of plan.fixes) {
    lines.push('', `# ${f.subject}${labels.get(f.subject) && labels.get(f.subject) !== f.subject ? ` (${labels.get(f.subject)})` : ''}${f.note ? `: ${f.note}` : ''}`);
    lines.push(...f.commands);
  }
  return lines.join('\n');
}
