/**
 * The operator API on real PostgreSQL and Redis, against the Okta simulator: every route, its auth
 * (none, read, admin, console session with and without CSRF), its validation errors, unknown
 * things, and that refused requests store nothing. Every response body and every log line of the
 * run is kept and searched for the secrets submitted along the way.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, QUEUES } from '@idgraph/core';
import { createSecretBox, GraphStore, migrateDatabase, openDatabase, sortExportLines, toJsonl, type GraphDb } from '@idgraph/graph';
import { redisConnection, startCollectorWorkers, type CollectorWorkers } from '@idgraph/collector';
import { clientForIntegration } from '@idgraph/integrations';
import { createMemoryRateGovernor, OKTA_READ_SCOPES, RESOURCE_SCOPES } from '@idgraph/okta';
import { expectedFindings, expectedPrivilege, startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { eventSubjectIds } from '@idgraph/normalize';
import { DEFAULT_POSTURE_THRESHOLDS, runPostureChecks } from '@idgraph/posture';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@idgraph/test-support';
import { buildServer } from './app.js';
import { SESSION_COOKIE } from './auth.js';

let sim: OktaSim;
let db: TestDatabase;
let gdb: GraphDb;
let store: GraphStore;
let app: FastifyInstance;
let queue: Queue;
let workers: CollectorWorkers | undefined;
const prefix = testRedisPrefix('server_api').replace(/:$/, '');
const connection = redisConnection(TEST_REDIS_URL);
const logLines: string[] = [];
const bodies: string[] = [];
let adminKey: string;
let readKey: string;
let limitedToken: string;
let uselessToken: string;
let serviceApp: { clientId: string; keyId: string; privateKeyPem: string };

interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  key?: string | null;
  raw?: string;
}

async function call(c: Call) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.key) headers.authorization = `Bearer ${c.key}`;
  if (c.body !== undefined || c.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method: c.method, url: c.url, headers, payload: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)) });
  bodies.push(res.body);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field below
  return { status: res.statusCode, json: () => res.json() as Record<string, any>, body: res.body, headers: res.headers, cookies: res.cookies };
}

const secretsSubmitted = (): string[] => [
  sim.apiToken,
  limitedToken,
  uselessToken,
  adminKey,
  readKey,
  'SUPERSECRET-token-never-stored',
  // Any line of the key body would do; the middle one is pure key material.
  serviceApp.privateKeyPem.split('\n')[3]!,
];

/** What a refused request must not change: stored rows and queued jobs. */
async function storedState() {
  const counts = await gdb.execute<Record<string, number>>(
    (await import('drizzle-orm')).sql`SELECT
      (SELECT count(*)::int FROM integrations) AS integrations,
      (SELECT string_agg(name || ':' || org_url || ':' || coalesce(event_source, '') || ':' || secrets_enc, ',' ORDER BY name) FROM integrations) AS integration_rows,
      (SELECT count(*)::int FROM collection_runs) AS runs,
      (SELECT count(*)::int FROM api_keys) AS keys,
      (SELECT count(*)::int FROM findings) AS findings`,
  );
  const jobs = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  return { ...counts[0], jobs };
}

beforeAll(async () => {
  sim = await startOktaSim({ seed: 19, users: 150, rateLimitFactor: 20, tokenShare: 1 });
  limitedToken = sim.createApiToken({ scopes: ['okta.users.read', 'okta.apps.read'] });
  uselessToken = sim.createApiToken({ scopes: ['okta.logStreams.read'] });
  // Only a super admin may view admin role assignments (Okta's rule, which the simulator follows).
  serviceApp = await sim.createServiceApp({ scopes: [...OKTA_READ_SCOPES], roles: ['SUPER_ADMIN'] });
  db = await createTestDatabase('server_api');
  gdb = await openDatabase({ databaseUrl: db.url });
  await migrateDatabase(gdb);
  const secretKey = randomBytes(32).toString('base64url');
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', name: 'idgraph' }, sink);
  store = new GraphStore(gdb, { tenant: 'default', secretBox: createSecretBox(secretKey), logger });
  await store.ensureTenant();
  adminKey = (await store.apiKeys.create('ops', 'admin')).key;
  readKey = (await store.apiKeys.create('viewer', 'read')).key;
  queue = new Queue(QUEUES.collect, { connection, prefix });
  app = await buildServer({ store, collectQueue: queue, logger, secretKey, sseIntervalMs: 100 });
  await app.ready();
});

afterAll(async () => {
  await workers?.close();
  await app?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection.disconnect();
  await gdb?.close();
  await sim?.close();
  await db?.drop();
});

function startWorkers(): void {
  const logger = createLogger({ level: 'silent' });
  const governor = createMemoryRateGovernor({ share: 1, maxConcurrent: 16 });
  workers = startCollectorWorkers({
    redisUrl: TEST_REDIS_URL,
    prefix,
    store,
    logger,
    makeClient: (integration, hooks) => clientForIntegration(store, integration as Parameters<typeof clientForIntegration>[1], { logger, governor, onRequest: hooks.onRequest }),
  });
}

const tokenIntegration = (name: string, token = sim.apiToken) => ({ name, orgUrl: sim.url, allowHttp: true, auth: { type: 'token', token } });

describe('no auth needed', () => {
  it('/healthz answers ok and /openapi.json documents every API route with its schemas', async () => {
    expect((await call({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const doc = (await call({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/integrations',
      '/api/v1/integrations/{name}',
      '/api/v1/integrations/{name}/test',
      '/api/v1/integrations/{name}/collect',
      '/api/v1/runs',
      '/api/v1/runs/{runId}',
      '/api/v1/runs/{runId}/events',
      '/api/v1/findings',
      '/api/v1/findings/summary',
      '/api/v1/people',
      '/api/v1/people/{integration}/{userId}',
      '/api/v1/graph/export',
      '/api/v1/session',
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const create = doc.paths['/api/v1/integrations'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['name', 'orgUrl', 'auth']));
    expect(create.responses).toHaveProperty(['201']);
  });

  it('unknown routes are 404 with a pointer to the OpenAPI document', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/nothing-here', key: adminKey });
    expect(r.status).toBe(404);
    expect(r.json().message).toContain('/openapi.json');
  });
});

/** Every protected route, with the level it needs; :name is an integration that does not exist yet. */
const ROUTES: (Call & { level: 'read' | 'admin' })[] = [
  { method: 'GET', url: '/api/v1/integrations', level: 'read' },
  { method: 'POST', url: '/api/v1/integrations', body: { name: 'x', orgUrl: 'https://x.okta.com', auth: { type: 'token', token: 'SUPERSECRET-token-never-stored' } }, level: 'admin' },
  { method: 'PATCH', url: '/api/v1/integrations/x', body: { allowHttp: true }, level: 'admin' },
  { method: 'DELETE', url: '/api/v1/integrations/x', level: 'admin' },
  { method: 'POST', url: '/api/v1/integrations/x/test', level: 'admin' },
  { method: 'POST', url: '/api/v1/integrations/x/collect', body: {}, level: 'admin' },
  { method: 'GET', url: '/api/v1/runs', level: 'read' },
  { method: 'GET', url: '/api/v1/runs/00000000-0000-4000-8000-000000000000', level: 'read' },
  { method: 'GET', url: '/api/v1/runs/00000000-0000-4000-8000-000000000000/events', level: 'read' },
  { method: 'GET', url: '/api/v1/findings', level: 'read' },
  { method: 'GET', url: '/api/v1/findings/summary', level: 'read' },
  { method: 'GET', url: '/api/v1/findings/fixes?integration=x&check=user.locked_out', level: 'read' },
  { method: 'GET', url: '/api/v1/people?q=a', level: 'read' },
  { method: 'GET', url: '/api/v1/people/x/00u1', level: 'read' },
  { method: 'GET', url: '/api/v1/graph/export', level: 'read' },
  { method: 'POST', url: '/api/v1/actions', body: { action: 'suspend', integration: 'x', subject: 'user:00u1' }, level: 'admin' },
  { method: 'GET', url: '/api/v1/audit', level: 'admin' },
  { method: 'POST', url: '/api/v1/privacy/access', body: { email: 'nobody@example.com' }, level: 'admin' },
  { method: 'POST', url: '/api/v1/privacy/erase', body: { email: 'nobody@example.com' }, level: 'admin' },
  { method: 'GET', url: '/api/v1/privacy/erasures', level: 'admin' },
  { method: 'GET', url: '/api/v1/session', level: 'read' },
  { method: 'DELETE', url: '/api/v1/session', level: 'read' },
];

describe('auth on every route', () => {
  it('401 without a key or with a wrong one, 403 for a read key on a write route; nothing stored changes', async () => {
    const before = await storedState();
    const forged = `idgk_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    for (const route of ROUTES) {
      const label = `${route.method} ${route.url}`;
      const none = await call({ ...route, key: null });
      expect(none.status, label).toBe(401);
      expect(none.json().error, label).toBe('unauthorized');
      expect(none.headers['www-authenticate'], label).toContain('Bearer');
      for (const wrong of [forged, 'not-a-key', `${adminKey}x`]) {
        const r = await call({ ...route, key: wrong });
        expect(r.status, `${label} with a wrong key`).toBe(401);
      }
      const basic = await call({ ...route, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      expect(basic.status, `${label} Basic`).toBe(401);
    }
    for (const route of ROUTES.filter((r) => r.level === 'admin')) {
      const r = await call({ ...route, key: readKey });
      expect(r.status, `${route.method} ${route.url} with a read key`).toBe(403);
      expect(r.json().error).toBe('forbidden');
    }
    expect(await storedState()).toEqual(before);
  });

  it('a read key reads every read route (unknown things are 404, not 403)', async () => {
    for (const route of ROUTES.filter((r) => r.level === 'read' && !r.url.includes('/events'))) {
      const r = await call({ ...route, key: readKey });
      expect([200, 204, 404], `${route.method} ${route.url}: ${r.body}`).toContain(r.status);
    }
  });
});

describe('validation: 400 with what was wrong; nothing stored changes', () => {
  it('names the field and what to send', async () => {
    const before = await storedState();
    const cases: [Call, RegExp][] = [
      [{ method: 'POST', url: '/api/v1/integrations', body: {} }, /required property 'name'/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { ...tokenIntegration('bad name!'), allowHttp: true } }, /body\/name must match pattern/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { name: 'a', orgUrl: sim.url, auth: { type: 'token' } } }, /body\/auth must have required property 'token'/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { name: 'a', orgUrl: sim.url, auth: { type: 'password', token: 'SUPERSECRET-token-never-stored' } } }, /body\/auth/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { ...tokenIntegration('a'), auth: { type: 'token', token: 'SUPERSECRET-token-never-stored' }, extra: 1 } }, /must NOT have additional properties/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { name: 'a', orgUrl: sim.url, auth: { type: 'token', token: 'SUPERSECRET-token-never-stored' } } }, /orgUrl http:\/\/127\.0\.0\.1:\d+ uses http: Okta orgs are https only \(allowHttp exists/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { name: 'a', orgUrl: 'not a url', auth: { type: 'token', token: 'SUPERSECRET-token-never-stored' } } }, /orgUrl "not a url" is not a URL/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { ...tokenIntegration('a'), eventSource: 'aws.partner/elsewhere' } }, /body\/eventSource must match pattern/],
      [{ method: 'POST', url: '/api/v1/integrations', body: { name: 'a', orgUrl: sim.url, allowHttp: true, auth: { type: 'service_app', clientId: 'c', kid: 'k', privateKeyPem: 'SUPERSECRET-token-never-stored' } } }, /privateKeyPem is not a PEM private key/],
      [{ method: 'POST', url: '/api/v1/integrations', raw: '{"name":"a","auth":{"type":"token","token":"SUPERSECRET-token-never-stored"' }, /not valid JSON/],
      [{ method: 'PATCH', url: '/api/v1/integrations/x', body: {} }, /must NOT have fewer than 1 properties/],
      [{ method: 'POST', url: '/api/v1/integrations/x/collect', body: { resources: ['users', 'everything'] } }, /body\/resources\/1 must be equal to one of the allowed values: users, groups/],
      [{ method: 'GET', url: '/api/v1/runs?limit=0' }, /querystring\/limit must be >= 1/],
      [{ method: 'GET', url: '/api/v1/runs?integration=a%20b' }, /querystring\/integration must match pattern/],
      [{ method: 'GET', url: '/api/v1/runs/not-a-uuid' }, /params\/runId must match format "uuid"/],
      [{ method: 'GET', url: '/api/v1/findings?severity=urgent' }, /querystring\/severity must be equal to one of the allowed values: critical, high, medium, low, info/],
      [{ method: 'GET', url: '/api/v1/findings?check=no.such.check' }, /querystring\/check must be equal to one of the allowed values: mfa\.none/],
      [{ method: 'GET', url: '/api/v1/findings?state=closed' }, /allowed values: open, resolved, all/],
      [{ method: 'GET', url: '/api/v1/findings?cursor=garbage' }, /cursor is not one this server handed out/],
      [{ method: 'GET', url: '/api/v1/findings?limit=5000' }, /querystring\/limit must be <= 1000/],
      [{ method: 'GET', url: '/api/v1/people' }, /required property 'q'/],
      [{ method: 'GET', url: '/api/v1/people/x/not%20an%20id' }, /params\/userId must match pattern/],
      [{ method: 'GET', url: '/api/v1/graph/export?includeDeleted=maybe' }, /querystring\/includeDeleted must be boolean/],
      [{ method: 'POST', url: '/api/v1/session', body: {} }, /required property 'apiKey'/],
    ];
    for (const [c, message] of cases) {
      const r = await call({ ...c, key: adminKey });
      expect(r.status, `${c.method} ${c.url}: ${r.body}`).toBe(400);
      expect(r.json().error).toBe('bad_request');
      expect(r.json().message, `${c.method} ${c.url}`).toMatch(message);
    }
    expect(await storedState()).toEqual(before);
  });
});

describe('unknown things are 404', () => {
  it('integrations, runs and people that do not exist', async () => {
    const before = await storedState();
    for (const c of [
      { method: 'PATCH', url: '/api/v1/integrations/nope', body: { allowHttp: true } },
      { method: 'DELETE', url: '/api/v1/integrations/nope' },
      { method: 'POST', url: '/api/v1/integrations/nope/test' },
      { method: 'POST', url: '/api/v1/integrations/nope/collect' },
      { method: 'GET', url: '/api/v1/runs?integration=nope' },
      { method: 'GET', url: '/api/v1/runs/00000000-0000-4000-8000-000000000000' },
      { method: 'GET', url: '/api/v1/runs/00000000-0000-4000-8000-000000000000/events' },
      { method: 'GET', url: '/api/v1/findings?integration=nope' },
      { method: 'GET', url: '/api/v1/findings/summary?integration=nope' },
      { method: 'GET', url: '/api/v1/people?q=a&integration=nope' },
      { method: 'GET', url: '/api/v1/people/nope/00u1' },
      { method: 'GET', url: '/api/v1/graph/export?integration=nope' },
    ] as Call[]) {
      const r = await call({ ...c, key: adminKey });
      expect(r.status, `${c.method} ${c.url}`).toBe(404);
      expect(r.json().error).toBe('not_found');
    }
    expect(await storedState()).toEqual(before);
  });
});

describe('integrations, runs, findings, people and export against the simulator', () => {
  it('refuses credentials that can collect nothing with 422, what to grant, and stores nothing', async () => {
    const before = await storedState();
    const r = await call({ method: 'POST', url: '/api/v1/integrations', key: adminKey, body: tokenIntegration('useless', uselessToken) });
    expect(r.status).toBe(422);
    expect(r.json()).toMatchObject({ error: 'connectivity_failed', connectivity: { ok: false } });
    expect(r.json().message).toMatch(/these credentials cannot collect anything/);
    expect((r.json().connectivity.resources as { status: string }[]).every((x) => x.status !== 'ok')).toBe(true);
    expect(await storedState()).toEqual(before);
  });

  it('stores least-privilege credentials (201) and says which resources scans will skip', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/integrations', key: adminKey, body: tokenIntegration('limited', limitedToken) });
    expect(r.status, r.body).toBe(201);
    expect(r.json()).toMatchObject({ name: 'limited', allowActions: false, lastConnectivity: { ok: false } });
    expect(r.json().willSkip).toEqual(expect.arrayContaining(['groups', 'roles', 'system_log']));
    expect(r.json().willSkip).not.toContain('users');
    expect((await call({ method: 'DELETE', url: '/api/v1/integrations/limited', key: adminKey })).status).toBe(204);
  });

  it('adds a token integration (201, no secret), refuses a second of that name (409), and lists it', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/integrations', key: adminKey, body: tokenIntegration('acme') });
    expect(r.status, r.body).toBe(201);
    const created = r.json();
    expect(created).toMatchObject({ name: 'acme', orgUrl: sim.url, authMethod: 'ssws', allowHttp: true, allowActions: false, scopes: null, willSkip: [], lastConnectivity: { ok: true }, lastRun: null, runningRunId: null, openFindings: 0 });
    expect(created).not.toHaveProperty('secrets');
    expect(created).not.toHaveProperty('secretsEnc');
    const again = await call({ method: 'POST', url: '/api/v1/integrations', key: adminKey, body: tokenIntegration('acme') });
    expect(again.status).toBe(409);
    const list = await call({ method: 'GET', url: '/api/v1/integrations', key: readKey });
    expect(list.json().items.map((i: { name: string }) => i.name)).toEqual(['acme']);
    expect(list.json().items[0]).toMatchObject({ logStreaming: { configured: false, lastEventAt: null }, nextCollections: { full: null } });
  });

  it('adds a service app integration from its PEM, tests it, and removes it', async () => {
    const r = await call({
      method: 'POST',
      url: '/api/v1/integrations',
      key: adminKey,
      body: { name: 'svc', orgUrl: sim.url, allowHttp: true, auth: { type: 'service_app', clientId: serviceApp.clientId, kid: serviceApp.keyId, privateKeyPem: serviceApp.privateKeyPem } },
    });
    expect(r.status, r.body).toBe(201);
    expect(r.json()).toMatchObject({ name: 'svc', authMethod: 'oauth', clientId: serviceApp.clientId });
    const test = await call({ method: 'POST', url: '/api/v1/integrations/svc/test', key: adminKey });
    expect(test.status).toBe(200);
    expect(test.json().resources.filter((r: { status: string }) => r.status !== 'ok')).toEqual([]);
    expect(test.json()).toMatchObject({ ok: true });
    expect(test.json().resources).toHaveLength(Object.keys(RESOURCE_SCOPES).length);
    const del = await call({ method: 'DELETE', url: '/api/v1/integrations/svc', key: adminKey });
    expect(del.status).toBe(204);
    expect((await call({ method: 'POST', url: '/api/v1/integrations/svc/test', key: adminKey })).status).toBe(404);
  });

  it('PATCH changes fields, tests new credentials first and keeps the old ones when they fail', async () => {
    const ok = await call({ method: 'PATCH', url: '/api/v1/integrations/acme', key: adminKey, body: { eventSource: sim.eventSource } });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ eventSource: sim.eventSource, logStreaming: { configured: true } });
    const before = await storedState();
    const bad = await call({ method: 'PATCH', url: '/api/v1/integrations/acme', key: adminKey, body: { auth: { type: 'token', token: uselessToken } } });
    expect(bad.status).toBe(422);
    expect(await storedState()).toEqual(before);
    const detach = await call({ method: 'PATCH', url: '/api/v1/integrations/acme', key: adminKey, body: { eventSource: null } });
    expect(detach.json()).toMatchObject({ eventSource: null });
    const test = await call({ method: 'POST', url: '/api/v1/integrations/acme/test', key: adminKey });
    expect(test.json().ok).toBe(true);
  });

  let runId: string;

  it('Collect Now answers with the run; a second request joins it', async () => {
    const first = await call({ method: 'POST', url: '/api/v1/integrations/acme/collect', key: adminKey });
    expect(first.status, first.body).toBe(202);
    expect(first.json()).toMatchObject({ joined: false, runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    runId = first.json().runId;
    const second = await call({ method: 'POST', url: '/api/v1/integrations/acme/collect', key: adminKey, body: { resources: ['users'] } });
    expect(second.json()).toEqual({ joined: true, runId, jobId: first.json().jobId });
    const runs = await call({ method: 'GET', url: '/api/v1/runs?integration=acme', key: readKey });
    expect(runs.json().items.map((r: { id: string }) => r.id)).toEqual([runId]);
    const job = await queue.getJob(first.json().jobId);
    expect(JSON.stringify(job?.data)).not.toContain(sim.apiToken);
  });

  it('streams the run as Server-Sent Events until it ends, then shows it finished', async () => {
    startWorkers();
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/api/v1/runs/${runId}/events`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    bodies.push(text);
    const events = [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) }));
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { id: runId, status: 'succeeded' } });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.some((e) => e.data.resources.some((r: { state: string; objects: number }) => r.state === 'running' || r.objects > 0) || e.data.status === 'running')).toBe(true);
    const run = await call({ method: 'GET', url: `/api/v1/runs/${runId}`, key: readKey });
    expect(run.json()).toMatchObject({ id: runId, integration: 'acme', status: 'succeeded', trigger: 'collect-now', eta: null, adminPostureFinal: true });
    // Admin posture was final before the run ended (admin roles, holders and their factors came first).
    const { startedAt, endedAt, adminPostureFinalAt } = run.json() as { startedAt: string; endedAt: string; adminPostureFinalAt: string };
    expect(Date.parse(adminPostureFinalAt)).toBeGreaterThanOrEqual(Date.parse(startedAt));
    expect(Date.parse(adminPostureFinalAt)).toBeLessThanOrEqual(Date.parse(endedAt));
    const users = run.json().resources.find((r: { resource: string }) => r.resource === 'users');
    expect(users).toMatchObject({ state: 'done', objects: sim.org.users.size });
    for (const key of ['pages', 'requests', 'waited429', 'retries', 'etaSeconds']) expect(users).toHaveProperty(key);
    const tile = (await call({ method: 'GET', url: '/api/v1/integrations', key: readKey })).json().items[0];
    expect(tile.lastRun).toMatchObject({ id: runId, status: 'succeeded', adminPostureFinalAt });
  });

  it('exports the graph as streamed JSONL, byte for byte the simulator truth', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/graph/export?integration=acme', key: readKey });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/x-ndjson');
    expect(r.body).toBe(toJsonl(sortExportLines(sim.truth())));
  });

  it('lists findings by page (the pages add up to every finding), filtered, with a summary that matches the oracle', async () => {
    const integration = (await store.getIntegration('acme'))!;
    const now = new Date();
    await runPostureChecks({ store, db: gdb, integrationId: integration.id, now });
    const expected = expectedFindings(sim.org, DEFAULT_POSTURE_THRESHOLDS, now);
    const total = Object.values(expected).reduce((n, s) => n + s.length, 0);
    expect(total).toBeGreaterThan(10);

    const seen: { checkId: string; subject: string }[] = [];
    let cursor: string | null = null;
    do {
      const page = await call({ method: 'GET', url: `/api/v1/findings?integration=acme&limit=7${cursor ? `&cursor=${cursor}` : ''}`, key: readKey });
      expect(page.status, page.body).toBe(200);
      seen.push(...page.json().items);
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    const bySubject = (check: string) => seen.filter((f) => f.checkId === check).map((f) => f.subject).sort();
    for (const [check, subjects] of Object.entries(expected)) expect(bySubject(check), check).toEqual(subjects);

    const high = await call({ method: 'GET', url: '/api/v1/findings?severity=high&limit=1000', key: readKey });
    expect(high.json().items.every((f: { severity: string }) => f.severity === 'high')).toBe(true);
    const one = await call({ method: 'GET', url: '/api/v1/findings?check=admin.no_phishing_resistant_mfa', key: readKey });
    expect(one.json().items.map((f: { subject: string }) => f.subject).sort()).toEqual(expected['admin.no_phishing_resistant_mfa']);
    expect(one.json().items[0]).toMatchObject({ integration: 'acme', state: 'open', title: expect.stringContaining('Admins'), firstSeenAt: expect.any(String), resolvedAt: null });
    expect((await call({ method: 'GET', url: '/api/v1/findings?state=resolved', key: readKey })).json().items).toEqual([]);

    const summary = (await call({ method: 'GET', url: '/api/v1/findings/summary?integration=acme', key: readKey })).json();
    expect(Object.values(summary.bySeverity as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(total);
    for (const c of summary.checks) {
      expect(c.open, c.id).toBe(expected[c.id]!.length);
      expect(c.rationale.length).toBeGreaterThan(20);
      expect(c.remediation.length).toBeGreaterThan(10);
    }
  });

  it('finds people by login, email or name, and shows one person with groups, apps, roles, factors, events and findings', async () => {
    const planted = sim.planted!;
    const admin = sim.org.users.get(planted.smsOnlySuperAdmin)!;
    const byLogin = await call({ method: 'GET', url: `/api/v1/people?q=${encodeURIComponent(admin.profile.login.toUpperCase())}`, key: readKey });
    expect(byLogin.json().items.map((p: { userId: string }) => p.userId)).toContain(admin.id);
    const byName = await call({ method: 'GET', url: `/api/v1/people?integration=acme&q=${encodeURIComponent(`${admin.profile.firstName} ${admin.profile.lastName}`)}`, key: readKey });
    expect(byName.json().items.map((p: { userId: string }) => p.userId)).toContain(admin.id);
    expect((await call({ method: 'GET', url: '/api/v1/people?q=%25', key: readKey })).json().items).toEqual([]);

    const person = (await call({ method: 'GET', url: `/api/v1/people/acme/${admin.id}`, key: readKey })).json();
    const truth = sim.truth();
    const edges = (kind: string) => truth.filter((l) => l.type === 'edge' && l.kind === kind && l.from === `user:${admin.id}`);
    expect(person).toMatchObject({ integration: 'acme', userId: admin.id, deleted: false, profile: { login: admin.profile.login, status: admin.status } });
    expect(person.groups.map((g: { id: string }) => `group:${g.id}`).sort()).toEqual(edges('member_of').map((e) => (e as { to: string }).to).sort());
    expect(person.factors.map((f: { id: string }) => `factor:${f.id}`).sort()).toEqual(edges('has_factor').map((e) => (e as { to: string }).to).sort());
    expect(person.factors.map((f: { factorType: string }) => f.factorType)).toEqual(['sms']);
    expect(person.adminRoles).toEqual(expect.arrayContaining([expect.objectContaining({ roleId: 'SUPER_ADMIN', direct: true })]));
    expect(person.openFindings.map((f: { checkId: string }) => f.checkId)).toEqual(expect.arrayContaining(['admin.no_phishing_resistant_mfa']));
    // Apps: every app the user reaches, directly or through a group, from the truth's assignments.
    const groupIds = new Set(person.groups.map((g: { id: string }) => g.id));
    const viaGroups = truth.filter((l) => l.type === 'edge' && l.kind === 'assigned_to' && l.from.startsWith('group:') && groupIds.has(l.from.slice(6))).map((l) => (l as { to: string }).to);
    const direct = edges('assigned_to').map((e) => (e as { to: string }).to);
    const liveApps = new Set(truth.filter((l) => l.type === 'node' && l.kind === 'app').map((l) => `app:${(l as { id: string }).id}`));
    expect(person.apps.map((a: { id: string }) => `app:${a.id}`).sort()).toEqual([...new Set([...viaGroups, ...direct])].filter((a) => liveApps.has(a)).sort());
    for (const a of person.apps) expect(a.direct || a.viaGroups.length > 0).toBe(true);
    expect(person.events.length).toBeLessThanOrEqual(50);
    for (const e of person.events) expect(['actor', 'target']).toContain(e.role);

    // A group-granted role says through which group.
    const groupAdmin = [...sim.org.groupMembers.get(planted.largeAdminGroup.groupId)!][0]!;
    const p = (await call({ method: 'GET', url: `/api/v1/people/acme/${groupAdmin}`, key: readKey })).json();
    expect(p.adminRoles).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ roleId: planted.largeAdminGroup.role, viaGroups: expect.arrayContaining([expect.objectContaining({ id: planted.largeAdminGroup.groupId })]) }),
      ]),
    );
    expect((await call({ method: 'GET', url: '/api/v1/people/acme/00unosuchuser', key: readKey })).status).toBe(404);
    // The newest events with the person as actor or as a target, newest first.
    const integration = (await store.getIntegration('acme'))!;
    const other = [...sim.org.users.keys()].find((id) => id !== admin.id)!;
    const event = (uuid: string, published: Date, actor: string, target: string | null) => {
      const raw = { uuid, published: published.toISOString(), eventType: 'user.account.update_profile', displayMessage: `test ${uuid}`, severity: 'INFO',
        actor: { id: actor, type: 'User' }, target: target ? [{ id: target, type: 'User' }] : [], outcome: { result: 'SUCCESS' } };
      return { integrationId: integration.id, via: 'poll' as const, mutations: [], row: { uuid, published, eventType: raw.eventType, severity: 'INFO', actorId: actor, outcome: 'SUCCESS', subjectIds: eventSubjectIds(raw), raw } };
    };
    const now = Date.now();
    await store.ingestEvents([
      event('evt-actor-new', new Date(now - 120_000), admin.id, other),
      event('evt-target-new', new Date(now - 60_000), other, admin.id),
      event('evt-target-old', new Date(now - 30 * 86_400_000), other, admin.id),
      event('evt-unrelated', new Date(now - 30_000), other, other),
    ]);
    // A message with escapes, in an event whose text holds a NUL that PostgreSQL's JSON parser refuses.
    const tricky = event('evt-tricky', new Date(now - 90_000), other, admin.id);
    (tricky.row as { raw: unknown }).raw = { ...tricky.row.raw, displayMessage: 'say "hi" \\ ünï\nnext', debugContext: { debugData: { note: 'a\u0000b' } } };
    await store.ingestEvents([tricky]);
    const withEvents = (await call({ method: 'GET', url: `/api/v1/people/acme/${admin.id}`, key: readKey })).json();
    const mine = (withEvents.events as { uuid: string; role: string; displayMessage: string | null }[]).filter((e) => e.uuid.startsWith('evt-'));
    // Fewer than 50 in the last day and in the last 30: all stored events were searched, the old one too.
    expect(mine).toEqual([
      expect.objectContaining({ uuid: 'evt-target-new', role: 'target', displayMessage: 'test evt-target-new' }),
      expect.objectContaining({ uuid: 'evt-tricky', role: 'target', displayMessage: 'say "hi" \\ ünï\nnext' }),
      expect.objectContaining({ uuid: 'evt-actor-new', role: 'actor' }),
      expect.objectContaining({ uuid: 'evt-target-old', role: 'target' }),
    ]);
    expect(withEvents.eventsSince).toBeNull();
    // 50 within the last day: those are the newest, and the window says so.
    await store.ingestEvents(Array.from({ length: 55 }, (_, i) => event(`evt-busy-${String(i).padStart(2, '0')}`, new Date(now - 3_600_000 + i * 1000), admin.id, null)));
    const busy = (await call({ method: 'GET', url: `/api/v1/people/acme/${admin.id}`, key: readKey })).json();
    expect(busy.events).toHaveLength(50);
    expect(busy.events.map((e: { uuid: string }) => e.uuid).slice(0, 3)).toEqual(['evt-target-new', 'evt-tricky', 'evt-actor-new']);
    expect(busy.events.at(-1).uuid).toBe('evt-busy-08');
    expect(new Date(busy.eventsSince).getTime()).toBeGreaterThan(now - 2 * 86_400_000);

  });
});

describe('effective privilege on the person route', () => {
  it('shows the roles a person holds (direct or through which group), their path to Tier Zero and who can reach them, as the simulator knows them', async () => {
    const oracle = expectedPrivilege(sim.org);
    const distances = oracle.distances(['SUPER_ADMIN', 'ORG_ADMIN']);
    const users = [...distances].filter(([ref, d]) => ref.startsWith('user:') && d >= 1).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(users.length).toBeGreaterThan(0);
    // The user farthest from Tier Zero (a path through control edges when the org plants one), and a Tier Zero holder.
    for (const [ref, distance] of [users[0]!, users[users.length - 1]!]) {
      const person = (await call({ method: 'GET', url: `/api/v1/people/acme/${ref.slice(5)}`, key: readKey })).json();
      const mine = oracle.holders.filter((h) => h.principal === ref).map((h) => ({ ...h, resourceSet: h.resourceSet ?? null }));
      expect(person.privilege.effectiveRoles, ref).toEqual(expect.arrayContaining(mine));
      expect(person.privilege.effectiveRoles).toHaveLength(mine.length);
      expect(person.privilege.pathToTierZero, ref).toMatchObject({ from: ref, length: distance });
      expect(person.privilege.pathToTierZero.steps[0].from).toBe(ref);
      for (const p of person.privilege.reachedBy as { from: string; to: string; steps: { from: string; to: string }[] }[]) {
        expect(p.to).toBe(ref);
        expect(p.steps[0]!.from).toBe(p.from);
        expect(p.steps.at(-1)!.to).toBe(ref);
      }
    }
    const groupAdmin = [...sim.org.groupMembers.get(sim.planted!.largeAdminGroup.groupId)!][0]!;
    const p = (await call({ method: 'GET', url: `/api/v1/people/acme/${groupAdmin}`, key: readKey })).json();
    expect(p.privilege.effectiveRoles).toEqual(expect.arrayContaining([expect.objectContaining({ role: sim.planted!.largeAdminGroup.role, via: [`group:${sim.planted!.largeAdminGroup.groupId}`] })]));
  });
});

describe('actions, audit and privacy (the @idgraph/actions calls behind `idgraph action` and `idgraph privacy`)', () => {
  const plainUser = () => {
    const holders = new Set([...sim.org.roleAssignments.values()].map((a) => (a as { principalId?: string; userId?: string }).principalId ?? (a as { userId?: string }).userId));
    return [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !holders.has(u.id) && u.profile.email)!;
  };

  it('a read-only integration refuses actions, even a dry run (403, what to change)', async () => {
    const user = plainUser();
    const refused = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'suspend', integration: 'acme', subject: `user:${user.id}` } });
    expect(refused.status, refused.body).toBe(403);
    expect(refused.json()).toMatchObject({ applied: false, result: { outcome: 'refused', grant: 'idgraph integration update acme --allow-actions' } });
    expect(sim.org.users.get(user.id)!.status).toBe('ACTIVE');
  });

  it('with actions allowed, a dry run answers the exact Okta requests and changes nothing; applied, Okta and the graph change; every attempt is audited', async () => {
    const user = plainUser();
    const allow = await call({ method: 'PATCH', url: '/api/v1/integrations/acme', key: adminKey, body: { allowActions: true } });
    expect(allow.json()).toMatchObject({ allowActions: true });
    const dry = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'suspend', integration: 'acme', subject: `user:${user.id}` } });
    expect(dry.status, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ action: 'suspend', subject: `user:${user.id}`, applied: false, requests: [{ method: 'POST', path: `/api/v1/users/${user.id}/lifecycle/suspend` }], result: { outcome: 'dry-run', auditId: expect.any(String) } });
    expect(sim.org.users.get(user.id)!.status).toBe('ACTIVE');
    const applied = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'suspend', integration: 'acme', subject: `user:${user.id}`, dryRun: false } });
    expect(applied.status, applied.body).toBe(200);
    expect(applied.json()).toMatchObject({ applied: true, result: { outcome: 'applied' } });
    expect(sim.org.users.get(user.id)!.status).toBe('SUSPENDED');
    const person = (await call({ method: 'GET', url: `/api/v1/people/acme/${user.id}`, key: readKey })).json();
    expect(person.profile.status).toBe('SUSPENDED');
    const audit = (await call({ method: 'GET', url: '/api/v1/audit?integration=acme&limit=10', key: adminKey })).json().items as { subject: string; outcome: string; requestedBy: string }[];
    expect(audit.filter((a) => a.subject === `user:${user.id}`).map((a) => a.outcome)).toEqual(['applied', 'dry-run', 'refused']);
    expect(audit.every((a) => a.requestedBy === 'api:ops')).toBe(true);
    const unsuspend = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'unsuspend', integration: 'acme', subject: `user:${user.id}`, dryRun: false } });
    expect(unsuspend.json().result.outcome).toBe('applied');
    expect(sim.org.users.get(user.id)!.status).toBe('ACTIVE');
  });

  it("a check's fixes: the same actions as `report --fix` prints, structured for POST /api/v1/actions", async () => {
    const plan = (await call({ method: 'GET', url: '/api/v1/findings/fixes?integration=acme&check=user.locked_out', key: readKey })).json();
    const locked = [...sim.org.users.values()].filter((u) => u.status === 'LOCKED_OUT').map((u) => `user:${u.id}`).sort();
    expect(plan.fixes.map((f: { subject: string }) => f.subject).sort()).toEqual(locked);
    for (const f of plan.fixes) {
      expect(f.actions).toEqual([{ action: 'deactivate', subject: f.subject, target: null, resourceSet: null }]);
      expect(f.commands).toEqual([`idgraph action deactivate --integration acme --subject ${f.subject}`]);
    }
    const one = (await call({ method: 'GET', url: `/api/v1/findings/fixes?integration=acme&check=user.locked_out&subject=${locked[0]}`, key: readKey })).json();
    expect(one.fixes.map((f: { subject: string }) => f.subject)).toEqual([locked[0]]);
    expect((await call({ method: 'GET', url: '/api/v1/findings/fixes?integration=acme&check=no.such', key: readKey })).status).toBe(400);
  });

  it('bad actions and subjects are 400 and are not audited', async () => {
    const before = (await call({ method: 'GET', url: '/api/v1/audit?limit=1000', key: adminKey })).json().items.length;
    const unknown = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'explode', integration: 'acme', subject: 'user:00u1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json().message).toMatch(/deactivate/);
    const wrongTarget = await call({ method: 'POST', url: '/api/v1/actions', key: adminKey, body: { action: 'remove-from-group', integration: 'acme', subject: 'user:00u1' } });
    expect(wrongTarget.status).toBe(400);
    expect(wrongTarget.json().message).toMatch(/target/);
    expect((await call({ method: 'GET', url: '/api/v1/audit?limit=1000', key: adminKey })).json().items.length).toBe(before);
  });

  it('privacy access answers every row about an address; erase removes the person and records it', async () => {
    const user = plainUser();
    const email = user.profile.email;
    const bad = await call({ method: 'POST', url: '/api/v1/privacy/access', key: adminKey, body: { email: 'not an address' } });
    expect(bad.status).toBe(400);
    const access = await call({ method: 'POST', url: '/api/v1/privacy/access', key: adminKey, body: { email: email.toUpperCase() } });
    expect(access.status, access.body).toBe(200);
    expect(access.json().matched).toEqual([expect.objectContaining({ integration: 'acme', userId: user.id })]);
    const erase = await call({ method: 'POST', url: '/api/v1/privacy/erase', key: adminKey, body: { email } });
    expect(erase.status, erase.body).toBe(200);
    expect(erase.json()).toMatchObject({ erased: true, erasureId: expect.any(String) });
    expect(erase.body).not.toContain(email);
    expect((await call({ method: 'POST', url: '/api/v1/privacy/access', key: adminKey, body: { email } })).json().matched).toEqual([]);
    expect((await call({ method: 'GET', url: `/api/v1/people/acme/${user.id}`, key: readKey })).status).toBe(404);
    const records = (await call({ method: 'GET', url: '/api/v1/privacy/erasures', key: adminKey })).json().items as { id?: string; erasureId?: string }[];
    expect(records.map((r) => r.id ?? r.erasureId)).toContain(erase.json().erasureId);
  });
});

describe('tenants', () => {
  it("a key of another tenant sees nothing of this tenant's integrations, runs, findings, people, events or graph, and changes nothing", async () => {
    const other = store.forTenant('tenant-b');
    await other.ensureTenant();
    const bKey = (await other.apiKeys.create('b-ops', 'admin')).key;
    secretsExtra.push(bKey);
    const acme = (await store.getIntegration('acme'))!;
    const aRun = (await store.latestRuns(acme.id, 1))[0]!;
    const aUser = [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && u.profile.email)!;
    const before = await storedState();

    const empty = async (url: string) => {
      const r = await call({ method: 'GET', url, key: bKey });
      expect(r.status, `${url}: ${r.body}`).toBe(200);
      return r.json();
    };
    expect((await empty('/api/v1/integrations')).items).toEqual([]);
    expect((await empty('/api/v1/runs')).items).toEqual([]);
    expect((await empty('/api/v1/findings?limit=1000')).items).toEqual([]);
    expect(Object.values((await empty('/api/v1/findings/summary')).bySeverity as Record<string, number>).every((n) => n === 0)).toBe(true);
    expect((await empty(`/api/v1/people?q=${encodeURIComponent(aUser.profile.login)}`)).items).toEqual([]);
    expect((await empty('/api/v1/audit?limit=1000')).items).toEqual([]);
    expect((await empty('/api/v1/privacy/erasures')).items).toEqual([]);
    const exported = await call({ method: 'GET', url: '/api/v1/graph/export', key: bKey });
    expect(exported.status).toBe(200);
    expect(exported.body).toBe('');
    for (const [method, url] of [
      ['GET', `/api/v1/runs/${aRun.id}`],
      ['GET', `/api/v1/runs/${aRun.id}/events`],
      ['GET', `/api/v1/runs?integration=acme`],
      ['GET', `/api/v1/people/acme/${aUser.id}`],
      ['GET', '/api/v1/graph/export?integration=acme'],
      ['GET', '/api/v1/findings?integration=acme'],
      ['POST', '/api/v1/integrations/acme/test'],
      ['POST', '/api/v1/integrations/acme/collect'],
      ['PATCH', '/api/v1/integrations/acme'],
      ['DELETE', '/api/v1/integrations/acme'],
    ] as const) {
      const r = await call({ method, url, key: bKey, ...(method === 'PATCH' ? { body: { allowActions: true } } : {}) });
      expect(r.status, `${method} ${url}: ${r.body}`).toBe(404);
    }
    const action = await call({ method: 'POST', url: '/api/v1/actions', key: bKey, body: { action: 'suspend', integration: 'acme', subject: `user:${aUser.id}` } });
    // Refused (and audited in B) as for any unknown integration: nothing of A is acted on or named.
    expect(action.status, action.body).toBe(403);
    expect(action.json().result.message).toMatch(/no integration named "acme"/);
    const access = await call({ method: 'POST', url: '/api/v1/privacy/access', key: bKey, body: { email: aUser.profile.email } });
    expect(access.json().matched).toEqual([]);
    expect(await storedState()).toEqual(before);

    // The same name in tenant B is B's own; each key sees its own tenant's.
    const created = await call({ method: 'POST', url: '/api/v1/integrations', key: bKey, body: tokenIntegration('acme') });
    expect(created.status, created.body).toBe(201);
    expect(created.json().id).not.toBe(acme.id);
    expect((await call({ method: 'GET', url: '/api/v1/integrations', key: bKey })).json().items.map((i: { id: string }) => i.id)).toEqual([created.json().id]);
    expect((await call({ method: 'GET', url: '/api/v1/integrations', key: readKey })).json().items.map((i: { id: string }) => i.id)).toEqual([acme.id]);
    expect((await other.listIntegrations()).map((i) => i.id)).toEqual([created.json().id]);

    // A console session opened with B's key acts in B.
    const session = await call({ method: 'POST', url: '/api/v1/session', body: { apiKey: bKey } });
    const cookie = `${SESSION_COOKIE}=${session.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    expect((await call({ method: 'GET', url: '/api/v1/integrations', headers: { cookie } })).json().items.map((i: { id: string }) => i.id)).toEqual([created.json().id]);
    expect((await call({ method: 'DELETE', url: '/api/v1/integrations/acme', key: bKey })).status).toBe(204);
    expect(await store.getIntegration('acme')).toBeDefined();
  });
});

describe('console sessions', () => {
  it('signs in with a key into an HttpOnly SameSite=Strict cookie; writes need the CSRF token; revoking the key ends the session', async () => {
    const bad = await call({ method: 'POST', url: '/api/v1/session', body: { apiKey: 'idgk_000000000000_nope' } });
    expect(bad.status).toBe(401);
    const tmp = await store.apiKeys.create('console-user', 'admin');
    const r = await call({ method: 'POST', url: '/api/v1/session', body: { apiKey: tmp.key } });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ name: 'console-user', role: 'admin', csrfToken: expect.any(String) });
    expect(r.body).not.toContain(tmp.key);
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(tmp.key);
    const cookie = `${SESSION_COOKIE}=${r.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    const csrf = r.json().csrfToken as string;

    expect((await call({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).json()).toMatchObject({ name: 'console-user', csrfToken: csrf });
    expect((await call({ method: 'GET', url: '/api/v1/integrations', headers: { cookie } })).status).toBe(200);
    const before = await storedState();
    const noCsrf = await call({ method: 'POST', url: '/api/v1/integrations/acme/test', headers: { cookie } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json().error).toBe('csrf');
    const wrongCsrf = await call({ method: 'DELETE', url: '/api/v1/integrations/acme', headers: { cookie, 'x-csrf-token': `${csrf}x` } });
    expect(wrongCsrf.status).toBe(403);
    expect(await storedState()).toEqual(before);
    const withCsrf = await call({ method: 'POST', url: '/api/v1/integrations/acme/test', headers: { cookie, 'x-csrf-token': csrf } });
    expect(withCsrf.status).toBe(200);
    const tampered = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await call({ method: 'GET', url: '/api/v1/session', headers: { cookie: tampered } })).status).toBe(401);

    expect(await store.apiKeys.revoke('console-user')).toBe(true);
    expect((await call({ method: 'GET', url: '/api/v1/integrations', headers: { cookie } })).status).toBe(401);
    secretsExtra.push(tmp.key);
  });

  it('a read key signs in as read: the session cannot write even with the CSRF token', async () => {
    const r = await call({ method: 'POST', url: '/api/v1/session', body: { apiKey: readKey } });
    const cookie = `${SESSION_COOKIE}=${r.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    const w = await call({ method: 'POST', url: '/api/v1/integrations/acme/collect', headers: { cookie, 'x-csrf-token': r.json().csrfToken } });
    expect(w.status).toBe(403);
    expect(w.json().error).toBe('forbidden');
  });

  it('serves the console page with a strict Content-Security-Policy', async () => {
    const page = await call({ method: 'GET', url: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.body).toContain('<script type="module" src="/console/app.js"');
    expect((await call({ method: 'GET', url: '/console/app.js' })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/console/../package.json' })).status).toBe(404);
  });
});

const secretsExtra: string[] = [];

describe('secrets', () => {
  it('no response body and no log line carries a submitted secret', () => {
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.some((l) => l.includes('"url":"/api/v1/integrations"'))).toBe(true);
    for (const secret of [...secretsSubmitted(), ...secretsExtra]) {
      for (const body of bodies) expect(body.includes(secret), `a response carries ${secret.slice(0, 12)}…`).toBe(false);
      for (const line of logLines) expect(line.includes(secret), `a log line carries ${secret.slice(0, 12)}…: ${line.slice(0, 200)}`).toBe(false);
    }
    // No key material at all (a PEM header followed by its base64 body, raw or JSON-escaped).
    for (const text of [...bodies, ...logLines]) expect(text).not.toMatch(/PRIVATE KEY-----(\\n|\n)[A-Za-z0-9+/=]{16}/);
  });
});
