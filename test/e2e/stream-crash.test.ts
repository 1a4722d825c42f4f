/**
 * The stream worker SIGKILLed mid-batch and restarted: it runs in a child process
 * (test/e2e/fixtures/stream-worker.ts); a queue of many simulator events keeps its pollers busy,
 * it is killed while batches are in hand, and a second process finishes the queue. Every event
 * is stored exactly once and the graph equals the simulator's.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRandom, envelopeBody } from './fixtures/stream-changes.js';
import {
  STREAM_TENANT,
  drainQueue,
  graphDiff,
  queueDepth,
  spawnStreamWorker,
  startStreamHarness,
  type StreamHarness,
  type WorkerProcess,
} from './fixtures/stream-harness.js';
import { waitFor } from '@idgraph/test-support';

const EVENTS = 600;
const VISIBILITY_SECONDS = 4;

describe('stream: worker killed mid-batch and restarted', () => {
  let h: StreamHarness;
  let pg: postgres.Sql;
  const workers: WorkerProcess[] = [];

  const workerEnv = (): Record<string, string> => ({
    DATABASE_URL: h.tdb.url,
    IDGRAPH_TENANT: STREAM_TENANT,
    SQS_QUEUE_URL: h.queues.main,
    SQS_DLQ_URL: h.queues.dlq,
    SQS_ENDPOINT: h.sqsEndpoint,
    AWS_REGION: 'us-east-1',
    STREAM_POLLERS: '4',
    STREAM_WAIT_SECONDS: '1',
    STREAM_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    OKTA_SIM_URL: h.sim.url,
    OKTA_SIM_TOKEN: h.sim.apiToken,
  });
  const storedEvents = async (): Promise<number> =>
    (await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events WHERE integration_id = ${h.integrationId}`)[0]!.n;

  beforeAll(async () => {
    h = await startStreamHarness({
      label: 'stream_crash',
      visibilityTimeoutSeconds: VISIBILITY_SECONDS,
      // Many events ask for refreshes; this test is about delivery, not Okta's rate limits.
      sim: { rateLimitFactor: 100 },
    });
    pg = postgres(h.tdb.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await pg?.end();
    await h?.close();
  });

  it('stores every event exactly once and converges to the simulator after a SIGKILL', async () => {
    const changes = applyRandom(h.sim, EVENTS);
    const uuids = new Set(changes.map((m) => m.event.uuid));
    await h.send(h.queues.main, changes.map(envelopeBody));

    const first = await spawnStreamWorker(workerEnv());
    workers.push(first);
    await waitFor('the first worker to store a third of the events', async () => (await storedEvents()) >= EVENTS / 3, 60_000, 20).catch(
      async (err: Error) => {
        throw new Error(`${err.message}; stored ${await storedEvents()}; worker log:\n${first.stderr().slice(-3000)}`);
      },
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // Killed mid-way, with batches in hand: received (invisible) but never deleted.
    const atKill = await storedEvents();
    const depth = await queueDepth(h.sqs, h.queues.main);
    expect(atKill, first.stderr()).toBeLessThan(EVENTS);
    expect(depth.inFlight, 'messages in hand when the worker was killed').toBeGreaterThan(0);

    const second = await spawnStreamWorker(workerEnv());
    workers.push(second);
    await waitFor(
      'the restarted worker to finish the queue',
      async () => {
        const d = await queueDepth(h.sqs, h.queues.main);
        return d.visible === 0 && d.inFlight === 0 && (await storedEvents()) === EVENTS;
      },
      120_000,
      200,
    ).catch(async (err: Error) => {
      const d = await queueDepth(h.sqs, h.queues.main);
      throw new Error(`${err.message}; stored ${await storedEvents()}, queue ${JSON.stringify(d)}; worker log:\n${second.stderr().slice(-3000)}`);
    });
    second.child.kill('SIGTERM');
    expect(await second.exited, second.stderr()).toBe(0);

    const rows = await pg<{ uuid: string; n: number }[]>`
      SELECT uuid, count(*)::int AS n FROM log_events WHERE integration_id = ${h.integrationId} GROUP BY uuid`;
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(new Set(rows.map((r) => r.uuid))).toEqual(uuids);
    // Nothing was dead-lettered (the redrive policy moves a message after 5 receives).
    expect(await drainQueue(h.sqs, h.queues.dlq)).toEqual([]);
    const lines = await h.exportLines();
    expect(graphDiff(lines, h.sim.truth())).toEqual({ missing: [], extra: [] });
    expect(lines).toEqual(h.sim.truth());
  }, 240_000);
});
