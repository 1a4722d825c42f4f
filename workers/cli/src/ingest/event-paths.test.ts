/**
 * The three ways events come in (System Log polling, the stream, `ingest-events`) imply the same
 * changes for the same events: the same graph afterwards, Okta's side effects included (a new
 * user's Everyone membership), and the same targeted re-reads (what the events ask for, and the
 * apps whose assignments their side effects change).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import { collectSystemLog, type CollectorContext } from '@idgraph/collector';
import { EventSideEffects, GraphStore, createSecretBox, migrateDatabase, openDatabase, type ExportLine, type GraphDb, type RefreshRequest } from '@idgraph/graph';
import { createEventStreamHandler, type StreamEvent } from '@idgraph/stream-consumer';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { EventBatchWriter } from './batch-writer.js';
import { EventLineDecoder } from './decode-lines.js';

const logger = createLogger({ level: 'silent' });
const SEEDED = new Date(Date.now() - 86_400_000);
const PUBLISHED = new Date(Date.now() - 120_000).toISOString();

const user = (id: string) => ({ id, type: 'User', alternateId: `${id}@example.com` });
const logEvent = (eventType: string, target: object[]) => ({
  uuid: randomUUID(),
  published: PUBLISHED,
  eventType,
  severity: 'INFO',
  actor: { id: 'admin', type: 'User' },
  outcome: { result: 'SUCCESS' },
  target,
});

/** One of each kind of side effect, and an event that changes nothing. */
const EVENTS = [
  logEvent('user.lifecycle.create', [user('00unew')]),
  logEvent('group.user_membership.add', [user('00u1'), { id: '00g1', type: 'UserGroup' }]),
  logEvent('user.lifecycle.deactivate', [user('00u2')]),
  logEvent('application.user_membership.add', [{ id: '0oa5', type: 'AppInstance' }, user('00u3')]),
  logEvent('user.session.start', [user('00u4')]),
];

const at = SEEDED;
const u = (oktaId: string) => ({
  oktaId, status: 'ACTIVE', login: `${oktaId}@example.com`, email: null, firstName: null, lastName: null, created: at, activated: at,
  statusChanged: at, lastLogin: null, passwordChanged: null, credentialProvider: 'OKTA', raw: {}, sourceUpdatedAt: at,
});
const g = (oktaId: string, groupType = 'OKTA_GROUP') => ({ oktaId, groupType, name: oktaId, description: null, raw: {}, sourceUpdatedAt: at });
const app = (oktaId: string) => ({
  oktaId, name: 'bookmark', label: oktaId, status: 'ACTIVE', signOnMode: 'BOOKMARK', clientId: null, isServiceApp: false, created: at, raw: {}, sourceUpdatedAt: at,
});

describe('event paths', () => {
  let db: TestDatabase;
  let gdb: GraphDb;
  let store: GraphStore;

  beforeAll(async () => {
    db = await createTestDatabase('event_paths');
    gdb = await openDatabase({ databaseUrl: db.url });
    await migrateDatabase(gdb);
    store = new GraphStore(gdb, { tenant: 't1', secretBox: createSecretBox(randomBytes(32).toString('base64url')), ambiguityMs: 60_000 });
    await store.ensureTenant();
  });

  afterAll(async () => {
    await gdb?.close();
    await db?.drop();
  });

  /** An integration holding the same small graph each time: Everyone (assigned app 0oa4), 00g1 → 0oa1, 00g2 → 0oa2, 00u2 in 00g2 and directly on 0oa3. */
  async function seededIntegration(name: string): Promise<{ id: string; source: string }> {
    const source = `aws.partner/okta.com/paths/${name}`;
    const integration = await store.createIntegration({ name, orgUrl: `https://${name}.okta.com`, authMethod: 'ssws', secrets: { token: 'x' }, allowHttp: false, eventSource: source });
    const users = ['00u1', '00u2', '00u3', '00u4'];
    await store.commitPage({
      integrationId: integration.id,
      runId: null,
      resource: 'seed',
      nextUrl: null,
      done: true,
      rows: {
        users: users.map(u),
        groups: [g('00g0', 'BUILT_IN'), g('00g1'), g('00g2')],
        apps: ['0oa1', '0oa2', '0oa3', '0oa4', '0oa5'].map(app),
        memberships: [...users.map((userId) => ({ userId, groupId: '00g0', sourceUpdatedAt: at })), { userId: '00u2', groupId: '00g2', sourceUpdatedAt: at }],
        appGroups: [
          { appId: '0oa1', groupId: '00g1', priority: 0, raw: null, sourceUpdatedAt: at },
          { appId: '0oa2', groupId: '00g2', priority: 0, raw: null, sourceUpdatedAt: at },
          { appId: '0oa4', groupId: '00g0', priority: 0, raw: null, sourceUpdatedAt: at },
        ],
        appUsers: [{ appId: '0oa3', userId: '00u2', scope: 'USER', status: 'ACTIVE', raw: null, sourceUpdatedAt: at }],
      },
    });
    return { id: integration.id, source };
  }

  async function exported(integrationId: string): Promise<ExportLine[]> {
    const lines: ExportLine[] = [];
    for await (const line of store.exportGraph({ integrationId })) lines.push(line);
    return lines;
  }

  const sorted = (requests: Iterable<RefreshRequest>) => [...requests].map((r) => JSON.stringify(r)).sort();

  async function viaPolling(): Promise<{ lines: ExportLine[]; refresh: string[] }> {
    const { id } = await seededIntegration('poll');
    const pages = [
      { items: EVENTS, nextUrl: 'https://poll.okta.com/api/v1/logs?after=1', fetchedAt: new Date() },
      { items: [], nextUrl: 'https://poll.okta.com/api/v1/logs?after=1', fetchedAt: new Date() },
    ];
    const refresh: RefreshRequest[] = [];
    const ctx = {
      client: { pollLogs: async () => pages.shift()! },
      store,
      integration: { id },
      run: { id: randomUUID(), startedAt: new Date(), status: 'running' },
      logger,
      signal: new AbortController().signal,
    } as unknown as CollectorContext;
    await collectSystemLog(ctx, { onRefresh: async (requests) => void refresh.push(...requests) });
    return { lines: await exported(id), refresh: sorted(refresh) };
  }

  async function viaStream(): Promise<{ lines: ExportLine[]; refresh: string[] }> {
    const { id, source } = await seededIntegration('stream');
    const refresh: RefreshRequest[] = [];
    const handler = createEventStreamHandler({
      store,
      sideEffects: store,
      logger,
      onRefresh: (integrationId, requests) => {
        expect(integrationId).toBe(id);
        refresh.push(...requests);
      },
    });
    const batch: StreamEvent[] = [];
    for (const detail of EVENTS) {
      const body = JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': 'SystemLog', source, account: '1', time: PUBLISHED, region: 'us-east-1', resources: [], detail });
      const classified = await handler.classify(body);
      if (!classified.ok) throw new Error(classified.reason);
      batch.push(classified.value);
    }
    await handler.handleBatch(batch);
    return { lines: await exported(id), refresh: sorted(refresh) };
  }

  async function viaIngestEvents(): Promise<{ lines: ExportLine[]; refresh: string[] }> {
    const { id, source } = await seededIntegration('file');
    const decoder = new EventLineDecoder({ copyRowsFor: { tenantId: store.tenant, integrationId: id }, eventSource: source });
    const writer = new EventBatchWriter({ store, sideEffects: new EventSideEffects(store), integrationId: id, inFlight: 1 });
    const chunk = decoder.decode(Buffer.from(EVENTS.map((e) => JSON.stringify(e)).join('\n')), true);
    expect(chunk.rejections).toEqual([]);
    await writer.add(chunk);
    const refresh = await writer.finish();
    return { lines: await exported(id), refresh: sorted(refresh) };
  }

  it('apply the same mutations, side effects included, and ask for the same re-reads', async () => {
    const polled = await viaPolling();
    const streamed = await viaStream();
    const replayed = await viaIngestEvents();

    // What the events imply, spelled out once: the new user joins Everyone and is re-read; the
    // group's, the deactivated user's and the directly assigned app's assignments are re-read.
    expect(polled.lines).toContainEqual({ type: 'edge', kind: 'member_of', from: 'user:00unew', to: 'group:00g0', arrivedVia: 'api' });
    expect(polled.lines).toContainEqual({ type: 'edge', kind: 'member_of', from: 'user:00u1', to: 'group:00g1', arrivedVia: 'api' });
    expect(polled.lines).toContainEqual(expect.objectContaining({ kind: 'user', id: '00u2', status: 'DEPROVISIONED' }));
    expect(polled.refresh).toEqual(
      sorted([
        { kind: 'user', id: '00unew' },
        ...['0oa1', '0oa2', '0oa3', '0oa4', '0oa5'].map((appId) => ({ kind: 'appAssignments' as const, appId })),
      ]),
    );

    expect(streamed).toEqual(polled);
    expect(replayed).toEqual(polled);
  });
});
