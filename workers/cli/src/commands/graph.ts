import type { Command } from 'commander';
import { jsonlChunks } from '@idgraph/graph';
import { action } from '../action.js';
import { UserError } from '../errors.js';

export function registerGraph(program: Command): void {
  const graph = program.command('graph').description('Work with the identity graph.');
  graph
    .command('export')
    .description('Write the graph as sorted JSONL to stdout: node lines, then edge lines (see README, "Graph export").')
    .option('--integration <name>', 'only this integration (default: all of the tenant)')
    .option('--include-deleted', 'also tombstoned objects and edges, marked "deleted": true', false)
    .action(
      action(
        async (ctx, opts: { integration?: string; includeDeleted: boolean }) => {
          const store = await ctx.store();
          let integrationId: string | undefined;
          if (opts.integration) {
            const integration = await store.getIntegration(opts.integration);
            if (!integration) throw new UserError(`no integration named "${opts.integration}" (see \`idgraph integration list\`)`);
            integrationId = integration.id;
          }
          for await (const chunk of jsonlChunks(store.exportGraph({ integrationId, includeDeleted: opts.includeDeleted }))) {
            if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
          }
        },
        { quiet: (_opts: { integration?: string; includeDeleted: boolean }) => true },
      ),
    );
}
