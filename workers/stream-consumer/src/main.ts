#!/usr/bin/env node
/** Runs the stream worker alone: `node workers/stream-consumer/dist/main.js` (SIGTERM/SIGINT stop it gracefully). */
import { ConfigError, createLogger, loadConfig, scrubSecrets } from '@idgraph/core';
import { runStreamWorker } from './worker.js';

async function main(): Promise<void> {
  const logger = createLogger({ name: 'stream-worker' });
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal({ variable: err.variable }, err.message);
      process.exit(2);
    }
    throw err;
  }
  let worker;
  try {
    worker = await runStreamWorker(config, {
      logger,
      // A batch that never settles means a connection that will never answer: restart clean.
      // Nothing is lost: the stalled batch was not deleted and comes back to the next process.
      onStalled: () => exitAfterStall(logger),
    });
  } catch (err) {
    logger.fatal({ variable: err instanceof ConfigError ? err.variable : undefined }, scrubSecrets(err instanceof Error ? err.message : String(err)));
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'stopping stream worker');
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'stream worker did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

let exiting = false;
function exitAfterStall(logger: ReturnType<typeof createLogger>): void {
  if (exiting) return;
  exiting = true;
  logger.fatal('a stream batch stalled; exiting so the supervisor restarts the worker with fresh connections');
  process.exit(3);
}

await main();
