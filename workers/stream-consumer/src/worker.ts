/**
 * The stream worker process: SQS → StreamConsumer → event handler → GraphStore, with targeted
 * refreshes queued on BullMQ for the collector workers. `idgraph workers --stream` calls this.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES, createLogger, type IdgraphConfig, type Logger, type RefreshJobData } from '@idgraph/core';
import { GraphStore, migrationsCurrent, openDatabase, type GraphDb } from '@idgraph/graph';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readStreamWorkerConfig, type StreamWorkerConfig } from './config.js';
import { coalesceBatches } from './coalesce.js';
import { StreamConsumer } from './consumer.js';
import { createEventStreamHandler, type EventStreamStore, type RefreshSink, type StreamEvent } from './event-handler.js';
import { InMemoryStreamMetrics } from './metrics.js';
import type { SideEffectLookups } from './side-effects.js';
import { sql } from 'drizzle-orm';

export interface StreamWorkerOptions {
  /** Defaults to readStreamWorkerConfig(process.env). */
  stream?: StreamWorkerConfig;
  logger?: Logger;
  /** Defaults to a GraphStore on config.databaseUrl (or the embedded database). */
  store?: EventStreamStore;
  /** Graph reads for Okta side effects without events; defaults to the default store's database (none with a custom store). */
  sideEffects?: SideEffectLookups;
  /** Defaults to BullMQ jobs on the refresh queue (config.redisUrl). */
  onRefresh?: RefreshSink;
  sqs?: SQSClient;
  /**
   * A batch did not settle within the batch timeout (e.g. a database driver hanging on a dead
   * connection): the process should exit and be restarted with fresh connections. Messages are
   * safe: the stalled batch was released, nothing of it deleted.
   */
  onStalled?: (info: { poller: number; messages: number; timeoutMs: number }) => void;
  /** How often the counters are logged. Default 60 s; 0 turns it off. */
  metricsLogIntervalMs?: number;
  /** Resolves when the store answers (see StreamConsumer's readiness); defaults to `select 1` on the default store's database. */
  readiness?: () => Promise<void>;
}

export interface StreamWorker {
  readonly consumer: StreamConsumer<StreamEvent>;
  readonly metrics: InMemoryStreamMetrics;
  /** Graceful: batches in hand finish, then connections close. */
  stop(): Promise<void>;
}

export async function runStreamWorker(config: IdgraphConfig, options: StreamWorkerOptions = {}): Promise<StreamWorker> {
  const stream = options.stream ?? readStreamWorkerConfig();
  const logger = options.logger ?? createLogger({ name: 'stream-worker', level: config.logLevel });
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      await close().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'closing a connection failed'));
    }
  };
  try {
    const opened = options.store ? null : await openGraphStore(config, logger, closers);
    const store = options.store ?? opened!.store;
    const sideEffects = options.sideEffects ?? opened?.sideEffects;
    const readiness = options.readiness ?? opened?.readiness;
    if (!sideEffects) logger.warn('no side-effect lookups: Everyone memberships and GROUP-scope app users wait for the next collection');
    const onRefresh = options.onRefresh ?? refreshQueueSink(config, closers);
    const sqs = options.sqs ?? createSqsClient(stream, closers);
    const metrics = new InMemoryStreamMetrics();
    const handler = createEventStreamHandler({
      store,
      logger,
      onRefresh,
      maxFutureMs: config.eventTiming.maxFutureMs,
      eventLimits: config.eventLimits,
      metrics,
      ...(sideEffects ? { sideEffects } : {}),
    });
    const consumer = new StreamConsumer<StreamEvent>({
      sqs,
      queueUrl: stream.queueUrl,
      deadLetterQueueUrl: stream.deadLetterQueueUrl,
      pollers: stream.pollers,
      waitTimeSeconds: stream.waitTimeSeconds,
      batchSize: stream.batchSize,
      visibilityTimeoutSeconds: stream.visibilityTimeoutSeconds,
      ...(stream.batchTimeoutSeconds !== undefined ? { batchTimeoutMs: stream.batchTimeoutSeconds * 1000 } : {}),
      ...(options.onStalled ? { onStalled: options.onStalled } : {}),
      ...(readiness ? { readiness } : {}),
      classify: handler.classify,
      // Batches of all pollers that arrive during a commit share the next transaction.
      handleBatch: coalesceBatches(handler.handleBatch),
      logger,
      metrics,
    });
    consumer.start();
    const interval = options.metricsLogIntervalMs ?? 60_000;
    const timer = interval > 0 ? setInterval(() => logger.info({ metrics: metrics.snapshot() }, 'stream metrics'), interval) : null;
    timer?.unref();
    let stopped: Promise<void> | null = null;
    return {
      consumer,
      metrics,
      stop() {
        stopped ??= (async () => {
          if (timer) clearInterval(timer);
          await consumer.stop();
          logger.info({ metrics: metrics.snapshot() }, 'stream worker stopped');
          await closeAll();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function openGraphStore(
  config: IdgraphConfig,
  logger: Logger,
  closers: (() => Promise<void>)[],
): Promise<{ store: EventStreamStore; sideEffects: SideEffectLookups; readiness: () => Promise<void> }> {
  const gdb: GraphDb = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  closers.push(() => gdb.close());
  if (!(await migrationsCurrent(gdb))) {
    throw new Error('the database schema is not current: run `idgraph migrate` before starting the stream worker');
  }
  const store = new GraphStore(gdb, { tenant: config.tenant, ambiguityMs: config.eventTiming.ambiguityMs });
  return {
    store,
    sideEffects: store,
    readiness: async () => {
      await gdb.execute(sql`select 1`);
    },
  };
}

/** Targeted refreshes become jobs for the collector workers; job data holds ids only, never secrets. */
function refreshQueueSink(config: IdgraphConfig, closers: (() => Promise<void>)[]): RefreshSink {
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  const queue = new Queue<RefreshJobData>(QUEUES.refresh, { connection, prefix: config.queuePrefix });
  closers.push(async () => {
    await queue.close();
    connection.disconnect();
  });
  return async (integrationId, requests) => {
    await queue.add(
      'refresh',
      { tenant: config.tenant, integrationId, requests },
      { attempts: 5, backoff: { type: 'exponential', delay: 2_000 }, removeOnComplete: 1_000, removeOnFail: 5_000 },
    );
  };
}

function createSqsClient(stream: StreamWorkerConfig, closers: (() => Promise<void>)[]): SQSClient {
  // A local SQS-compatible server ignores signatures; give the SDK placeholder credentials when none are set.
  const placeholderCredentials =
    stream.endpoint && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {};
  const sqs = new SQSClient({ region: stream.region, ...(stream.endpoint ? { endpoint: stream.endpoint } : {}), ...placeholderCredentials });
  closers.push(async () => sqs.destroy());
  return sqs;
}
