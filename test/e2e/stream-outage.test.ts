/**
 * A database outage while events flow: the stream worker (a child process, restarted by the test
 * when it exits, like a container supervisor would) reaches PostgreSQL through a TCP proxy that is
 * cut (connections destroyed, new ones refused) for a few seconds and then restored. No message
 * is dropped, none is applied twice, nothing is dead-lettered, and the graph equals the
 * simulator's afterwards.
 *
 * The restarts are needed because of the PostgreSQL driver (postgres@3.4.9): a connection closed
 * while a small write is buffered either throws an uncaught TypeError from `nextWrite`
 * (https://github.com/porsager/postgres/issues/1154, https://github.com/porsager/postgres/issues/1208) or keeps a stale write timer so its later queries never settle
 * (the worker's batch timeout catches those and exits).
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
import { sleep } from '@idgraph/core';
import { waitFor } from '@idgraph/test-support';
import { TcpProxy } from './fixtures/stream-tcp-proxy.js';

const VISIBILITY_SECONDS = 3;

/** Keeps one worker process running: restarts it whenever it exits, until stop(). */
class Supervisor {
  current: WorkerProcess | null = null;
  readonly exits: (number | string)[] = [];
  readonly logs: string[] = [];
  private stopping = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly env: () => Record<string, string>) {}

  async start(): Promise<void> {
    this.current = await spawnStreamWorker(this.env());
    this.loop = (async () => {
      while (!this.stopping && this.current) {
        const code = await this.current.exited;
        this.exits.push(code);
        this.logs.push(this.current.stderr().slice(-2000));
        if (this.stopping) break;
        this.current = await this.spawnWithRetry();
      }
    })();
  }

  /** While the database is down a new worker cannot start (it checks its schema first): try again, like a restart policy. */
  private async spawnWithRetry(): Promise<WorkerProcess | null> {
    for (;;) {
      if (this.stopping) return null;
      try {
        return await spawnStreamWorker(this.env());
      } catch (err) {
        this.exits.push('failed to start');
        this.logs.push(err instanceof Error ? err.message.slice(-500) : String(err));
        await sleep(1_000); // a restart policy's delay
      }
    }
  }

  async stop(): Promise<number | string | undefined> {
    this.stopping = true;
    const w = this.current;
    w?.child.kill('SIGTERM');
    const code = await w?.exited;
    await this.loop;
    return code;
  }
}

describe('stream: PostgreSQL unreachable for a while', () => {
  let h: StreamHarness;
  let pg: postgres.Sql;
  let proxy: TcpProxy;
  let supervisor: Supervisor;
  let sent = 0;

  const storedEvents = async (): Promise<number> =>
    (await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events WHERE integration_id = ${h.integrationId}`)[0]!.n;
  const drained = async (): Promise<boolean> => {
    const d = await queueDepth(h.sqs, h.queues.main);
    return d.visible === 0 && d.inFlight === 0 && (await storedEvents()) === sent;
  };
  const explain = async (err: Error): Promise<never> => {
    const state = { stored: await storedEvents(), sent, queue: await queueDepth(h.sqs, h.queues.main), exits: supervisor.exits };
    throw new Error(`${err.message}: ${JSON.stringify(state)}\n${supervisor.logs.join('\n---\n')}\n${supervisor.current?.stderr().slice(-3000) ?? ''}`);
  };

  beforeAll(async () => {
    h = await startStreamHarness({ label: 'stream_outage', visibilityTimeoutSeconds: VISIBILITY_SECONDS, sim: { rateLimitFactor: 100 } });
    pg = postgres(h.tdb.url, { max: 1, onnotice: () => {} });
    const direct = new URL(h.tdb.url);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(h.tdb.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(await proxy.start());
    supervisor = new Supervisor(() => ({
      DATABASE_URL: viaProxy.toString(),
      IDGRAPH_TENANT: STREAM_TENANT,
      SQS_QUEUE_URL: h.queues.main,
      SQS_DLQ_URL: h.queues.dlq,
      SQS_ENDPOINT: h.sqsEndpoint,
      AWS_REGION: 'us-east-1',
      STREAM_POLLERS: '3',
      STREAM_WAIT_SECONDS: '1',
      STREAM_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
      STREAM_BATCH_TIMEOUT_SECONDS: '8',
      OKTA_SIM_URL: h.sim.url,
      OKTA_SIM_TOKEN: h.sim.apiToken,
    }));
    await supervisor.start();
  });

  afterAll(async () => {
    await proxy?.restore();
    await supervisor?.stop();
    await proxy?.close();
    await pg?.end();
    await h?.close();
  });

  it('applies a burst normally through the proxy', async () => {
    const burst = applyRandom(h.sim, 40);
    sent += burst.length;
    await h.send(h.queues.main, burst.map(envelopeBody));
    await waitFor('the burst to be applied', drained, 60_000, 100).catch(explain);
    expect(graphDiff(await h.exportLines(), h.sim.truth())).toEqual({ missing: [], extra: [] });
  });

  it('loses and doubles nothing when the database goes away mid-stream and comes back', async () => {
    const acceptedBefore = proxy.accepted;
    const burst = applyRandom(h.sim, 150);
    sent += burst.length;
    const bodies = burst.map(envelopeBody);
    // Events keep arriving before, during and after the outage.
    const sending = (async () => {
      for (let i = 0; i < bodies.length; i += 10) {
        await h.send(h.queues.main, bodies.slice(i, i + 10));
        await sleep(60);
      }
    })();
    await waitFor('some events of the burst to be stored', async () => (await storedEvents()) > sent - burst.length + 10, 30_000, 20).catch(explain);
    const workerAtCut = supervisor.current;
    const logAtCut = workerAtCut?.stderr().length ?? 0;
    await proxy.cut();
    const storedAtCut = await storedEvents();
    // The outage lasts until the worker has run into it: a failed batch or readiness probe, or a restart.
    await waitFor(
      'the worker to notice the outage',
      () => supervisor.current !== workerAtCut || /failed batch|store not ready|stalled/.test(workerAtCut?.stderr().slice(logAtCut) ?? ''),
      60_000,
    ).catch(explain);
    await proxy.restore();
    await sending;
    expect(storedAtCut, 'the outage hit mid-burst').toBeLessThan(sent);
    await waitFor('the worker to catch up after the outage', drained, 120_000, 200).catch(explain);

    expect(proxy.accepted, 'the worker reconnected after the outage').toBeGreaterThan(acceptedBefore);
    const rows = await pg<{ uuid: string; n: number }[]>`
      SELECT uuid, count(*)::int AS n FROM log_events WHERE integration_id = ${h.integrationId} GROUP BY uuid`;
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows.length).toBe(sent);
    const stored = new Set(rows.map((r) => r.uuid));
    expect(burst.filter((m) => !stored.has(m.event.uuid)).map((m) => m.event.uuid)).toEqual([]);
    expect(await drainQueue(h.sqs, h.queues.dlq)).toEqual([]);
    const lines = await h.exportLines();
    expect(graphDiff(lines, h.sim.truth())).toEqual({ missing: [], extra: [] });
    expect(lines).toEqual(h.sim.truth());
    // Whatever the driver did during the outage, the last worker stops cleanly.
    expect(await supervisor.stop()).toBe(0);
    // Each restart was a driver failure we can name (uncaught nextWrite TypeError: 1; stalled batch: 3).
    for (const code of supervisor.exits.slice(0, -1)) expect([1, 3, 'failed to start']).toContain(code);
  }, 240_000);
});
