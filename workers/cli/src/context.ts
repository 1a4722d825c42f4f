import { createLogger, loadConfig, type IdgraphConfig, type Logger } from '@idgraph/core';
import { GraphStore, migrateDatabase, openDatabase, type GraphDb, type OpenDatabaseOptions } from '@idgraph/graph';
import { UserError } from './errors.js';

/** What a command needs, opened lazily and closed once. */
export class CliContext {
  readonly config: IdgraphConfig;
  readonly logger: Logger;
  private gdb: GraphDb | undefined;
  private storeInstance: GraphStore | undefined;

  private readonly databaseOptions: Pick<OpenDatabaseOptions, 'genericPlans'>;

  constructor(opts: { quiet?: boolean | undefined; verbose?: boolean | undefined; database?: Pick<OpenDatabaseOptions, 'genericPlans'> | undefined } = {}) {
    this.databaseOptions = opts.database ?? {};
    this.config = loadConfig();
    // Interactive commands log warnings only unless LOG_LEVEL asks for more; long-running ones pass verbose.
    const level = process.env.LOG_LEVEL ? this.config.logLevel : opts.verbose ? 'info' : 'warn';
    this.logger = createLogger({ level: opts.quiet && !process.env.LOG_LEVEL ? 'error' : level, name: 'idgraph' });
  }

  /** Opens the graph database (PostgreSQL when DATABASE_URL is set, else embedded) and brings its schema up to date. */
  async store(): Promise<GraphStore> {
    if (this.storeInstance) return this.storeInstance;
    try {
      this.gdb = await openDatabase({ ...this.databaseOptions, databaseUrl: this.config.databaseUrl, dataDir: this.config.dataDir, logger: this.logger });
    } catch (err) {
      throw new UserError(
        `cannot open the graph database ${this.config.databaseUrl ? '(DATABASE_URL)' : `(embedded, in ${this.config.dataDir})`}: ${(err as Error).message}`,
      );
    }
    await migrateDatabase(this.gdb);
    this.storeInstance = new GraphStore(this.gdb, { tenant: this.config.tenant, ambiguityMs: this.config.eventTiming.ambiguityMs });
    await this.storeInstance.ensureTenant();
    return this.storeInstance;
  }

  async database(): Promise<GraphDb> {
    await this.store();
    return this.gdb!;
  }

  async close(): Promise<void> {
    await this.gdb?.close();
    this.gdb = undefined;
    this.storeInstance = undefined;
  }
}

/** Workers and the commands that talk to them share one PostgreSQL; the embedded database serves a single process. */
export function requirePostgres(ctx: CliContext, command: string): void {
  if (!ctx.config.databaseUrl) {
    throw new UserError(
      `\`idgraph ${command}\` needs DATABASE_URL (a PostgreSQL shared by every worker process); the embedded database in ${ctx.config.dataDir} serves one process at a time (scan, report, demo)`,
    );
  }
}

/**
 * Redis must answer before a command builds queues on it: BullMQ's connections would retry an
 * unreachable Redis forever. The message names the URL without its password.
 */
export async function requireRedis(ctx: CliContext, timeoutMs = 5000): Promise<void> {
  const { assertRedisReachable, RedisUnreachableError } = await import('@idgraph/collector');
  try {
    await assertRedisReachable(ctx.config.redisUrl, timeoutMs);
  } catch (err) {
    if (err instanceof RedisUnreachableError) throw new UserError(err.message);
    throw err;
  }
}
