/**
 * Changes that reach idgraph right after a scan read their objects, with Okta's list results
 * trailing its writes (the simulator publishes each change 30 s before reads show it) and a host
 * clock in step with Okta's, 90 s ahead of it or 90 s behind it. Through the real stream worker
 * (SQS) and System Log polling, the graph must end equal to the simulator's truth; an event
 * published in the year 9999 is rejected, counted and never applied, and a full scan afterwards
 * leaves the graph equal to the truth.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@idgraph/core';
import { runCollection, LISTING_RESOURCES } from '@idgraph/collector';
import { REJECT_REASON_ATTRIBUTE, runStreamWorker, type StreamWorker } from '@idgraph/stream-consumer';
import type { OktaLogEvent, OktaSim, SimMutation } from '@idgraph/okta-sim';
import { envelopeBody } from './fixtures/stream-changes.js';
import { waitFor } from '@idgraph/test-support';
import { STREAM_TENANT, drainQueue, graphDiff, queueDepth, startStreamHarness, type StreamHarness } from './fixtures/stream-harness.js';

const LAG_SECONDS = 30;
const RESOURCES = LISTING_RESOURCES;

/** A group (not Everyone) with at least `n` members none of which is in `skip`, and n of them. */
function groupWithMembers(sim: OktaSim, n: number, skip: ReadonlySet<string>): { groupId: string; userIds: string[] } {
  for (const g of sim.org.groups.values()) {
    if (g.type !== 'OKTA_GROUP' || skip.has(g.id)) continue;
    const members = [...(sim.org.groupMembers.get(g.id) ?? [])];
    if (members.length >= n) return { groupId: g.id, userIds: members.slice(0, n) };
  }
  throw new Error(`the simulated org has no group with ${n} members`);
}

/** A membership.add event for a user who is not in the group, stamped in the year 9999 (the simulator's org is unchanged). */
function forgedFutureAdd(sim: OktaSim, skip: ReadonlySet<string>): { event: OktaLogEvent; body: string; groupId: string; userId: string } {
  const { groupId } = groupWithMembers(sim, 1, skip);
  const members = sim.org.groupMembers.get(groupId)!;
  const userId = [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !members.has(u.id))!.id;
  // A real add event's shape, from an add undone at once (the truth is as before).
  const added = sim.mutate({ type: 'group.member.add', groupId, userId });
  sim.mutate({ type: 'group.member.remove', groupId, userId });
  const event = { ...added.event, uuid: randomUUID(), published: '9999-12-31T23:59:59.000Z' };
  const body = JSON.stringify({ ...added.envelope, id: randomUUID(), time: '9999-12-31T23:59:59Z', detail: event });
  return { event, body, groupId, userId };
}

describe.each([
  ['in step with Okta', 0],
  ['90 s ahead of Okta', -90],
  ['90 s behind Okta', 90],
])('changes streamed right after a scan, host clock %s', (_label, clockSkewSeconds) => {
  let h: StreamHarness;
  let worker: StreamWorker;
  const used = new Set<string>();
  let expectedApplied = 0;
  let expectedDlq = 0;

  async function deliver(bodies: string[], bad = 0): Promise<void> {
    expectedApplied += bodies.length - bad;
    expectedDlq += bad;
    await h.send(h.queues.main, bodies);
    await waitFor('the worker to drain the burst', async () => {
      const m = worker.metrics.snapshot();
      if (m.applied < expectedApplied || m.dlq < expectedDlq) return false;
      const depth = await queueDepth(h.sqs, h.queues.main);
      return depth.visible === 0 && depth.inFlight === 0;
    }, 60_000);
  }

  async function fullScan(): Promise<void> {
    const summary = await runCollection({ client: h.client, store: h.store, integration: { id: h.integrationId }, mode: 'full', trigger: 'scan', resources: RESOURCES, logger: h.logger });
    expect(summary.status).toBe('succeeded');
  }

  beforeAll(async () => {
    h = await startStreamHarness({
      label: `stream_timing_${clockSkewSeconds < 0 ? 'm' : 'p'}${Math.abs(clockSkewSeconds)}`,
      sim: { clockSkewSeconds, readAfterWriteLagSeconds: LAG_SECONDS },
    });
    worker = await runStreamWorker(loadConfig({ IDGRAPH_TENANT: STREAM_TENANT, LOG_LEVEL: 'silent' }), {
      stream: {
        queueUrl: h.queues.main,
        deadLetterQueueUrl: h.queues.dlq,
        endpoint: h.sqsEndpoint,
        region: 'us-east-1',
        pollers: 2,
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
    await h?.close();
  });

  it('applies six membership removals published before the scan read their group', async () => {
    expect(await h.exportLines()).toEqual(h.sim.truth());
    const { groupId, userIds } = groupWithMembers(h.sim, 6, used);
    used.add(groupId);
    const removals: SimMutation[] = userIds.map((userId) => h.sim.mutate({ type: 'group.member.remove', groupId, userId }));
    // Okta's clock: the events' published lies before the Date of the scan's read of the group.
    for (const m of removals) expect(Date.parse(m.event.published)).toBeLessThan(Date.now() + clockSkewSeconds * 1000 - (LAG_SECONDS - 10) * 1000);
    await deliver(removals.map(envelopeBody));
    expect(graphDiff(await h.exportLines(), h.sim.truth())).toEqual({ missing: [], extra: [] });
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });

  it('rejects an event published in the year 9999, counts it, and a full scan afterwards leaves the truth', async () => {
    const forged = forgedFutureAdd(h.sim, used);
    used.add(forged.groupId);
    await deliver([forged.body], 1);
    expect(worker.metrics.snapshot().futureEvents).toBe(1);
    const dead = await drainQueue(h.sqs, h.queues.dlq);
    expect(dead.map((d) => d.MessageAttributes?.[REJECT_REASON_ATTRIBUTE]?.StringValue)).toEqual([
      expect.stringMatching(new RegExp(`^event ${forged.event.uuid}: published 9999-12-31T23:59:59.000Z is \\d+ s later than Okta's clock`)),
    ]);
    await fullScan();
    expect(graphDiff(await h.exportLines(), h.sim.truth())).toEqual({ missing: [], extra: [] });
    // A whole full collection of the harness org runs inside this test.
  }, 240_000);

  it('through System Log polling too: removals published before the last read are re-read, a 9999 event is reported by the run', async () => {
    const { groupId, userIds } = groupWithMembers(h.sim, 6, used);
    used.add(groupId);
    for (const userId of userIds) h.sim.mutate({ type: 'group.member.remove', groupId, userId });
    const forged = forgedFutureAdd(h.sim, used);
    // Okta's System Log would hold it as it came: the simulator's log is a plain array.
    (h.sim.org.events as OktaLogEvent[]).push(forged.event);
    const summary = await runCollection({ client: h.client, store: h.store, integration: { id: h.integrationId }, mode: 'incremental', trigger: 'schedule', resources: ['system_log'], logger: h.logger });
    expect(summary.status).toBe('succeeded');
    expect(summary.perResource['system_log']?.error).toMatch(new RegExp(`^1 events rejected, not applied: event ${forged.event.uuid}: published 9999-12-31`));
    expect(graphDiff(await h.exportLines(), h.sim.truth())).toEqual({ missing: [], extra: [] });
  });
});
