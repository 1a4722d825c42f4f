/**
 * Stream benchmark: SQS (fauxqs, in-process on 127.0.0.1) → StreamConsumer → event handler → store.
 * (a) the SQS server's own ceiling: a bare receive + delete loop with the same pollers;
 * (b) our consumer: events/s draining a preloaded queue, then enqueue→commit latency (SentTimestamp
 *     vs the moment the store's ingestEvents resolved) with a paced producer at that full rate and at half.
 * Pass `store` (a GraphStore with an integration whose event source is `eventSource`) to measure
 * PostgreSQL; without it an in-memory idempotent store is used and the result says so.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createLogger } from '@idgraph/core';
import {
  StreamConsumer,
  createEventStreamHandler,
  type EventStreamStore,
  type IngestEventItem,
  type StreamEvent,
} from '@idgraph/stream-consumer';
import { buildApp } from 'fauxqs';

export interface BenchStreamOptions {
  /** Events per phase. Default 3000. */
  events?: number;
  pollers?: number;
  store?: EventStreamStore;
  eventSource?: string;
}

const DEFAULT_SOURCE = 'aws.partner/okta.com/bench/idgraph-bench';

export async function benchStream(opts: BenchStreamOptions = {}): Promise<Record<string, unknown>> {
  const events = opts.events ?? 3000;
  const pollers = opts.pollers ?? 4;
  const eventSource = opts.eventSource ?? DEFAULT_SOURCE;
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const ceiling = await bareReceiveDelete(sqs, events, pollers);
    const store = opts.store ?? new MemoryEventStore(eventSource);
    const drain = await consumerRun(sqs, store, eventSource, pollers, { count: events, ratePerSecond: null });
    const fullRate = Math.max(1, Math.floor(drain.eventsPerSecond));
    const full = await consumerRun(sqs, store, eventSource, pollers, { count: events, ratePerSecond: fullRate });
    const half = await consumerRun(sqs, store, eventSource, pollers, { count: Math.ceil(events / 2), ratePerSecond: Math.floor(fullRate / 2) });
    return {
      store: opts.store ? 'provided store (PostgreSQL via GraphStore)' : 'in-memory idempotent store (pass opts.store for PostgreSQL)',
      events,
      pollers,
      sqsCeilingEventsPerSecond: round(ceiling),
      consumerEventsPerSecond: round(drain.eventsPerSecond),
      consumerShareOfCeiling: round(drain.eventsPerSecond / ceiling),
      fullRate: { targetPerSecond: fullRate, achievedPerSecond: round(full.eventsPerSecond), p50Ms: full.p50, p99Ms: full.p99 },
      halfRate: { targetPerSecond: Math.floor(fullRate / 2), achievedPerSecond: round(half.eventsPerSecond), p50Ms: half.p50, p99Ms: half.p99 },
    };
  } finally {
    sqs.destroy();
    await app.close();
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

/** The server's own ceiling: receive 10 + delete 10, nothing else, same number of pollers. */
async function bareReceiveDelete(sqs: SQSClient, count: number, pollers: number): Promise<number> {
  const { main } = await createQueues(sqs, 'ceiling');
  await enqueue(sqs, main, Array.from({ length: count }, (_, i) => envelope(DEFAULT_SOURCE, i)));
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (done < count) {
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: main, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (Messages.length === 0) continue;
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: main, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        done += Messages.length;
      }
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
  store: EventStreamStore,
  eventSource: string,
  pollers: number,
  load: { count: number; ratePerSecond: number | null },
): Promise<{ eventsPerSecond: number; p50: number | null; p99: number | null }> {
  const { main, dlq } = await createQueues(sqs, 'consumer');
  const logger = createLogger({ level: 'warn' });
  const handler = createEventStreamHandler({ store, logger });
  const latencies: number[] = [];
  let committed = 0;
  const consumer = new StreamConsumer<Timed>({
    sqs, queueUrl: main, deadLetterQueueUrl: dlq, pollers, waitTimeSeconds: 1, logger,
    classify: async (body, info) => {
      const c = await handler.classify(body);
      return c.ok ? { ok: true, key: c.key, value: { event: c.value, sentTimestamp: info.sentTimestamp } } : c;
    },
    handleBatch: async (items) => {
      await handler.handleBatch(items.map((i) => i.event));
      const now = Date.now();
      for (const i of items) if (i.sentTimestamp !== null) latencies.push(now - i.sentTimestamp);
      committed += items.length;
    },
  });
  const offset = Math.floor(Math.random() * 1e9);
  const bodies = Array.from({ length: load.count }, (_, i) => envelope(eventSource, offset + i));
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
  while (committed < load.count) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : null);
  return { eventsPerSecond: load.count / seconds, p50: pct(50), p99: pct(99) };
}

/** Sends batches of 10 on a 100 ms tick so the queue sees `rate` events per second. */
async function pacedEnqueue(sqs: SQSClient, queueUrl: string, bodies: string[], rate: number): Promise<void> {
  const perTick = Math.max(1, Math.round(rate / 10));
  const started = performance.now();
  for (let sent = 0, tick = 0; sent < bodies.length; tick++) {
    const due = started + tick * 100;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const slice = bodies.slice(sent, sent + perTick);
    sent += slice.length;
    const chunks: string[][] = [];
    for (let i = 0; i < slice.length; i += 10) chunks.push(slice.slice(i, i + 10));
    await Promise.all(
      chunks.map((c) => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: c.map((MessageBody, j) => ({ Id: String(j), MessageBody })) }))),
    );
  }
}

/** A membership change for a synthetic user/group, wrapped like EventBridge delivers it. */
function envelope(source: string, n: number): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': 'SystemLog',
    source,
    account: '123456789012',
    time: new Date().toISOString().slice(0, 19) + 'Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      uuid: randomUUID(),
      published: new Date(Date.UTC(2024, 0, 1) + n).toISOString(),
      eventType: n % 2 === 0 ? 'group.user_membership.add' : 'group.user_membership.remove',
      version: '0',
      severity: 'INFO',
      actor: { id: '00ubenchadmin', type: 'User', alternateId: 'admin@bench.test', displayName: 'Admin' },
      outcome: { result: 'SUCCESS', reason: null },
      target: [
        { id: `00u${n % 5000}`, type: 'User', alternateId: `u${n % 5000}@bench.test`, displayName: 'User' },
        { id: `00g${n % 200}`, type: 'UserGroup', alternateId: 'unknown', displayName: `Group ${n % 200}` },
      ],
    },
  });
}

/** Idempotent by uuid, like GraphStore.ingestEvents, without a database. */
class MemoryEventStore implements EventStreamStore {
  private readonly seen = new Set<string>();
  constructor(private readonly source: string) {}
  async integrationByEventSource(source: string) {
    return source === this.source ? { id: 'bench' } : null;
  }
  async ingestEvents(items: IngestEventItem[]) {
    const storedUuids: string[] = [];
    let applied = 0;
    for (const i of items) {
      if (this.seen.has(i.row.uuid)) continue;
      this.seen.add(i.row.uuid);
      storedUuids.push(i.row.uuid);
      applied += i.mutations.length;
    }
    return { stored: storedUuids.length, duplicates: items.length - storedUuids.length, applied, storedUuids };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
