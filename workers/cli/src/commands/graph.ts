import type { Command } from 'commander';
import { jsonlChunks } from '@idgraph/graph';
import { loadPrivilegeGraph, openGraphJson } from '@idgraph/privilege';
import { action } from '../action.js';
import { UsageError, UserError } from '../errors.js';

const FORMATS = ['jsonl', 'opengraph'] as const;

/** Writes chunks to stdout in 64 KiB pieces, waiting for the pipe when it is full. */
async function writeChunks(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    if (buffer.length > 1 << 16) {
      if (!process.stdout.write(buffer)) await new Promise((r) => process.stdout.once('drain', r));
      buffer = '';
    }
  }
  if (buffer && !process.stdout.write(buffer)) await new Promise((r) => process.stdout.once('drain', r));
}

export function registerGraph(program: Command): void {
  const graph = program.command('graph').description('Work with the identity graph.');
  graph
    .command('export')
    .description('Write the graph to stdout: sorted JSONL (node lines, then edge lines; see README, "Graph export"), or BloodHound OpenGraph JSON of effective privilege (--format opengraph; see libs/privilege/README.md).')
    .option('--integration <name>', 'only this integration (default: all of the tenant; opengraph: required when there are several)')
    .option('--include-deleted', 'also tombstoned objects and edges, marked "deleted": true (jsonl only)', false)
    .option('--format <format>', `${FORMATS.join(' or ')}`, 'jsonl')
    .action(
      action(
        async (ctx, opts: { integration?: string; includeDeleted: boolean; format: string }) => {
          if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format "${opts.format}" is not one of ${FORMATS.join(', ')}`);
          if (opts.format === 'opengraph' && opts.includeDeleted) throw new UsageError('--include-deleted applies to --format jsonl only: the OpenGraph export is the live graph');
          const store = await ctx.store();
          let integrationId: string | undefined;
          if (opts.integration) {
            const integration = await store.getIntegration(opts.integration);
            if (!integration) throw new UserError(`no integration named "${opts.integration}" (see \`idgraph integration list\`)`);
            integrationId = integration.id;
          }
          if (opts.format === 'opengraph') {
            const all = await store.listIntegrations();
            const integration = integrationId ? all.find((i) => i.id === integrationId) : all.length === 1 ? all[0] : undefined;
            if (!integration) {
              throw new UsageError(all.length === 0 ? 'no integrations yet: nothing to export' : `there are ${all.length} integrations (${all.map((i) => i.name).join(', ')}): pass --integration NAME with --format opengraph`);
            }
            const graph = await loadPrivilegeGraph(await ctx.database(), { tenantId: store.tenant, integrationId: integration.id });
            await writeChunks(openGraphJson(graph, { orgHost: new URL(integration.orgUrl).host }));
            return;
          }
          await writeChunks(jsonlChunks(store.exportGraph({ integrationId, includeDeleted: opts.includeDeleted })));
        },
        { quiet: (_opts: { integration?: string; includeDeleted: boolean; format: string }) => true },
      ),
    );
}
