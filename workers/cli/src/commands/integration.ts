import type { Command } from 'commander';
import { createOktaClient, testConnectivity, type OktaAuth } from '@idgraph/okta';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { out, table } from '../output.js';
import { authFor, clientForIntegration, readCredentials, validateOrgUrl, type IntegrationSecrets } from '../credentials.js';
import { listOption } from '../options.js';

type ConnectivityReport = Awaited<ReturnType<typeof testConnectivity>>;

export function printConnectivity(report: ConnectivityReport): void {
  out.line(
    table(
      ['resource', 'status', 'detail'],
      report.resources.map((r) => [r.resource, r.status, r.scope ? `${r.message} (grant ${r.scope})` : r.message]),
    ),
  );
}

export function connectivityAdvice(report: ConnectivityReport): string {
  const scopes = [...new Set(report.resources.filter((r) => r.status === 'missing_scope' && r.scope).map((r) => r.scope!))];
  const forbidden = report.resources.filter((r) => r.status === 'forbidden').map((r) => r.resource);
  const parts: string[] = [];
  if (scopes.length) parts.push(`grant the scopes ${scopes.join(', ')} to the service app (Okta API Scopes tab)`);
  if (forbidden.length) parts.push(`give the token's admin (or the service app) a role that can read ${forbidden.join(', ')} (e.g. Read-Only Administrator)`);
  const errors = report.resources.filter((r) => r.status === 'error');
  if (errors.length) parts.push(`fix: ${errors.map((e) => `${e.resource}: ${e.message}`).join('; ')}`);
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
    .option('--scopes <list>', 'OAuth scopes to request (comma separated; default: the read scopes idgraph needs)', listOption)
    .option('--event-source <source>', 'EventBridge partner event source of this org: aws.partner/okta.com/ORG/STREAM')
    .option('--allow-http', 'allow an http:// org URL (local simulators only)', false)
    .option('--allow-actions', 'let remediation actions act through it (idgraph action; default: read-only)', false)
    .option('--skip-test', 'store the integration even if the connectivity test fails', false)
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
        if (!opts.skipTest) {
          report = await checkConnectivity(orgUrl, authFor({ authMethod: creds.authMethod, clientId: creds.clientId ?? null, keyId: creds.keyId ?? null }, creds.secrets), opts.allowHttp);
          if (!report.ok) {
            if (!opts.json) printConnectivity(report);
            else out.json({ added: false, connectivity: report });
            throw new UserError(`connectivity test failed for ${orgUrl}: ${connectivityAdvice(report)} — or add with --skip-test`);
          }
        }
        const created = await store.createIntegration({
          name,
          orgUrl,
          authMethod: creds.authMethod,
          clientId: creds.clientId,
          keyId: creds.keyId,
          secrets: creds.secrets,
          allowHttp: opts.allowHttp,
          allowActions: opts.allowActions,
          eventSource: opts.eventSource,
        });
        if (report) await store.recordConnectivity(created.id, report);
        if (opts.json) out.json({ added: true, integration: publicIntegration(created), connectivity: report ?? null });
        else {
          if (report) printConnectivity(report);
          out.line(`added integration "${name}" (${orgUrl}, ${creds.authMethod === 'ssws' ? 'API token' : 'OAuth service app'})`);
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
          out.note(`not all resources can be collected: ${connectivityAdvice(report)}`);
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

export function publicIntegration(i: { id: string; name: string; orgUrl: string; authMethod: string; clientId: string | null; eventSource: string | null; allowHttp: boolean; allowActions: boolean }) {
  return { id: i.id, name: i.name, orgUrl: i.orgUrl, authMethod: i.authMethod, clientId: i.clientId, eventSource: i.eventSource, allowHttp: i.allowHttp, allowActions: i.allowActions };
}

export type { IntegrationSecrets };
