import type { Command } from 'commander';
import { API_KEY_ROLES, type ApiKeyRole } from '@idgraph/graph';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';
import { out, table } from '../output.js';

export function registerApiKey(program: Command): void {
  const apiKey = program.command('api-key').description('Keys of the operator API and console (`idgraph serve`).');

  apiKey
    .command('create <name>')
    .description('Create a key and print it alone on standard output, once (only its hash is stored).')
    .requiredOption('--role <role>', `what the key may do: ${API_KEY_ROLES.join(' or ')} (read keys cannot change anything)`)
    .action(
      action(async (ctx, name: string, opts: { role: string }) => {
        if (!(API_KEY_ROLES as readonly string[]).includes(opts.role)) throw new UsageError(`--role must be ${API_KEY_ROLES.join(' or ')}, got "${opts.role}"`);
        const store = await ctx.store();
        const { key } = await store.apiKeys.create(name, opts.role as ApiKeyRole).catch((err: unknown) => {
          throw new UserError((err as Error).message);
        });
        out.line(key);
        out.note(`created ${opts.role} key "${name}"; it is shown only now: keep it in a secret store`);
      }),
    );

  apiKey
    .command('list')
    .description('List keys (names, roles, creation time; never the keys).')
    .option('--json', 'print JSON', false)
    .action(
      action(async (ctx, opts: { json: boolean }) => {
        const store = await ctx.store();
        const keys = await store.apiKeys.list();
        if (opts.json) return out.json(keys.map((k) => ({ name: k.name, role: k.role, createdAt: k.createdAt.toISOString() })));
        if (!keys.length) return out.line('no API keys yet: `idgraph api-key create NAME --role read|admin`');
        out.line(table(['name', 'role', 'created (UTC)'], keys.map((k) => [k.name, k.role, k.createdAt.toISOString().replace('T', ' ').slice(0, 19)])));
      }),
    );

  apiKey
    .command('revoke <name>')
    .description('Revoke a key: requests and console sessions made with it are refused from now on.')
    .action(
      action(async (ctx, name: string) => {
        const store = await ctx.store();
        if (!(await store.apiKeys.revoke(name))) throw new UserError(`no API key named "${name}" (see \`idgraph api-key list\`)`);
        out.line(`revoked API key "${name}"`);
      }),
    );
}
