import type { Command } from 'commander';
import { action } from '../action.js';
import { out } from '../output.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Create or upgrade the graph database schema (DATABASE_URL, or the embedded database in ./.idgraph/).')
    .action(
      action(async (ctx) => {
        await ctx.store();
        out.note(`schema is current (${ctx.config.databaseUrl ? 'PostgreSQL' : `embedded database in ${ctx.config.dataDir}`})`);
      }),
    );
}
