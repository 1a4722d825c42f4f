/**
 * Log streaming end to end: a simulator org collected into PostgreSQL, then simulator changes →
 * their EventBridge envelopes → SQS (fauxqs) → the stream worker (runStreamWorker with the real
 * GraphStore, targeted refreshes run inline with refreshObjects) → after every burst the graph
 * export equals sim.truth(). Bursts are shuffled and carry duplicates and bad messages.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@idgraph/core';
import { eventToGraphChanges, normalizeLogEventRow, validateLogEvent } from '@idgraph/normalize';
import { REJECT_REASON_ATTRIBUTE, runStreamWorker, type StreamWorker } from '@idgraph/stream-consumer';
import type { SimMutation } from '@idgraph/okta-sim';
import {
  ALL_CHANGE_TYPES,
  applyEveryKind,
  applyRandom,
  badMessages,
  envelopeBody,
  reEnveloped,
  type BadMessage,
} from './fixtures/stream-changes.js';
import { shuffled, waitFor } from '@idgraph/test-support';
import { STREAM_TENANT, drainQueue, graphDiff, queueDepth, startStreamHarness, type StreamHarness } from './fixtures/stream-harness.js';

describe('stream: simulator changes through SQS into the graph', () => {
  let h: StreamHarness;
  let worker: StreamWorker;
  let pg: postgres.Sql;
  const sentUuids = new Set<string>();
  let expectedApplied = 0;
  let expectedDlq = 0;

  /** Sends the bodies, waits until the worker committed or dead-lettered all of them, and the queue is empty. */
  async function deliver(good: string[], bad: BadMessage[], seed: number): Promise<void> {
    const bodies = shuffled([...good, ...bad.map((b) => b.body)], seed);
    expectedApplied += good.length;
    expectedDlq += bad.length;
    await h.send(h.queues.main, bodies);
    await waitFor('the worker to drain the burst', async () => {
      const m = worker.metrics.snapshot();
      if (m.applied < expectedApplied || m.dlq < expectedDlq) return false;
      const depth = await queueDepth(h.sqs, h.queues.main);
      return depth.visible === 0 && depth.inFlight === 0;
    }, 60_000);
  }

  const track = (ms: SimMutation[]): void => {
    for (const m of ms) sentUuids.add(m.event.uuid);
  };

  beforeAll(async () => {
    h = await startStreamHarness({ label: 'stream_e2e' });
    pg = postgres(h.tdb.url, { max: 1, onnotice: () => {} });
    worker = await runStreamWorker(loadConfig({ IDGRAPH_TENANT: STREAM_TENANT, LOG_LEVEL: 'silent', IDGRAPH_MAX_EVENT_BYTES: '65536' }), {
      stream: {
        queueUrl: h.queues.main,
        deadLetterQueueUrl: h.queues.dlq,
        endpoint: h.sqsEndpoint,
        region: 'us-east-1',
        pollers: 3,
        waitTimeSeconds: 1,
        batchSize: 10,
        visibilityTimeoutSeconds: 30,
      },
      store: h.store,
      sideEffects: h.store,
      sqs: h.sqs,
      onRefresh: (integrationId, requests) => h.refresh(integrationId, requests),
      logger: h.logger,
      metricsLogIntervalMs: 0,
    });
  });

  afterAll(async () => {
    await worker?.stop();
    await pg?.end();
    await h?.close();
  });

  it('starts from a collected graph that equals the simulator', async () => {
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });

  it('applies one change of every kind, shuffled, to the same graph as the simulator', async () => {
    const burst = applyEveryKind(h.sim);
    expect(new Set(burst.map((m) => m.change.type))).toEqual(new Set(ALL_CHANGE_TYPES));
    track(burst);
    await deliver(burst.map(envelopeBody), [], 1);
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });

  it('converges after random bursts with duplicates, reordering and bad messages mixed in', async () => {
    for (let round = 0; round < 4; round++) {
      const burst = applyRandom(h.sim, 30);
      track(burst);
      const good = burst.map(envelopeBody);
      // SQS at-least-once: the same message twice; EventBridge retry: the same event, a new envelope id.
      good.push(envelopeBody(burst[0]!), envelopeBody(burst[1]!), reEnveloped(burst[2]!), reEnveloped(burst[3]!));
      const bad = badMessages(burst[4]!);
      await deliver(good, bad, 100 + round);
      const changes = burst.map((m) => m.change);
      expect(graphDiff(await h.exportLines(), h.sim.truth()), `after burst ${round}: ${JSON.stringify(changes)}`).toEqual({ missing: [], extra: [] });
      expect(await h.exportLines()).toEqual(h.sim.truth());
    }
  });

  it('stored every streamed event exactly once', async () => {
    const rows = await pg<{ uuid: string; n: number }[]>`
      SELECT uuid, count(*)::int AS n FROM log_events WHERE integration_id = ${h.integrationId} AND received_via = 'stream' GROUP BY uuid`;
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.uuid))).toEqual(sentUuids);
    const m = worker.metrics.snapshot();
    expect(m.handlerErrors).toBe(0);
    expect(m.deleteFailures).toBe(0);
  });

  it('moved every bad message, unchanged, to the dead-letter queue with its reason', async () => {
    const dead = await drainQueue(h.sqs, h.queues.dlq);
    expect(dead).toHaveLength(expectedDlq);
    // Recreate the expectations from the bodies: each bad kind was sent once per burst.
    const reasons = dead.map((d) => d.MessageAttributes?.[REJECT_REASON_ATTRIBUTE]?.StringValue ?? '');
    const kinds = badMessages({ event: { uuid: 'x' }, envelope: { detail: {} } } as unknown as SimMutation).map((b) => b.reason);
    for (const pattern of kinds) expect(reasons.filter((r) => pattern.test(r)), String(pattern)).toHaveLength(4);
    for (const d of dead) expect(d.Body, 'DLQ keeps the original body').toBeTruthy();
  });

  it('ingestEvents of the same events a second time stores and applies nothing', async () => {
    const burst = applyRandom(h.sim, 20);
    const items = burst.map((m) => {
      const checked = validateLogEvent(m.event);
      if (!checked.ok) throw new Error(checked.reason);
      return { integrationId: h.integrationId, row: normalizeLogEventRow(checked.event), mutations: eventToGraphChanges(checked.event).mutations, via: 'file' as const };
    });
    const first = await h.store.ingestEvents(items);
    expect(first.stored).toBe(20);
    const before = await h.exportLines();
    const second = await h.store.ingestEvents(items);
    expect(second).toEqual({ stored: 0, duplicates: 20, conflicts: 0, conflictUuids: [], applied: 0, storedUuids: [], deferred: [] });
    expect(await h.exportLines()).toEqual(before);
    // The same events arriving through the stream afterwards are duplicates too.
    const countBefore = (await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events`)[0]!.n;
    await deliver(burst.map(envelopeBody), [], 7);
    expect((await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events`)[0]!.n).toBe(countBefore);
  });

  it('counts an event that comes again with other content as a conflict, keeps the stored one, and every stored event reads as jsonb', async () => {
    const [m] = applyRandom(h.sim, 1);
    track([m!]);
    await deliver([envelopeBody(m!)], [], 11);
    const changed = { ...m!.envelope, id: randomUUID(), detail: { ...m!.envelope.detail, displayMessage: 'edited' } };
    const before = worker.metrics.snapshot().conflicts;
    await deliver([JSON.stringify(changed)], [], 12);
    expect(worker.metrics.snapshot().conflicts).toBe(before + 1);
    const [stored] = await pg<{ raw: { displayMessage?: string } }[]>`SELECT raw::jsonb AS raw FROM log_events WHERE uuid = ${m!.event.uuid}`;
    expect(stored!.raw.displayMessage).not.toBe('edited');
    const [all] = await pg<{ n: number }[]>`SELECT count(raw::jsonb)::int AS n FROM log_events`;
    expect(all!.n).toBeGreaterThan(0);
  });
});
