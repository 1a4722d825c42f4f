import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createLogger, sleep } from '@idgraph/core';
import { waitFor } from '@idgraph/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASON_ATTRIBUTE, ORIGINAL_MESSAGE_ID_ATTRIBUTE, StreamConsumer, type Classification } from './consumer.js';
import { InMemoryStreamMetrics } from './metrics.js';
import { startLocalSqs, type LocalSqs } from './local-sqs.js';

interface Item {
  id: string;
  secret?: string;
}

let local: LocalSqs;
let queueCounter = 0;

beforeAll(async () => {
  local = await startLocalSqs();
});
afterAll(async () => {
  await local.stop();
});

async function queues(): Promise<{ main: string; dlq: string }> {
  queueCounter += 1;
  const dlq = await local.createQueue(`consumer-test-${queueCounter}-dlq`);
  const main = await local.createQueue(`consumer-test-${queueCounter}`);
  return { main: main.url, dlq: dlq.url };
}

async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
}

/** Messages visible + in flight: 0 means everything was deleted. */
async function remaining(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

function classifyJson(body: string): Classification<Item> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Item).id !== 'string') {
    return { ok: false, reason: 'id missing', logContext: { kind: typeof parsed } };
  }
  return { ok: true, key: 'tenant-a', value: parsed as Item };
}

/** An idempotent "store" like the graph's: keyed by id, counts how often each id was applied. */
class IdempotentSink {
  readonly applied = new Map<string, number>();
  batches = 0;
  failuresLeft = 0;
  failures = 0;
  delayMs = 0;

  handle = async (items: Item[]): Promise<void> => {
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      this.failures += 1;
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432 (postgres://app:hunter2@db/idgraph)');
    }
    this.batches += 1;
    for (const item of items) this.applied.set(item.id, (this.applied.get(item.id) ?? 0) + 1);
  };
}

function logCapture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug' }, { write: (s: string) => void lines.push(s) }), lines };
}

describe('StreamConsumer against fauxqs', () => {
  it('applies good messages once and deletes them; duplicates are harmless', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    const metrics = new InMemoryStreamMetrics();
    const bodies = Array.from({ length: 35 }, (_, i) => JSON.stringify({ id: `e${i}` }));
    // the same event delivered twice (EventBridge retry / Okta at-least-once)
    bodies.push(JSON.stringify({ id: 'e3' }), JSON.stringify({ id: 'e7' }));
    await sendBodies(local.sqs, q.main, bodies);

    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 2, waitTimeSeconds: 1,
      classify: classifyJson, handleBatch: sink.handle, metrics, logger: logCapture().logger,
    });
    consumer.start();
    await waitFor('all messages consumed', async () => (await remaining(local.sqs, q.main)) === 0);
    await consumer.stop();

    expect(sink.applied.size).toBe(35);
    // each id handed over once per delivery: e3/e7 twice (the idempotent store dedupes), others once
    expect([...sink.applied.entries()].filter(([, n]) => n !== 1).sort()).toEqual([['e3', 2], ['e7', 2]]);
    const snap = metrics.snapshot();
    expect(snap).toMatchObject({ received: 37, applied: 37, dlq: 0, deleteFailures: 0, handlerErrors: 0 });
    expect(snap.lagMs).not.toBeNull();
    expect(await remaining(local.sqs, q.dlq)).toBe(0);
  });

  it('moves malformed messages to the DLQ with the reason, unchanged, and keeps going', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    const metrics = new InMemoryStreamMetrics();
    const { logger, lines } = logCapture();
    const bad1 = 'this is {not json SSWS 00abcSECRETTOKEN';
    const bad2 = JSON.stringify({ noId: true, token: 'SECRETTOKEN' });
    await sendBodies(local.sqs, q.main, [JSON.stringify({ id: 'a' }), bad1, JSON.stringify({ id: 'b' }), bad2]);

    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 1, waitTimeSeconds: 1,
      classify: classifyJson, handleBatch: sink.handle, metrics, logger,
    });
    consumer.start();
    await waitFor('main queue drained', async () => (await remaining(local.sqs, q.main)) === 0);
    await consumer.stop();

    expect([...sink.applied.keys()].sort()).toEqual(['a', 'b']);
    expect(metrics.snapshot()).toMatchObject({ received: 4, applied: 2, dlq: 2 });
    const { Messages } = await local.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.dlq, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    const dead = (Messages ?? [])
      .map((m) => ({ body: m.Body, reason: m.MessageAttributes?.[REJECT_REASON_ATTRIBUTE]?.StringValue, original: m.MessageAttributes?.[ORIGINAL_MESSAGE_ID_ATTRIBUTE]?.StringValue }))
      .sort((x, y) => String(x.reason).localeCompare(String(y.reason)));
    expect(dead.map(({ body, reason }) => ({ body, reason }))).toEqual([
      { body: bad2, reason: 'id missing' },
      { body: bad1, reason: 'not JSON' },
    ]);
    expect(dead.every((d) => typeof d.original === 'string' && d.original.length > 0)).toBe(true);
    const rejectLogs = lines.filter((l) => l.includes('rejected to the dead-letter queue'));
    expect(rejectLogs).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('SECRETTOKEN');
  });

  it('leaves messages on the queue while the handler fails, and applies them once when it recovers', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    sink.failuresLeft = 3;
    const metrics = new InMemoryStreamMetrics();
    const { logger, lines } = logCapture();
    await sendBodies(local.sqs, q.main, Array.from({ length: 8 }, (_, i) => JSON.stringify({ id: `r${i}` })));

    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 1, waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1, maxBackoffMs: 400,
      classify: classifyJson, handleBatch: sink.handle, metrics, logger,
    });
    consumer.start();
    await waitFor('first failure', () => sink.failures >= 1);
    // while the "database" is down nothing is deleted
    expect(await remaining(local.sqs, q.main)).toBe(8);
    await waitFor('recovery and drain', async () => sink.failuresLeft === 0 && (await remaining(local.sqs, q.main)) === 0, 30_000);
    await consumer.stop();

    expect(sink.failures).toBe(3);
    expect([...sink.applied.values()].every((n) => n === 1)).toBe(true);
    expect(sink.applied.size).toBe(8);
    const snap = metrics.snapshot();
    expect(snap.handlerErrors).toBe(3);
    expect(snap.applied).toBe(8);
    expect(snap.received).toBeGreaterThan(8); // redelivered after the visibility timeout
    expect(await remaining(local.sqs, q.dlq)).toBe(0);
    // the driver's connection string (with a password) never reaches the log
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.some((l) => l.includes('batch handler failed'))).toBe(true);
  });

  it('does not receive while the store is down, so a long outage cannot push good messages to the DLQ', async () => {
    queueCounter += 1;
    const dlq = await local.createQueue(`consumer-test-${queueCounter}-dlq`);
    // Redrive after 3 receives, 1 s visibility: receiving through a ~6 s outage would dead-letter everything.
    const main = await local.createQueue(`consumer-test-${queueCounter}`, {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
    });
    let down = true;
    let probes = 0;
    const sink = new IdempotentSink();
    const handle = async (items: Item[]) => {
      if (down) {
        sink.failures += 1;
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      }
      await sink.handle(items);
    };
    const metrics = new InMemoryStreamMetrics();
    await sendBodies(local.sqs, main.url, Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `o${i}` })));
    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: main.url, deadLetterQueueUrl: dlq.url, pollers: 2, waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1, maxBackoffMs: 300, batchesInFlightPerPoller: 1,
      classify: classifyJson, handleBatch: handle, metrics, logger: logCapture().logger,
      readiness: async () => {
        probes += 1;
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    });
    consumer.start();
    await waitFor('the first failed batch', () => sink.failures >= 1);
    // The outage lasts until the pollers have probed readiness a number of times instead of receiving.
    await waitFor('readiness probes during the outage', () => probes > 5, 30_000);
    const receivedDuringOutage = metrics.snapshot().received;
    down = false;
    await waitFor('recovery and drain', async () => sink.applied.size === 6 && (await remaining(local.sqs, main.url)) === 0, 30_000);
    await consumer.stop();

    expect(probes).toBeGreaterThan(5);
    // Each poller received at most its one failing batch before it started probing instead.
    expect(receivedDuringOutage).toBeLessThanOrEqual(6 + 10);
    expect([...sink.applied.values()].every((n) => n === 1)).toBe(true);
    expect(await remaining(local.sqs, dlq.url)).toBe(0);
  });

  it('treats a throwing classify as a transient failure, not a bad message', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    const metrics = new InMemoryStreamMetrics();
    let lookupDown = true;
    await sendBodies(local.sqs, q.main, [JSON.stringify({ id: 'c1' })]);
    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 1, waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1, maxBackoffMs: 300, metrics, logger: logCapture().logger,
      classify: (body) => {
        if (lookupDown) throw new Error('integration lookup failed');
        return classifyJson(body);
      },
      handleBatch: sink.handle,
    });
    consumer.start();
    await waitFor('a classify failure', () => metrics.snapshot().handlerErrors >= 1);
    expect(await remaining(local.sqs, q.main)).toBe(1);
    lookupDown = false;
    await waitFor('drain', async () => (await remaining(local.sqs, q.main)) === 0, 20_000);
    await consumer.stop();
    expect([...sink.applied.entries()]).toEqual([['c1', 1]]);
    expect(metrics.snapshot().dlq).toBe(0);
  });

  it('extends visibility while a slow batch is in hand, so it is not delivered twice', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    sink.delayMs = 2_600;
    const metrics = new InMemoryStreamMetrics();
    await sendBodies(local.sqs, q.main, Array.from({ length: 3 }, (_, i) => JSON.stringify({ id: `s${i}` })));
    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 2, waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1, classify: classifyJson, handleBatch: sink.handle, metrics, logger: logCapture().logger,
    });
    consumer.start();
    await waitFor('drain', async () => (await remaining(local.sqs, q.main)) === 0);
    await consumer.stop();
    expect(metrics.snapshot().received).toBe(3);
    expect([...sink.applied.values()]).toEqual([1, 1, 1]);
  });

  it('releases a batch whose handler never settles (hung driver), reports the stall, and applies it on redelivery', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    const metrics = new InMemoryStreamMetrics();
    const stalls: { messages: number; timeoutMs: number }[] = [];
    let hang = true;
    await sendBodies(local.sqs, q.main, Array.from({ length: 3 }, (_, i) => JSON.stringify({ id: `h${i}` })));
    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 1, waitTimeSeconds: 1, batchSize: 10,
      visibilityTimeoutSeconds: 1, batchTimeoutMs: 1_500, maxBackoffMs: 200, metrics, logger: logCapture().logger,
      classify: classifyJson,
      handleBatch: (items) => (hang ? new Promise<void>(() => undefined) : sink.handle(items)),
      onStalled: (info) => {
        stalls.push(info);
        hang = false;
      },
    });
    consumer.start();
    await waitFor('the redelivered batch to be applied', async () => (await remaining(local.sqs, q.main)) === 0);
    await consumer.stop();
    expect(stalls).toEqual([{ poller: 0, messages: 3, timeoutMs: 1_500 }]);
    expect(metrics.snapshot().handlerErrors).toBe(1);
    expect(metrics.snapshot().received).toBe(6);
    expect([...sink.applied.values()]).toEqual([1, 1, 1]);
  });

  it('stop() finishes the batch in hand (commit + delete) and returns without waiting for the long poll', async () => {
    const q = await queues();
    const sink = new IdempotentSink();
    sink.delayMs = 800;
    const metrics = new InMemoryStreamMetrics();
    await sendBodies(local.sqs, q.main, [JSON.stringify({ id: 'g1' })]);
    const consumer = new StreamConsumer<Item>({
      sqs: local.sqs, queueUrl: q.main, deadLetterQueueUrl: q.dlq, pollers: 3, waitTimeSeconds: 20,
      classify: classifyJson, handleBatch: sink.handle, metrics, logger: logCapture().logger,
    });
    consumer.start();
    await waitFor('batch in hand', () => metrics.snapshot().received === 1);
    const started = Date.now();
    await consumer.stop();
    const took = Date.now() - started;
    expect(sink.applied.get('g1')).toBe(1);
    expect(await remaining(local.sqs, q.main)).toBe(0);
    expect(took).toBeLessThan(5_000);
  });

  it('rejects invalid options with a message naming the option', () => {
    const base = { sqs: local.sqs, queueUrl: 'http://x/q', deadLetterQueueUrl: 'http://x/d', classify: classifyJson, handleBatch: async () => {} };
    expect(() => new StreamConsumer<Item>({ ...base, batchSize: 11 })).toThrow(/batchSize must be an integer between 1 and 10, got 11/);
    expect(() => new StreamConsumer<Item>({ ...base, waitTimeSeconds: 21 })).toThrow(/waitTimeSeconds/);
    expect(() => new StreamConsumer<Item>({ ...base, deadLetterQueueUrl: '' })).toThrow(/deadLetterQueueUrl is required/);
  });
});
