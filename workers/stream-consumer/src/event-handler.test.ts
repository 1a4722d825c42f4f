import { createHash } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createLogger } from '@idgraph/core';
import { waitFor } from '@idgraph/test-support';
import type { IngestItem, RefreshRequest } from '@idgraph/graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASON_ATTRIBUTE, StreamConsumer } from './consumer.js';
import {
  createEventStreamHandler,
  type EventStreamStore,
  type IngestEventsResult,
  type StreamEvent,
} from './event-handler.js';
import { InMemoryStreamMetrics } from './metrics.js';
import { startLocalSqs, type LocalSqs } from './local-sqs.js';

const SOURCE_A = 'aws.partner/okta.com/acme/idgraph-stream';
const SOURCE_FOREIGN = 'aws.partner/okta.com/someoneelse/their-stream';

/** The uuid a test names by a short tag ('u-1'): Okta's uuids are 8-4-4-4-12 hex. */
function id(tag: string): string {
  const h = createHash('sha256').update(tag).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function logEvent(tag: string, eventType: string, target: { id: string; type: string }[], published = '2024-03-01T10:00:00.000Z') {
  return {
    uuid: id(tag),
    published,
    eventType,
    version: '0',
    severity: 'INFO',
    displayMessage: eventType,
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@acme.test', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target,
  };
}

function envelope(detail: unknown, source = SOURCE_A): string {
  return JSON.stringify({
    version: '0',
    id: `env-${Math.random().toString(16).slice(2)}`,
    'detail-type': 'SystemLog',
    source,
    account: '123456789012',
    time: '2024-03-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });
}

const membershipAdd = (uuid: string, userId = '00u1', groupId = '00g1') =>
  logEvent(uuid, 'group.user_membership.add', [
    { id: userId, type: 'User' },
    { id: groupId, type: 'UserGroup' },
  ]);
const factorActivate = (uuid: string, userId = '00u1') =>
  logEvent(uuid, 'user.mfa.factor.activate', [{ id: userId, type: 'User' }]);

/** Behaves like GraphStore.ingestEvents: one uuid stored once per integration, mutations of new events applied. */
class FakeEventStore implements EventStreamStore {
  readonly events = new Map<string, IngestItem>();
  lookups = 0;
  lookupFails = false;
  ingestCalls: IngestItem[][] = [];
  readonly integrations = new Map<string, { id: string }>([[SOURCE_A, { id: 'int-a' }]]);

  async integrationByEventSource(source: string): Promise<{ id: string } | null> {
    this.lookups += 1;
    if (this.lookupFails) throw new Error('connection refused');
    return this.integrations.get(source) ?? null;
  }

  async ingestEvents(items: IngestItem[]): Promise<IngestEventsResult> {
    this.ingestCalls.push(items);
    const storedUuids: string[] = [];
    let applied = 0;
    for (const item of items) {
      const key = `${item.integrationId}/${item.row.uuid}`;
      if (this.events.has(key)) continue;
      this.events.set(key, item);
      storedUuids.push(item.row.uuid);
      applied += item.mutations.length;
    }
    return { stored: storedUuids.length, duplicates: items.length - storedUuids.length, applied, storedUuids, deferred: [] };
  }
}

const silent = createLogger({ level: 'silent' });

describe('createEventStreamHandler', () => {
  it('routes an envelope to its integration and maps it to a stored row and mutations', async () => {
    const store = new FakeEventStore();
    const handler = createEventStreamHandler({ store, logger: silent });
    const result = await handler.classify(envelope(membershipAdd('u-1')));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.key).toBe('int-a');
    expect(result.value.integrationId).toBe('int-a');
    expect(result.value.row.uuid).toBe(id('u-1'));
    expect(result.value.row.eventType).toBe('group.user_membership.add');
    expect(result.value.mutations).toEqual([
      { kind: 'membership.add', at: new Date('2024-03-01T10:00:00.000Z'), userId: '00u1', groupId: '00g1' },
    ]);
  });

  it('rejects foreign sources, bare LogEvents and malformed bodies with a reason', async () => {
    const store = new FakeEventStore();
    const handler = createEventStreamHandler({ store, logger: silent });
    const foreign = await handler.classify(envelope(membershipAdd('u-2'), SOURCE_FOREIGN));
    expect(foreign).toMatchObject({ ok: false, logContext: { uuid: id('u-2'), eventType: 'group.user_membership.add' } });
    expect(!foreign.ok && foreign.reason).toContain(`unknown event source ${SOURCE_FOREIGN}`);
    const bare = await handler.classify(JSON.stringify(membershipAdd('u-3')));
    expect(bare).toMatchObject({ ok: false, reason: expect.stringMatching(/bare LogEvent/) });
    expect(await handler.classify('{oops')).toEqual({ ok: false, reason: 'not JSON', logContext: { uuid: null, eventType: null } });
    const noUuid = await handler.classify(envelope({ ...membershipAdd('x'), uuid: undefined }));
    expect(noUuid.ok).toBe(false);
  });

  it('rejects events over the limits, with unpaired surrogates or a non-uuid uuid, each with its reason', async () => {
    const handler = createEventStreamHandler({ store: new FakeEventStore(), logger: silent, eventLimits: { maxEventBytes: 4096, maxDepth: 16 } });
    const reasonOf = async (body: string) => {
      const c = await handler.classify(body);
      if (c.ok) throw new Error('expected a rejection');
      return c.reason;
    };
    const big = envelope({ ...membershipAdd('l-1'), displayMessage: 'x'.repeat(5000) });
    expect(await reasonOf(big)).toBe(`event is ${Buffer.byteLength(big)} bytes, over the limit of 4096 (IDGRAPH_MAX_EVENT_BYTES)`);
    const deep = envelope({ ...membershipAdd('l-2'), debugContext: JSON.parse(`${'['.repeat(20)}${']'.repeat(20)}`) });
    expect(await reasonOf(deep)).toBe('event nests objects and arrays deeper than 16 levels (IDGRAPH_MAX_EVENT_DEPTH)');
    expect(await reasonOf(envelope({ ...membershipAdd('l-3'), displayMessage: 'x\udfff' }))).toMatch(/^message contains an unpaired UTF-16 surrogate escape/);
    // An SQS body is a string already: a lone surrogate may be a character of it.
    const raw = envelope({ ...membershipAdd('l-4'), displayMessage: '@@' }).replace('@@', '\ud800');
    expect(await reasonOf(raw)).toBe('message contains an unpaired UTF-16 surrogate character, which is not Unicode text');
    expect(await reasonOf(envelope({ ...membershipAdd('l-5'), uuid: 'not-a-uuid-7f3a' }))).toMatch(/^LogEvent\.uuid is not a uuid/);
    expect((await handler.classify(envelope(membershipAdd('l-6')))).ok).toBe(true);
  });

  it('counts and logs conflicting duplicates the store reports', async () => {
    const lines: string[] = [];
    const metrics = new InMemoryStreamMetrics();
    const store = new FakeEventStore();
    store.ingestEvents = async (items) => ({ stored: 1, duplicates: 0, conflicts: 1, conflictUuids: [items[1]!.row.uuid], applied: 1, storedUuids: [items[0]!.row.uuid], deferred: [] });
    const handler = createEventStreamHandler({ store, metrics, logger: createLogger({ level: 'info' }, { write: (l: string) => void lines.push(l) }) });
    const values = await Promise.all([membershipAdd('k-1'), { ...membershipAdd('k-1'), displayMessage: 'other' }].map(async (e) => {
      const c = await handler.classify(envelope(e));
      if (!c.ok) throw new Error(c.reason);
      return c.value;
    }));
    await handler.handleBatch(values);
    expect(metrics.snapshot().conflicts).toBe(1);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['conflicts'] === 1);
    expect(warning).toMatchObject({ uuids: [id('k-1')], msg: 'events arrived with the uuid of a stored event but other content; the stored events were kept' });
  });

  it('caches source lookups, forgets unknown sources after their TTL, and never caches a failed lookup', async () => {
    let now = 1_000;
    const store = new FakeEventStore();
    const handler = createEventStreamHandler({ store, logger: silent, unknownSourceTtlMs: 30_000, now: () => now });
    await Promise.all([1, 2, 3, 4, 5].map((i) => handler.classify(envelope(membershipAdd(`c-${i}`)))));
    expect(store.lookups).toBe(1);

    expect((await handler.classify(envelope(membershipAdd('f-1'), SOURCE_FOREIGN))).ok).toBe(false);
    store.integrations.set(SOURCE_FOREIGN, { id: 'int-b' });
    expect((await handler.classify(envelope(membershipAdd('f-2'), SOURCE_FOREIGN))).ok).toBe(false); // still cached as unknown
    now += 30_001;
    expect(await handler.classify(envelope(membershipAdd('f-3'), SOURCE_FOREIGN))).toMatchObject({ ok: true, key: 'int-b' });

    const failing = new FakeEventStore();
    failing.lookupFails = true;
    const h2 = createEventStreamHandler({ store: failing, logger: silent });
    await expect(h2.classify(envelope(membershipAdd('e-1')))).rejects.toThrow('connection refused');
    failing.lookupFails = false;
    expect((await h2.classify(envelope(membershipAdd('e-1')))).ok).toBe(true);
  });

  it('hands every copy to the store via "stream", which stores each once, and asks refreshes only for newly stored events', async () => {
    const store = new FakeEventStore();
    const refreshes: { integrationId: string; requests: RefreshRequest[] }[] = [];
    const handler = createEventStreamHandler({
      store,
      logger: silent,
      onRefresh: (integrationId, requests) => void refreshes.push({ integrationId, requests }),
    });
    const classified = await Promise.all(
      [membershipAdd('b-1'), factorActivate('b-2'), factorActivate('b-3'), membershipAdd('b-1')].map((e) => handler.classify(envelope(e))),
    );
    const values = classified.map((c) => (c.ok ? c.value : null)).filter((v): v is StreamEvent => v !== null);
    expect(values).toHaveLength(4);
    await handler.handleBatch(values);
    expect(store.ingestCalls).toHaveLength(1);
    // The store tells the second b-1 (the same event again, or a conflict) from the first.
    expect(store.ingestCalls[0]!.map((i) => [i.row.uuid, i.via])).toEqual([[id('b-1'), 'stream'], [id('b-2'), 'stream'], [id('b-3'), 'stream'], [id('b-1'), 'stream']]);
    // two factor events for one user → one merged refresh request
    expect(refreshes).toEqual([{ integrationId: 'int-a', requests: [{ kind: 'userFactors', userId: '00u1' }] }]);

    // redelivery of the same events: nothing new stored, no refresh asked again
    await handler.handleBatch(values);
    expect(store.events.size).toBe(3);
    expect(refreshes).toHaveLength(1);
  });

  it('fails a committed batch whose refreshes cannot be requested, and asks again when it is redelivered', async () => {
    const store = new FakeEventStore();
    const lines: string[] = [];
    let calls = 0;
    let sinkDown = true;
    const asked: RefreshRequest[][] = [];
    const handler = createEventStreamHandler({
      store,
      logger: createLogger({ level: 'info' }, { write: (s: string) => void lines.push(s) }),
      onRefresh: (_integrationId, requests) => {
        calls += 1;
        if (sinkDown) throw new Error('redis down redis://:s3cretpw@127.0.0.1:6379');
        asked.push(requests);
      },
    });
    const body = envelope(factorActivate('rf-1'));
    const first = await handler.classify(body, { messageId: 'm1', sentTimestamp: null, approximateReceiveCount: 1 });
    if (!first.ok) throw new Error('expected ok');
    // Not deleted: the message comes back after the visibility timeout.
    await expect(handler.handleBatch([first.value])).rejects.toThrow(/targeted refreshes/);
    expect(calls).toBe(3);
    expect(lines.some((l) => l.includes('could not request targeted refreshes'))).toBe(true);
    expect(lines.join('')).not.toContain('s3cretpw');

    // Redelivered: already stored (a duplicate), but its refreshes were never requested.
    sinkDown = false;
    const again = await handler.classify(body, { messageId: 'm1', sentTimestamp: null, approximateReceiveCount: 2 });
    if (!again.ok) throw new Error('expected ok');
    await handler.handleBatch([again.value]);
    expect(asked).toEqual([[{ kind: 'userFactors', userId: '00u1' }]]);
    expect(store.events.size).toBe(1);

    // A first delivery of an already stored event (e.g. it came through log polling) asks nothing.
    const other = await handler.classify(envelope(factorActivate('rf-1')), { messageId: 'm2', sentTimestamp: null, approximateReceiveCount: 1 });
    if (!other.ok) throw new Error('expected ok');
    await handler.handleBatch([other.value]);
    expect(asked).toHaveLength(1);
  });
});

describe('StreamConsumer + event handler against fauxqs', () => {
  let local: LocalSqs;
  beforeAll(async () => {
    local = await startLocalSqs();
  });
  afterAll(async () => {
    await local.stop();
  });

  it('applies good events once, drops duplicates, and dead-letters foreign and malformed messages with reasons', async () => {
    const dlq = await local.createQueue('handler-dlq');
    const main = await local.createQueue('handler-main');
    const store = new FakeEventStore();
    const metrics = new InMemoryStreamMetrics();
    const handler = createEventStreamHandler({ store, logger: silent });
    const good = Array.from({ length: 12 }, (_, i) => envelope(membershipAdd(`m-${i}`, `00u${i}`, '00gA')));
    const bodies = [
      ...good,
      good[0]!, // the same event again (Okta at-least-once + EventBridge retry)
      envelope(membershipAdd('m-foreign'), SOURCE_FOREIGN),
      'not json at all',
      envelope({ ...membershipAdd('m-bad'), published: 'yesterday' }),
    ];
    for (let i = 0; i < bodies.length; i += 10) {
      await local.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: main.url,
          Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${j}`, MessageBody })),
        }),
      );
    }
    const consumer = new StreamConsumer<StreamEvent>({
      sqs: local.sqs, queueUrl: main.url, deadLetterQueueUrl: dlq.url, pollers: 2, waitTimeSeconds: 1,
      classify: handler.classify, handleBatch: handler.handleBatch, metrics, logger: silent,
    });
    consumer.start();
    await waitFor('every message applied or dead-lettered', () => metrics.snapshot().applied + metrics.snapshot().dlq >= bodies.length, 15_000);
    await consumer.stop();

    expect(store.events.size).toBe(12);
    expect(metrics.snapshot()).toMatchObject({ received: 16, applied: 13, dlq: 3 });
    const { Messages } = await local.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
    );
    const reasons = (Messages ?? []).map((m) => m.MessageAttributes?.[REJECT_REASON_ATTRIBUTE]?.StringValue).sort();
    expect(reasons).toEqual([
      'LogEvent.published is not an ISO-8601 time',
      'not JSON',
      `unknown event source ${SOURCE_FOREIGN}: no integration is configured with it (integration add --event-source)`,
    ]);
  });
});
