import type { Command } from 'commander';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '@idgraph/core';
import { resolveSecretKey } from '@idgraph/graph';
import { buildServer } from '@idgraph/server';
import { action } from '../action.js';
import { requirePostgres } from '../context.js';
import { intOption } from '../options.js';
import { out } from '../output.js';

interface ServeOptions {
  host: string;
  port: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the operator API and web console (http://HOST:PORT/); Collect Now goes to the same queues as `collect-now`, for `idgraph workers` to run.')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for every interface)', process.env.IDGRAPH_HOST ?? '127.0.0.1')
    .option('--port <port>', 'port to listen on', intOption('--port', 0, 65535), Number(process.env.IDGRAPH_PORT ?? 8080))
    .action(
      action(
        async (ctx, opts: ServeOptions) => {
          requirePostgres(ctx, 'serve');
          const store = await ctx.store();
          // Requests fail (and say so) while Redis is away, instead of waiting for it.
          const connection = new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 2 });
          const collectQueue = new Queue(QUEUES.collect, { connection, prefix: ctx.config.queuePrefix });
          const app = await buildServer({
            store,
            collectQueue,
            logger: ctx.logger,
            secretKey: resolveSecretKey({ secretKey: ctx.config.secretKey, dataDir: ctx.config.dataDir }),
          });
          const address = await app.listen({ host: opts.host, port: opts.port });
          out.note(`idgraph serve: API and console on ${address}/ (OpenAPI at ${address}/openapi.json); sign in with a key from \`idgraph api-key create NAME --role admin\``);
          await new Promise<void>((resolve) => {
            process.once('SIGTERM', resolve);
            process.once('SIGINT', resolve);
          });
          ctx.logger.info('shutting down: finishing requests in hand');
          await app.close();
          await collectQueue.close();
          connection.disconnect();
        },
        // The API's statements are fixed-shape lookups: planned once per connection (see genericPlans).
        { verbose: (_opts: ServeOptions) => true, database: { genericPlans: true } },
      ),
    );
}
