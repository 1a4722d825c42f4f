import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  ACTION_NAMES,
  ActionInputError,
  listAudit,
  listErasures,
  privacyAccess,
  privacyErase,
  PrivacyInputError,
  runAction,
  type ActionContext,
  type ActionResponse,
} from '@idgraph/actions';
import type { GraphStore } from '@idgraph/graph';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { intOption } from '../options.js';
import { out, table } from '../output.js';

/** Who runs the CLI, for the audit (the OS account; no secret, no profile data). */
export function cliRequester(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The actions library's context: the store, the requester, and the collector's targeted refresh. */
export async function actionContext(ctx: CliContext, store: GraphStore): Promise<ActionContext> {
  return {
    store,
    requestedBy: cliRequester(),
    logger: ctx.logger,
    async refresh(integration, requests) {
      const [{ clientForIntegration }, { refreshObjects }] = await Promise.all([import('../credentials.js'), import('@idgraph/collector/refresh')]);
      const client = await clientForIntegration(store, integration, { logger: ctx.logger });
      return refreshObjects({ client, store, integration, requests, logger: ctx.logger, trigger: 'action' });
    },
  };
}

function usage<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof ActionInputError || err instanceof PrivacyInputError) throw new UsageError(err.message);
    throw err;
  });
}

/** Prints an action's response; returns the exit code (1 for refused and failed). */
export function printActionResponse(r: ActionResponse, json: boolean): number {
  const ok = r.result.outcome === 'applied' || r.result.outcome === 'dry-run';
  if (json) out.json(r);
  else {
    const label = { 'dry-run': 'DRY RUN', applied: 'APPLIED', refused: 'REFUSED', failed: 'FAILED' }[r.result.outcome];
    out.line(`${r.action} ${r.subject}${r.target ? ` → ${r.target}` : ''}: ${label}`);
    for (const q of r.requests) {
      const answer = r.result.okta?.find((a) => a.method === q.method && a.path === q.path);
      out.line(`  ${q.method} ${q.path}${answer ? `  → ${answer.status}${answer.errorCode ? ` ${answer.errorCode}` : ''}` : ''}`);
    }
    if (ok) out.line(r.result.message);
    if (r.result.graph && (r.result.graph.mutations || r.result.graph.refreshed)) {
      out.line(`graph: ${r.result.graph.mutations} change(s) applied, ${r.result.graph.refreshed} object(s) re-read`);
    }
  }
  if (!ok) out.note(`idgraph: ${r.result.outcome}: ${r.result.message}`);
  return ok ? 0 : 1;
}

interface ActionOptions {
  integration: string;
  subject: string;
  target?: string;
  resourceSet?: string;
  apply: boolean;
  json: boolean;
}

export function registerAction(program: Command): void {
  program
    .command('action <action>')
    .description(
      `Act on Okta through an integration: ${ACTION_NAMES.join(', ')}. A dry run by default (prints the Okta requests, changes nothing); --apply performs it. Every attempt is audited (idgraph audit).`,
    )
    .requiredOption('--integration <name>', 'the integration to act through (allowed with --allow-actions)')
    .requiredOption('--subject <kind:id>', 'user:00u…, group:00g… (unassign-app, revoke-role) or app:0oa… (revoke-role of a service app)')
    .option('--target <kind:id>', 'group:ID (remove-from-group), app:ID (unassign-app), role:ROLE_OR_CUSTOM_ID (revoke-role)')
    .option('--resource-set <id>', 'the resource set of a custom role assignment (revoke-role)')
    .option('--apply', 'perform the requests (default: dry run)', false)
    .option('--json', 'print {action, subject, target, applied, requests:[{method, path}], result}', false)
    .action(
      action(
        async (ctx, name: string, opts: ActionOptions) => {
          const store = await ctx.store();
          const response = await usage(async () =>
            runAction(await actionContext(ctx, store), {
              action: name,
              integration: opts.integration,
              subject: opts.subject,
              target: opts.target ?? null,
              resourceSet: opts.resourceSet ?? null,
              apply: opts.apply,
            }),
          );
          return printActionResponse(response, opts.json);
        },
        { quiet: (_name, opts) => opts.json },
      ),
    );

  program
    .command('audit')
    .description('List remediation attempts (dry runs, applied, refused, failed), newest first. The audit is append-only.')
    .option('--integration <name>', 'only this integration')
    .option('--limit <n>', 'how many (default 100)', intOption('--limit', 1, 10_000), 100)
    .option('--json', 'print the entries as JSON', false)
    .action(
      action(async (ctx, opts: { integration?: string; limit: number; json: boolean }) => {
        const store = await ctx.store();
        const entries = await listAudit(store, { ...(opts.integration ? { integration: opts.integration } : {}), limit: opts.limit });
        if (opts.json) return out.json(entries);
        if (!entries.length) return out.line('no actions audited yet');
        out.line(
          table(
            ['at', 'outcome', 'action', 'subject', 'target', 'integration', 'by', 'message'],
            entries.map((e) => [e.at, e.outcome, e.action, e.subject, e.target, e.integration, e.requestedBy, e.message]),
          ),
        );
      }),
    );
}

export function registerPrivacy(program: Command): void {
  const privacy = program.command('privacy').description('Privacy requests identified by an email address: access and erasure.');

  privacy
    .command('access')
    .description('Everything idgraph holds about a person, across integrations: graph rows, raw objects, System Log events, findings, other mentions.')
    .requiredOption('--email <address>', "matched case-insensitively against login, email and secondary email")
    .option('--json', 'print every row', false)
    .action(
      action(
        async (ctx, opts: { email: string; json: boolean }) => {
          const store = await ctx.store();
          const result = await usage(() => privacyAccess(store, { email: opts.email }));
          if (opts.json) return out.json(result);
          out.line(`${result.email}: ${result.matched.length} user(s) matched`);
          if (result.matched.length) out.line(table(['integration', 'user', 'login', 'status'], result.matched.map((m) => [m.integration, m.userId, m.login, m.status])));
          out.line('');
          out.line(table(['source', 'rows'], Object.entries(result.counts).map(([k, v]) => [k, v])));
          out.line('(--json prints the rows)');
        },
        { quiet: (opts) => opts.json },
      ),
    );

  privacy
    .command('erase')
    .description(
      "Remove a person's data from the store and record the erasure (time, requester, a salted hash of the address, counts). --in-okta also deactivates and deletes them in Okta as audited actions: a dry run of everything unless --apply.",
    )
    .requiredOption('--email <address>', 'the address the person is known by (login, email or secondary email)')
    .option('--in-okta', 'also deactivate and delete the person in Okta (integrations need --allow-actions)', false)
    .option('--apply', 'with --in-okta: perform it (default: dry run)', false)
    .option('--json', 'print the result as JSON', false)
    .action(
      action(
        async (ctx, opts: { email: string; inOkta: boolean; apply: boolean; json: boolean }) => {
          if (opts.apply && !opts.inOkta) throw new UsageError('--apply goes with --in-okta (an erasure of the store alone needs no --apply)');
          const store = await ctx.store();
          const result = await usage(async () => privacyErase(await actionContext(ctx, store), { email: opts.email, inOkta: opts.inOkta, apply: opts.apply }));
          const failed = opts.inOkta && result.inOkta.some((r) => r.result.outcome === 'refused' || r.result.outcome === 'failed');
          if (opts.json) out.json(result);
          else {
            for (const r of result.inOkta) printActionResponse(r, false);
            out.line(table(['source', result.erased ? 'removed' : 'would remove'], Object.entries(result.counts).map(([k, v]) => [k, v])));
            out.line(result.erased ? `erased; record ${result.erasureId} (address hash ${result.addressHash})` : result.message);
          }
          if (failed) {
            out.note(`idgraph: ${result.message}`);
            return 1;
          }
        },
        { quiet: (opts) => opts.json },
      ),
    );

  privacy
    .command('erasures')
    .description('List erasure records, newest first, and whether a later collection saw the person again.')
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, opts: { json: boolean }) => {
        const store = await ctx.store();
        const records = await listErasures(store);
        if (opts.json) return out.json(records);
        if (!records.length) return out.line('no erasures recorded');
        out.line(
          table(
            ['at', 'by', 'address hash', 'removed', 'collected again'],
            records.map((r) => [
              r.at,
              r.requestedBy,
              r.addressHash.slice(0, 16) + '…',
              Object.values(r.counts).reduce((n, v) => n + v, 0),
              r.recollected ? `yes: ${r.recollected.users} user(s) in ${r.recollected.integrations.join(', ')} since ${r.recollected.firstSeenAt}` : 'no',
            ]),
          ),
        );
      }),
    );
}

