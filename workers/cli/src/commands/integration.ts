import type { Command } from 'commander';
import { collectableResources, createOktaClient, testConnectivity, type OktaAuth } from '@idgraph/okta';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { out, table } from '../output.js';
import { authFor, clientForIntegration, readCredentials, validateOrgUrl, type IntegrationSecrets } from '../credentials.js';
import { listOption } from '../options.js';

type ConnectivityReport = Awaited<ReturnType<typeof testConnectivity>>;

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

/** One line of what to do, without repeating the explanations the table printed. */
export function connectivityAdvice(report: ConnectivityReport): string {
  const scopes = [...new Set(report.resources.filter((r) => r.status === 'missing_scope' && r.scope).map((r) => r.scope!))];
  const forbidden = report.resources.filter((r) => r.status === 'forbidden').map((r) => r.resource);
  const errors = report.resources.filter((r) => r.status === 'error').map((r) => r.resource);
  const parts: string[] = [];
  if (scopes.length) parts.push(`grant ${scopes.join(', ')} to the service app (its Okta API Scopes tab)`);
  if (forbidden.length) parts.push(`give the credentials' admin (or the service app) a role that may read ${forbidden.join(', ')}`);
  if (errors.length) parts.push(`fix the error${errors.length > 1 ? 's' : ''} shown for ${errors.join(', ')}`);
  return parts.join('; ');
}

export async function checkConnectivity(orgUrl: string, auth: OktaAuth, allowHttp: boolean): Promise<ConnectivityReport> {
  const client = createOktaClient({ orgUrl, auth, allowInsecureHttp: allowHttp, maxRetries: 2 });
  return testConnectivity(client);
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
        const orgUrl = validateOrgUrl(opts.orgUrl, opts.allowHttp);
        if (opts.eventSource !== undefined) validateEventSource(opts.eventSource);
        const creds = await readCredentials(opts);
        const store = await ctx.store();
        if (await store.getIntegration(name)) throw new UserError(`an integration named "${name}" exists already (remove it first, or pick another name)`);
        let report: ConnectivityReport | undefined;
        let skipped: string[] = [];
        if (!opts.skipTest) {
          const auth = authFor({ authMethod: creds.authMethod, clientId: creds.clientId ?? null, keyId: creds.keyId ?? null, scopes: creds.scopes ?? null }, creds.secrets);
          report = await checkConnectivity(orgUrl, auth, opts.allowHttp);
          // Least privilege is a choice: store credentials that can collect something, and say what
          // will be skipped; refuse only credentials that can collect nothing.
          if (collectableResources(report).length === 0) {
            if (!opts.json) printConnectivity(report);
            else out.json({ added: false, connectivity: report });
            throw new UserError(`these credentials cannot collect anything from ${orgUrl}: ${connectivityAdvice(report)} — or add with --skip-test`);
          }
          skipped = report.resources.filter((r) => r.status !== 'ok').map((r) => r.resource);
        }
        const created = await store.createIntegration({
          name,
          orgUrl,
          authMethod: creds.authMethod,
          clientId: creds.clientId,
          keyId: creds.keyId,
          scopes: creds.scopes ?? null,
          secrets: creds.secrets,
          allowHttp: opts.allowHttp,
          allowActions: opts.allowActions,
          eventSource: opts.eventSource,
        });
        if (report) await store.recordConnectivity(created.id, report);
        if (opts.json) out.json({ added: true, integration: publicIntegration(created), connectivity: report ?? null, willSkip: skipped });
        else {
          if (report) printConnectivity(report);
          out.line(`added integration "${name}" (${orgUrl}, ${creds.authMethod === 'ssws' ? 'API token' : 'OAuth service app'})`);
        }
        if (report && skipped.length) {
          out.note(`warning: scans of "${name}" will skip ${skipped.join(', ')} until you ${connectivityAdvice(report)}`);
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
        const found = await store.getIntegration(name);
        if (!found) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
        const client = await clientForIntegration(store, found, { logger: ctx.logger });
        const report = await testConnectivity(client);
        await store.recordConnectivity(found.id, report);
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
        const found = await store.getIntegration(name);
        if (!found) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
        const updated = await store.updateIntegration(found.id, { allowActions: opts.allowActions === true });
        if (opts.json) out.json(publicIntegration(updated));
        else out.line(`integration "${name}" ${updated.allowActions ? 'allows remediation actions' : 'is read-only'}`);
      }),
    );

  integration
    .command('remove <name>')
    .description('Remove an integration and its schedules (its graph rows are kept, tombstoned).')
    .action(
      action(async (ctx, name: string) => {
        const store = await ctx.store();
        const removed = await store.removeIntegration(name);
        if (!removed) throw new UserError(`no integration named "${name}" (see \`idgraph integration list\`)`);
        out.line(`removed integration "${name}"`);
      }),
    );
}

export function validateName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new UsageError(`integration name "${name}" is invalid: use letters, digits, '.', '_' or '-' (max 63), starting with a letter or digit`);
  }
}

export function validateEventSource(source: string): void {
  if (!/^aws\.partner\/okta\.com\/[A-Za-z0-9.-]+\/[.\-_A-Za-z0-9]{1,75}$/.test(source)) {
    throw new UsageError(`--event-source "${source}" is not an Okta partner event source: expected aws.partner/okta.com/ORG/STREAM`);
  }
}

function summarizeConnectivity(c: unknown): string {
  const r = c as ConnectivityReport | null | undefined;
  if (!r) return 'never';
  return r.ok ? 'ok' : `problems: ${r.resources.filter((x) => x.status !== 'ok').map((x) => x.resource).join(', ')}`;
}

export function publicIntegration(i: { id: string; name: string; orgUrl: string; authMethod: string; clientId: string | null; eventSource: string | null; allowHttp: boolean; allowActions: boolean; scopes?: string[] | null }) {
  return { id: i.id, name: i.name, orgUrl: i.orgUrl, authMethod: i.authMethod, clientId: i.clientId, scopes: i.scopes ?? null, eventSource: i.eventSource, allowHttp: i.allowHttp, allowActions: i.allowActions };
}

export type { IntegrationSecrets };
