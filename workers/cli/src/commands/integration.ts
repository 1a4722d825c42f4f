import type { Command } from 'commander';
import type { ConnectivityReport } from '@idgraph/okta';
import { collectableResources } from '@idgraph/okta';
import {
  addIntegration,
  connectivityAdvice,
  IntegrationError,
  publicIntegration,
  removeIntegration,
  requireIntegration,
  skippedResources,
  testIntegration,
  updateIntegration,
  validateEventSource as validateEventSourceFor,
  validateName as validateNameFor,
} from '@idgraph/integrations';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { out, table } from '../output.js';
import { readCredentials, validateOrgUrl, type IntegrationSecrets } from '../credentials.js';
import { listOption } from '../options.js';

export { connectivityAdvice, publicIntegration };

/**
 * The connectivity table: one row per resource, and each distinct explanation printed once below
 * it, numbered (a refused token request or one missing scope would otherwise repeat per resource).
 */
export function printConnectivity(report: ConnectivityReport): void {
  const notes: string[] = [];
  const noteOf = (message: string): number => {
    const at = notes.indexOf(message);
    if (at >= 0) return at + 1;
    notes.push(message);
    return notes.length;
  };
  const rows = report.resources.map((r) => {
    if (r.status === 'ok') return [r.resource, r.status, ''];
    const ref = `[${noteOf(r.message)}]`;
    const what = r.status === 'missing_scope' && r.scope ? `grant ${r.scope} ` : r.status === 'forbidden' ? 'admin role ' : '';
    return [r.resource, r.status, `${what}${ref}`];
  });
  out.line(table(['resource', 'status', 'detail'], rows));
  if (notes.length) out.line(`\n${notes.map((n, i) => `[${i + 1}] ${n}`).join('\n')}`);
}

interface AddOptions {
  orgUrl: string;
  tokenEnv?: string;
  clientId?: string;
  keyFile?: string;
  kid?: string;
  scopes?: string[];
  eventSource?: string;
  allowHttp: boolean;
  allowActions: boolean;
  skipTest: boolean;
  json: boolean;
}

export function registerIntegration(program: Command): void {
  const integration = program.command('integration').description('Manage Okta integrations (an org plus credentials).');

  integration
    .command('add <name>')
    .description('Add an integration; its credentials are tested first and stored encrypted.')
    .requiredOption('--org-url <url>', 'the Okta org, e.g. https://acme.okta.com')
    .option('--token-env <var>', 'name of the environment variable holding an SSWS API token (never pass the token itself)')
    .option('--client-id <id>', 'OAuth 2.0 service app client id (private_key_jwt)')
    .option('--key-file <pem>', "path to the service app's private key (PKCS#8 PEM)")
    .option('--kid <kid>', 'key id of that key as registered on the app')
    .option('--scopes <list>', 'OAuth scopes to request, stored with the integration (comma separated; default: the read scopes idgraph needs; those Okta refuses are dropped)', listOption)
    .option('--event-source <source>', 'EventBridge partner event source of this org: aws.partner/okta.com/ORG/STREAM')
    .option('--allow-http', 'allow an http:// org URL (local simulators only)', false)
    .option('--allow-actions', 'let remediation actions act through it (idgraph action; default: read-only)', false)
    .option('--skip-test', 'store the integration without testing it (by default credentials that can collect nothing are refused)', false)
    .option('--json', 'print the result as JSON', false)
    .action(
      action(async (ctx, name: string, opts: AddOptions) => {
        validateName(name);
        validateOrgUrl(opts.orgUrl, opts.allowHttp);
        if (opts.eventSource !== undefined) validateEventSource(opts.eventSource);
        const creds = await readCredentials(opts);
        const store = await ctx.store();
        try {
          const { integration: created, connectivity: report } = await addIntegration(
            store,
            { name, orgUrl: opts.orgUrl, allowHttp: opts.allowHttp, allowActions: opts.allowActions, eventSource: opts.eventSource, credentials: creds },
            { skipTest: opts.skipTest, labels: { orgUrl: '--org-url', allowHttp: '--allow-http' } },
          );
          const skipped = skippedResources(report);
          if (opts.json) out.json({ added: true, integration: publicIntegration(created), connectivity: report ?? null, willSkip: skipped });
          else {
            if (report) printConnectivity(report);
            out.line(`added integration "${name}" (${created.orgUrl}, ${creds.authMethod === 'ssws' ? 'API token' : 'OAuth service app'})`);
          }
          if (report && skipped.length) {
            out.note(`warning: scans of "${name}" will skip ${skipped.join(', ')} until you ${connectivityAdvice(report)}`);
          }
        } catch (err) {
          if (err instanceof IntegrationError && err.code === 'connectivity' && err.connectivity) {
            if (!opts.json) printConnectivity(err.connectivity);
            else out.json({ added: false, connectivity: err.connectivity });
            throw new UserError(`${err.message} — or add with --skip-test`);
          }
          throw cliError(err);
        }
      }),
    );

  integration
    .command('list')
    .description('List integrations.')
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, opts: { json: boolean }) => {
        const store = await ctx.store();
        const list = await store.listIntegrations();
        if (opts.json) return out.json(list.map(publicIntegration));
        if (!list.length) return out.line('no integrations yet: add one with `idgraph integration add NAME --org-url URL --token-env VAR`');
        out.line(
          table(
            ['name', 'org', 'auth', 'actions', 'event source', 'last test'],
            list.map((i) => [i.name, i.orgUrl, i.authMethod, i.allowActions ? 'allowed' : 'read-only', i.eventSource ?? '', summarizeConnectivity(i.lastConnectivity)]),
          ),
        );
      }),
    );

  integration
    .command('test <name>')
    .description('Run the connectivity check: per resource, ok / missing scope / forbidden by role / error.')
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, name: string, opts: { json: boolean }) => {
        const store = await ctx.store();
        const report = await testIntegration(store, name, { logger: ctx.logger }).catch((err: unknown) => {
          throw cliError(err);
        });
        if (opts.json) out.json(report);
        else printConnectivity(report);
        if (!report.ok) {
          const collectable = collectableResources(report);
          out.note(
            collectable.length
              ? `scans will collect ${collectable.join(', ')} and skip the rest: ${connectivityAdvice(report)}`
              : `these credentials cannot collect anything: ${connectivityAdvice(report)}`,
          );
          return 1;
        }
      }),
    );

  integration
    .command('update <name>')
    .description('Change whether remediation actions may act through an integration.')
    .option('--allow-actions', 'allow remediation actions (idgraph action, privacy erase --in-okta)')
    .option('--read-only', 'refuse remediation actions again')
    .option('--json', 'print the integration as JSON', false)
    .action(
      action(async (ctx, name: string, opts: { allowActions?: boolean; readOnly?: boolean; json: boolean }) => {
        if (opts.allowActions === opts.readOnly) throw new UsageError('give exactly one of --allow-actions or --read-only');
        const store = await ctx.store();
        const { integration: updated } = await updateIntegration(store, name, { allowActions: opts.allowActions === true }).catch((err: unknown) => {
          throw cliError(err);
        });
        if (opts.json) out.json(publicIntegration(updated));
        else out.line(`integration "${name}" ${updated.allowActions ? 'allows remediation actions' : 'is read-only'}`);
      }),
    );

  integration
    .command('scim-token <name>')
    .description(
      "Create or rotate the integration's SCIM bearer token (Okta provisions into /scim/v2/NAME/ with it) and print it alone on standard output, once: only its hash is stored, and the previous token stops working.",
    )
    .option('--revoke', 'remove the token instead: SCIM requests for this integration are refused until a new one is created', false)
    .action(
      action(async (ctx, name: string, opts: { revoke: boolean }) => {
        const store = await ctx.store();
        const found = await requireIntegration(store, name).catch((err: unknown) => {
          throw cliError(err);
        });
        if (opts.revoke) {
          if (!(await store.scim.revokeToken(found.id))) throw new UserError(`integration "${name}" has no SCIM token (create one with \`idgraph integration scim-token ${name}\`)`);
          out.line(`revoked the SCIM token of "${name}": its SCIM requests are refused from now on`);
          return;
        }
        const rotated = (await store.scim.tokenCreatedAt(found.id)) !== undefined;
        const token = await store.scim.rotateToken(found.id);
        out.line(token);
        out.note(
          `${rotated ? 'rotated' : 'created'} the SCIM token of "${name}"${rotated ? ' (the previous one no longer works)' : ''}; it is shown only now. ` +
            `In Okta: SCIM connector base URL https://YOUR-IDGRAPH-HOST/scim/v2/${name}/ , authentication mode HTTP Header, this token as the Bearer token`,
        );
      }),
    );

  integration
    .command('remove <name>')
    .description('Remove an integration and its schedules (its graph rows are kept, tombstoned).')
    .action(
      action(async (ctx, name: string) => {
        const store = await ctx.store();
        await removeIntegration(store, name).catch((err: unknown) => {
          throw cliError(err);
        });
        out.line(`removed integration "${name}"`);
      }),
    );
}

/** Library errors as the CLI reports them: bad input is a usage error (exit 2), the rest exit 1. */
function cliError(err: unknown): unknown {
  if (!(err instanceof IntegrationError)) return err;
  if (err.code === 'not_found') return new UserError(err.message.replace(/ or GET \/api\/v1\/integrations/, ''));
  return err.code === 'invalid' ? new UsageError(err.message) : new UserError(err.message);
}

export function validateName(name: string): void {
  try {
    validateNameFor(name);
  } catch (err) {
    throw cliError(err);
  }
}

export function validateEventSource(source: string): void {
  try {
    validateEventSourceFor(source, '--event-source');
  } catch (err) {
    throw cliError(err);
  }
}

function summarizeConnectivity(c: unknown): string {
  const r = c as ConnectivityReport | null | undefined;
  if (!r) return 'never';
  return r.ok ? 'ok' : `problems: ${r.resources.filter((x) => x.status !== 'ok').map((x) => x.resource).join(', ')}`;
}

export type { IntegrationSecrets };
