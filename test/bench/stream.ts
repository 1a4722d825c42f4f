/**
 * Stream benchmark: SQS (fauxqs, in-process on 127.0.0.1) → StreamConsumer → event handler →
 * GraphStore on a fresh PostgreSQL database (an integration with the bench's event source, seeded
 * with users and groups so the events are about existing objects).
 * (a) the SQS server's own ceiling: a bare receive + delete loop with the same pollers;
 * (b) our consumer: events/s draining a preloaded queue to committed graph;
 * (c) enqueue→commit latency (SentTimestamp vs the moment ingestEvents resolved) with a paced
 *     producer at our sustained rate and at half the server's ceiling;
 * (d) the `ingest-events` path without SQS: envelopes parsed, normalized and ingested in
 *     batches of 1,000.
 * Events are in Okta's shape: group membership add/remove and user lifecycle (suspend, unsuspend,
 * lock) of existing users.
 *
 * Run: pnpm exec tsx test/bench/stream.ts   (env: BENCH_STREAM_EVENTS, BENCH_STREAM_INGEST_EVENTS,
 * BENCH_STREAM_POLLERS, BENCH_STREAM_SQS_SERVER=same-thread; PostgreSQL from TEST_PG_ADMIN_URL as in the tests)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createLogger, sleep } from '@idgraph/core';
import { GraphStore, createSecretBox, migrateDatabase, openDatabase, type GraphDb } from '@idgraph/graph';
import { eventToGraphChanges, normalizeLogEventRow, parseEventMessage } from '@idgraph/normalize';
import {
  StreamConsumer,
  coalesceBatches,
  createEventStreamHandler,
  type EventStreamStore,
  type SideEffectLookups,
  type StreamEvent,
} from '@idgraph/stream-consumer';
import { createTestDatabase } from '@idgraph/test-support';
import { benchGroupId, benchUserId, seedBenchGraph } from './seed.js';
import { buildApp } from 'fauxqs';

export interface BenchStreamOptions {
  /** Events per SQS phase. Default 6000. */
  events?: number;
  /** Events through the ingest-events path. Default 100,000. */
  ingestEvents?: number;
  pollers?: number;
  /** A store of your own (its integration must have `eventSource`); default a GraphStore on a fresh database. */
  store?: EventStreamStore;
  eventSource?: string;
  /**
   * Where fauxqs runs: in a worker thread of this process (default; like a real SQS endpoint it
   * does not share the consumer's event loop) or on the consumer's own thread.
   */
  sqsServer?: 'worker-thread' | 'same-thread';
}

const DEFAULT_SOURCE = 'aws.partner/okta.com/bench/idgraph-bench';
const TENANT = 'bench';
const USERS = 5000;
const GROUPS = 200;
const SEEDED_AT = new Date(Date.UTC(2024, 0, 1));
const INGEST_BATCH = 1000;
/** Batches a poller has in hand at once: the consumer's default (batchesInFlightPerPoller), also used by the ceiling loop. */
const IN_FLIGHT_PER_POLLER = 2;

interface BenchTarget {
  store: EventStreamStore;
  sideEffects: SideEffectLookups | undefined;
  /** ingestEvents of the real store (for the no-SQS path), with the integration id. */
  integrationId: string | null;
  close(): Promise<void>;
}

export async function benchStream(opts: BenchStreamOptions = {}): Promise<Record<string, unknown>> {
  const events = opts.events ?? 6000;
  const ingestEvents = opts.ingestEvents ?? 100_000;
  const pollers = opts.pollers ?? 4;
  const eventSource = opts.eventSource ?? DEFAULT_SOURCE;
  const sqsServer = opts.sqsServer ?? 'worker-thread';
  const server = sqsServer === 'worker-thread' ? await startSqsInWorker() : await startSqsHere();
  const endpoint = server.endpoint;
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const target = opts.store
    ? { store: opts.store, sideEffects: undefined, integrationId: null, close: async () => undefined }
    : await freshGraphStore(eventSource);
  const clock = new EventClock();
  try {
    // Warm up (JIT, connections) so the first measured phase is not penalised.
    await bareReceiveDelete(sqs, Math.min(1000, events), pollers, eventSource, clock);
    const ceiling = await bareReceiveDelete(sqs, events, pollers, eventSource, clock);
    const drain = await consumerRun(sqs, target, eventSource, pollers, clock, { count: events, ratePerSecond: null });
    const fullRate = Math.max(1, Math.floor(drain.eventsPerSecond));
    const full = await consumerRun(sqs, target, eventSource, pollers, clock, { count: events, ratePerSecond: fullRate });
    const halfCeilingRate = Math.max(1, Math.floor(ceiling / 2));
    const half = await consumerRun(sqs, target, eventSource, pollers, clock, { count: events, ratePerSecond: halfCeilingRate });
    const ingest = target.integrationId ? await ingestPath(target, eventSource, ingestEvents, clock) : null;
    return {
      sqsServer: `fauxqs on 127.0.0.1, ${sqsServer}`,
      store: opts.store ? 'provided store' : `GraphStore on a fresh PostgreSQL database (${USERS} users, ${GROUPS} groups seeded)`,
      events,
      pollers,
      sqsCeilingEventsPerSecond: round(ceiling),
      consumerEventsPerSecond: round(drain.eventsPerSecond),
      consumerShareOfCeiling: round(drain.eventsPerSecond / ceiling),
      drain: { p50Ms: drain.p50, p99Ms: drain.p99, refreshRequests: drain.refreshRequests },
      fullRate: { targetPerSecond: fullRate, achievedPerSecond: round(full.eventsPerSecond), p50Ms: full.p50, p99Ms: full.p99 },
      halfCeilingRate: { targetPerSecond: halfCeilingRate, achievedPerSecond: round(half.eventsPerSecond), p50Ms: half.p50, p99Ms: half.p99 },
      ingestEventsPath: ingest,
      targets: {
        consumerAtLeast80PercentOfCeiling: drain.eventsPerSecond >= 0.8 * ceiling,
        p99Under2sAtHalfCeiling: half.p99 !== null && half.p99 < 2000,
        ingestAtLeast50kPerSecond: ingest ? (ingest.eventsPerSecond ?? 0) >= 50_000 : null,
      },
    };
  } finally {
    sqs.destroy();
    await server.close();
    await target.close();
  }
}

interface SqsServer {
  endpoint: string;
  close(): Promise<void>;
}

async function startSqsHere(): Promise<SqsServer> {
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  return { endpoint, close: () => app.close() };
}

/** fauxqs on its own event loop (a worker thread of this process), bound to 127.0.0.1. */
async function startSqsInWorker(): Promise<SqsServer> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.fauxqs).then(async ({ buildApp }) => {
      const app = buildApp({ logger: false });
      const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
      parentPort.on('message', () => app.close().then(() => process.exit(0)));
      parentPort.postMessage(endpoint);
    });`,
    { eval: true, workerData: { fauxqs: import.meta.resolve('fauxqs') } },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
  });
  return {
    endpoint,
    async close() {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.postMessage('close');
      await exited;
    },
  };
}

/** A fresh database with the schema, one integration with the bench's event source, and existing users and groups. */
async function freshGraphStore(eventSource: string): Promise<BenchTarget> {
  const tdb = await createTestDatabase('bench_stream');
  let gdb: GraphDb | null = null;
  try {
    gdb = await openDatabase({ databaseUrl: tdb.url, maxConnections: 8 });
    await migrateDatabase(gdb);
    const store = new GraphStore(gdb, { tenant: TENANT, secretBox: createSecretBox(randomBytes(32).toString('base64url')) });
    const integrationId = await seedBenchGraph(store, { users: USERS, groups: GROUPS, at: SEEDED_AT, eventSource });
    const opened = gdb;
    return {
      store,
      sideEffects: store,
      integrationId,
      async close() {
        await opened.close();
        await tdb.drop();
      },
    };
  } catch (err) {
    await gdb?.close();
    await tdb.drop();
    throw err;
  }
}

async function createQueues(sqs: SQSClient, label: string): Promise<{ main: string; dlq: string }> {
  const suffix = randomUUID().slice(0, 8);
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-${label}-${suffix}-dlq` }))).QueueUrl!;
  const main = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-${label}-${suffix}` }))).QueueUrl!;
  return { main, dlq };
}

/** Sends `bodies` in batches of 10, several batches in flight. */
async function enqueue(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((MessageBody, j) => ({ Id: String(j), MessageBody })) }));
      }
    }),
  );
}

/**
 * The server's own ceiling: receive 10 + delete 10, nothing else, with the same pollers and the
 * same overlap as the consumer (a poller receives again while its last delete is in flight, up to
 * `inFlightPerPoller` batches).
 */
async function bareReceiveDelete(sqs: SQSClient, count: number, pollers: number, source: string, clock: EventClock): Promise<number> {
  const { main } = await createQueues(sqs, 'ceiling');
  await enqueue(sqs, main, Array.from({ length: count }, () => clock.envelope(source)));
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      const inFlight = new Set<Promise<void>>();
      while (done < count) {
        if (inFlight.size >= IN_FLIGHT_PER_POLLER) await Promise.race(inFlight);
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: main, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (Messages.length === 0) continue;
        const deleting: Promise<void> = sqs
          .send(new DeleteMessageBatchCommand({ QueueUrl: main, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }))
          .then(() => {
            done += Messages.length;
            inFlight.delete(deleting);
          });
        inFlight.add(deleting);
      }
      await Promise.all(inFlight);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

interface Timed {
  event: StreamEvent;
  sentTimestamp: number | null;
}

async function consumerRun(
  sqs: SQSClient,
  target: BenchTarget,
  eventSource: string,
  pollers: number,
  clock: EventClock,
  load: { count: number; ratePerSecond: number | null },
): Promise<{ eventsPerSecond: number; p50: number | null; p99: number | null; refreshRequests: number }> {
  const { main, dlq } = await createQueues(sqs, 'consumer');
  const logger = createLogger({ level: 'warn' });
  let refreshRequests = 0;
  // Like the worker: side-effect lookups and a refresh sink (here counting instead of queueing on Redis).
  const handler = createEventStreamHandler({
    store: target.store,
    logger,
    ...(target.sideEffects ? { sideEffects: target.sideEffects } : {}),
    onRefresh: (_id, requests) => {
      refreshRequests += requests.length;
    },
  });
  // As in runStreamWorker: batches arriving during a commit share the next transaction.
  const commit = coalesceBatches((events: StreamEvent[]) => handler.handleBatch(events));
  const latencies: number[] = [];
  let committed = 0;
  const consumer = new StreamConsumer<Timed>({
    sqs, queueUrl: main, deadLetterQueueUrl: dlq, pollers, waitTimeSeconds: 1, logger, batchesInFlightPerPoller: IN_FLIGHT_PER_POLLER,
    classify: async (body, info) => {
      const c = await handler.classify(body, info);
      return c.ok ? { ok: true, key: c.key, value: { event: c.value, sentTimestamp: info.sentTimestamp } } : c;
    },
    handleBatch: async (items) => {
      await commit(items.map((i) => i.event));
      const now = Date.now();
      for (const i of items) if (i.sentTimestamp !== null) latencies.push(now - i.sentTimestamp);
      committed += items.length;
    },
  });
  const bodies = Array.from({ length: load.count }, () => clock.envelope(eventSource));
  let started: number;
  if (load.ratePerSecond === null) {
    await enqueue(sqs, main, bodies);
    started = performance.now();
    consumer.start();
  } else {
    consumer.start();
    started = performance.now();
    await pacedEnqueue(sqs, main, bodies, load.ratePerSecond);
  }
  while (committed < load.count) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : null);
  return { eventsPerSecond: load.count / seconds, p50: pct(50), p99: pct(99), refreshRequests };
}

/** Sends batches of 10 on a 100 ms tick so the queue sees `rate` events per second. */
async function pacedEnqueue(sqs: SQSClient, queueUrl: string, bodies: string[], rate: number): Promise<void> {
  const perTick = Math.max(1, Math.round(rate / 10));
  const started = performance.now();
  for (let sent = 0, tick = 0; sent < bodies.length; tick++) {
    const due = started + tick * 100;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const slice = bodies.slice(sent, sent + perTick);
    sent += slice.length;
    const chunks: string[][] = [];
    for (let i = 0; i < slice.length; i += 10) chunks.push(slice.slice(i, i + 10));
    await Promise.all(
      chunks.map((c) => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: c.map((MessageBody, j) => ({ Id: String(j), MessageBody })) }))),
    );
  }
}

/**
 * The `ingest-events` path without SQS: each line parsed as an envelope, normalized, and handed to
 * ingestEvents in batches of 1,000 (one transaction each). Reports the whole path, the store's
 * share, and (to show where the store's time goes) the store alone for the same events without
 * their mutations and without their raw JSON.
 */
async function ingestPath(target: BenchTarget, eventSource: string, count: number, clock: EventClock): Promise<Record<string, number>> {
  const full = await ingestRun(target, eventSource, count, clock, (i) => i);
  const noMutations = await ingestRun(target, eventSource, count, clock, (i) => ({ ...i, mutations: [] }));
  const noRaw = await ingestRun(target, eventSource, count, clock, (i) => ({ ...i, row: { ...i.row, raw: null } }));
  return {
    events: count,
    batch: INGEST_BATCH,
    eventsPerSecond: full.eventsPerSecond,
    storeEventsPerSecond: full.storeEventsPerSecond,
    stored: full.stored,
    storeEventsPerSecondWithoutMutations: noMutations.storeEventsPerSecond,
    storeEventsPerSecondWithoutRaw: noRaw.storeEventsPerSecond,
  };
}

type IngestItem = Parameters<EventStreamStore['ingestEvents']>[0][number];

async function ingestRun(
  target: BenchTarget,
  eventSource: string,
  count: number,
  clock: EventClock,
  variant: (item: IngestItem) => IngestItem,
): Promise<{ eventsPerSecond: number; storeEventsPerSecond: number; stored: number }> {
  const lines = Array.from({ length: count }, () => clock.envelope(eventSource));
  let storeMs = 0;
  let stored = 0;
  const started = performance.now();
  for (let i = 0; i < lines.length; i += INGEST_BATCH) {
    const items = lines.slice(i, i + INGEST_BATCH).map((line) => {
      const parsed = parseEventMessage(line);
      if (!parsed.ok) throw new Error(`bench event rejected: ${parsed.reason}`);
      return variant({ integrationId: target.integrationId!, row: normalizeLogEventRow(parsed.event, parsed.eventJson), mutations: eventToGraphChanges(parsed.event).mutations, via: 'file' });
    });
    const t = performance.now();
    stored += (await target.store.ingestEvents(items)).stored;
    storeMs += performance.now() - t;
  }
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSecond: round(count / seconds), storeEventsPerSecond: round(count / (storeMs / 1000)), stored };
}

const userId = benchUserId;
const groupId = benchGroupId;

/**
 * Okta-shaped events about the seeded users and groups, with strictly increasing `published`
 * times (after the seed) so every event changes the graph.
 */
class EventClock {
  private n = 0;
  private readonly start = Date.UTC(2024, 5, 1);

  envelope(source: string): string {
    const n = this.n++;
    const user = n % USERS;
    const u = { id: userId(user), type: 'User', alternateId: `u${user}@bench.test`, displayName: `Bench User${user}` };
    const g = { id: groupId((n * 7) % GROUPS), type: 'UserGroup', alternateId: 'unknown', displayName: `Group ${(n * 7) % GROUPS}` };
    // 80% membership changes, 20% lifecycle of existing users.
    const kinds = [
      ['group.user_membership.add', [u, g]],
      ['group.user_membership.remove', [u, g]],
      ['group.user_membership.add', [u, g]],
      ['group.user_membership.remove', [u, g]],
      ['group.user_membership.add', [u, g]],
      ['group.user_membership.remove', [u, g]],
      ['group.user_membership.add', [u, g]],
      ['group.user_membership.remove', [u, g]],
      ['user.lifecycle.suspend', [u]],
      ['user.lifecycle.unsuspend', [u]],
    ] as const;
    const [eventType, target] = kinds[n % kinds.length]!;
    const published = new Date(this.start + n).toISOString();
    return JSON.stringify({
      version: '0',
      id: randomUUID(),
      'detail-type': 'SystemLog',
      source,
      account: '123456789012',
      time: published.slice(0, 19) + 'Z',
      region: 'us-east-1',
      resources: [],
      detail: {
        uuid: randomUUID(),
        published,
        eventType,
        version: '0',
        severity: 'INFO',
        displayMessage: eventType,
        actor: { id: '00ubenchadmin', type: 'User', alternateId: 'admin@bench.test', displayName: 'Admin' },
        client: { ipAddress: '198.51.100.7', userAgent: { rawUserAgent: 'bench' } },
        outcome: { result: 'SUCCESS', reason: null },
        transaction: { type: 'WEB', id: randomUUID().slice(0, 20) },
        target,
      },
    });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const num = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
  const result = await benchStream({
    ...(num('BENCH_STREAM_EVENTS') !== undefined ? { events: num('BENCH_STREAM_EVENTS')! } : {}),
    ...(num('BENCH_STREAM_INGEST_EVENTS') !== undefined ? { ingestEvents: num('BENCH_STREAM_INGEST_EVENTS')! } : {}),
    ...(num('BENCH_STREAM_POLLERS') !== undefined ? { pollers: num('BENCH_STREAM_POLLERS')! } : {}),
    ...(process.env.BENCH_STREAM_SQS_SERVER === 'same-thread' ? { sqsServer: 'same-thread' as const } : {}),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
