/**
 * The SCIM 2.0 endpoint on real PostgreSQL (and the Okta simulator for API collection): Okta's
 * SCIM 2.0 spec-test sequence step by step, the provisioning flow Okta drives (assign, profile
 * update by GET+PUT, deactivate, reactivate, group push, membership changes in each form, rename,
 * unlink), every refusal as a SCIM error that changes nothing, and the same person arriving by
 * SCIM and by API collection as one node of `graph export`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, QUEUES } from '@idgraph/core';
import { createSecretBox, GraphStore, migrateDatabase, openDatabase, type ExportLine, type GraphDb, type Integration } from '@idgraph/graph';
import { redisConnection, scanIntegration } from '@idgraph/collector';
import { clientForIntegration } from '@idgraph/integrations';
import { createMemoryRateGovernor } from '@idgraph/okta';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { createTestDatabase, TEST_REDIS_URL, testRedisPrefix, type TestDatabase } from '@idgraph/test-support';
import { buildServer } from './app.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

let sim: OktaSim;
let db: TestDatabase;
let gdb: GraphDb;
let store: GraphStore;
let app: FastifyInstance;
let queue: Queue;
let acme: Integration;
let other: Integration;
let token: string;
let otherToken: string;
let adminKey: string;
const prefix = testRedisPrefix('server_scim').replace(/:$/, '');
const connection = redisConnection(TEST_REDIS_URL);
const bodies: string[] = [];
const logger = createLogger({ level: 'silent' });

interface Req {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  raw?: string;
  token?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
  app?: FastifyInstance;
}

async function scim(r: Req) {
  const headers: Record<string, string> = { 'user-agent': 'Okta SCIM Client 1.0.0', ...(r.headers ?? {}) };
  const t = r.token === undefined ? token : r.token;
  if (t !== null) headers.authorization = `Bearer ${t}`;
  if (r.body !== undefined || r.raw !== undefined) headers['content-type'] = r.contentType ?? 'application/json';
  const url = r.url.startsWith('/') ? r.url : `/scim/v2/acme/${r.url}`;
  const res = await (r.app ?? app).inject({ method: r.method, url, headers, payload: r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)) });
  bodies.push(res.body);
  const json = () => res.json() as Doc;
  return { status: res.statusCode, json, body: res.body, headers: res.headers };
}

const q = (s: string) => encodeURIComponent(s);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM documents are checked field by field
type Doc = Record<string, any>;

function expectScimError(r: Awaited<ReturnType<typeof scim>>, status: number, scimType?: string) {
  expect(r.status, r.body).toBe(status);
  expect(r.headers['content-type']).toContain('application/scim+json');
  const e = r.json();
  expect(e.schemas).toEqual([ERROR]);
  expect(e.status).toBe(String(status));
  expect(typeof e.detail).toBe('string');
  expect(e.detail.length).toBeGreaterThan(10);
  if (scimType) expect(e.scimType).toBe(scimType);
  else expect(e).not.toHaveProperty('scimType');
}

/** Everything SCIM could change: its own rows and the graph rows it feeds. */
async function state() {
  const [row] = await gdb.execute<Record<string, unknown>>(sql`SELECT
    (SELECT coalesce(string_agg(id || ':' || version || ':' || resource::text, ',' ORDER BY id), '') FROM scim_resources) AS resources,
    (SELECT coalesce(string_agg(group_id || ':' || user_id, ',' ORDER BY group_id, user_id), '') FROM scim_members) AS members,
    (SELECT coalesce(string_agg(okta_id || ':' || status || ':' || coalesce(login, '') || ':' || via_scim || ':' || coalesce(deleted_at::text, ''), ',' ORDER BY okta_id), '') FROM users) AS users,
    (SELECT coalesce(string_agg(okta_id || ':' || name || ':' || coalesce(deleted_at::text, ''), ',' ORDER BY okta_id), '') FROM groups) AS groups,
    (SELECT coalesce(string_agg(user_id || ':' || group_id || ':' || coalesce(deleted_at::text, ''), ',' ORDER BY user_id, group_id), '') FROM group_memberships) AS memberships,
    (SELECT coalesce(string_agg(token_hash, ','), '') FROM scim_tokens) AS tokens`);
  return row;
}

async function exportLines(integrationId: string, includeDeleted = false): Promise<ExportLine[]> {
  const out: ExportLine[] = [];
  for await (const l of store.exportGraph({ integrationId, includeDeleted })) out.push(l);
  return out;
}

async function graphUser(integrationId: string, id: string) {
  const [row] = await gdb.execute<{ status: string; login: string; email: string | null; first_name: string | null; last_name: string | null; via_scim: boolean; observed_at: unknown; deleted_at: unknown }>(
    sql`SELECT status, login, email, first_name, last_name, via_scim, observed_at, deleted_at FROM users WHERE integration_id = ${integrationId}::uuid AND okta_id = ${id}`,
  );
  return row;
}

const oktaUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER],
  userName,
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Test User',
  locale: 'en-US',
  externalId: `00u${randomBytes(8).toString('hex')}`,
  groups: [],
  password: 'SUPERSECRET-password-1mz050nq',
  active: true,
  ...extra,
});

beforeAll(async () => {
  sim = await startOktaSim({ seed: 20, users: 60, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('server_scim');
  gdb = await openDatabase({ databaseUrl: db.url });
  await migrateDatabase(gdb);
  const secretKey = randomBytes(32).toString('base64url');
  store = new GraphStore(gdb, { tenant: 'default', secretBox: createSecretBox(secretKey), logger });
  await store.ensureTenant();
  acme = await store.createIntegration({ name: 'acme', orgUrl: sim.url, authMethod: 'ssws', secrets: { token: sim.apiToken }, allowHttp: true });
  other = await store.createIntegration({ name: 'other', orgUrl: 'https://other.okta.com', authMethod: 'ssws', secrets: { token: 'x' }, allowHttp: false });
  token = await store.scim.rotateToken(acme.id);
  otherToken = await store.scim.rotateToken(other.id);
  adminKey = (await store.apiKeys.create('ops', 'admin')).key;
  queue = new Queue(QUEUES.collect, { connection, prefix });
  app = await buildServer({ store, collectQueue: queue, logger, secretKey });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection.disconnect();
  await gdb?.close();
  await sim?.close();
  await db?.drop();
});

describe("Okta's SCIM 2.0 spec test, step by step", () => {
  let seeded: Record<string, unknown>;
  let created: { id: string; userName: string };
  const newUser = oktaUser(`spec.${randomBytes(4).toString('hex')}@example.com`, { name: { givenName: 'Spec', familyName: 'Tester' } });

  beforeAll(async () => {
    // The suite expects at least one user to exist.
    const r = await scim({ method: 'POST', url: 'Users', body: oktaUser('seed.user@example.com') });
    expect(r.status, r.body).toBe(201);
    seeded = r.json();
  });

  it('1. GET /Users?count=1&startIndex=1: a ListResponse with integer counts and a complete user', async () => {
    const r = await scim({ method: 'GET', url: 'Users?count=1&startIndex=1' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/scim+json');
    const list = r.json();
    expect(list.schemas).toEqual([LIST]);
    for (const k of ['itemsPerPage', 'startIndex', 'totalResults']) expect(Number.isInteger(list[k]), k).toBe(true);
    expect(list).toMatchObject({ itemsPerPage: 1, startIndex: 1, totalResults: 1 });
    const u = list.Resources[0];
    expect(u).toMatchObject({ id: seeded.id, userName: 'seed.user@example.com', active: true, name: { givenName: 'Test', familyName: 'User' } });
    expect(u.emails[0].value).toBe('seed.user@example.com');
  });

  it('2. GET /Users/{id}: the same user, the same id', async () => {
    const r = await scim({ method: 'GET', url: `Users/${seeded.id as string}` });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ id: seeded.id, userName: 'seed.user@example.com', active: true, name: { familyName: 'User', givenName: 'Test' }, emails: [{ value: 'seed.user@example.com' }] });
  });

  it('3. filter by a random userName: 200, totalResults 0', async () => {
    const r = await scim({ method: 'GET', url: `Users?filter=${q(`userName eq "${randomUUID()}@example.com"`)}&startIndex=1&count=100` });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  it('4. GET /Users/{random id}: 404 with the Error schema and a detail', async () => {
    expectScimError(await scim({ method: 'GET', url: `Users/${randomUUID()}` }), 404);
  });

  it('5. filter by a random email: 200, totalResults 0', async () => {
    const r = await scim({ method: 'GET', url: `Users?filter=${q(`emails eq "${randomUUID()}@example.com"`)}` });
    expect(r.status).toBe(200);
    expect(r.json().totalResults).toBe(0);
  });

  it('6. POST /Users (application/json): 201 with the whole resource, active, no password', async () => {
    const r = await scim({ method: 'POST', url: 'Users', body: newUser });
    expect(r.status, r.body).toBe(201);
    const u = r.json();
    expect(u).toMatchObject({ schemas: [USER], userName: newUser.userName, externalId: newUser.externalId, active: true, displayName: 'Test User', locale: 'en-US', name: { givenName: 'Spec', familyName: 'Tester' }, emails: [{ primary: true, value: newUser.userName, type: 'work' }], groups: [] });
    expect(u.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(u.meta).toMatchObject({ resourceType: 'User', location: `http://localhost:80/scim/v2/acme/Users/${u.id as string}`, version: 'W/"1"' });
    expect(r.headers.location).toBe(u.meta.location);
    expect(r.body).not.toContain('password');
    expect(r.body).not.toContain('SUPERSECRET');
    created = { id: u.id, userName: u.userName };
  });

  it('7. GET the new user: 200', async () => {
    const r = await scim({ method: 'GET', url: `Users/${created.id}` });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ id: created.id, userName: created.userName });
  });

  it('8. the same POST again: 409 uniqueness, and nothing changes', async () => {
    const before = await state();
    const r = await scim({ method: 'POST', url: 'Users', body: newUser });
    expectScimError(r, 409, 'uniqueness');
    // Another externalId, the same userName in other case: still the same userName.
    expectScimError(await scim({ method: 'POST', url: 'Users', body: { ...newUser, externalId: '00uanother', userName: newUser.userName.toUpperCase() } }), 409, 'uniqueness');
    expect(await state()).toEqual(before);
  });

  it('9. filter by the UPPER-CASED userName finds the user (userName ignores case)', async () => {
    const r = await scim({ method: 'GET', url: `Users?filter=${q(`userName eq "${created.userName.toUpperCase()}"`)}&startIndex=1&count=100` });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ totalResults: 1, itemsPerPage: 1, Resources: [{ id: created.id }] });
  });

  it('10. GET /Groups: 200 in under 600 ms', async () => {
    const started = performance.now();
    const r = await scim({ method: 'GET', url: 'Groups' });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ schemas: [LIST], totalResults: 0 });
    expect(performance.now() - started).toBeLessThan(600);
  });

  it('11. Authorization: non-token → 401 with the Error schema and status "401"', async () => {
    const r = await scim({ method: 'GET', url: 'Users', token: null, headers: { authorization: 'non-token' } });
    expectScimError(r, 401);
    expect(r.headers['www-authenticate']).toContain('Bearer');
  });

  it('12. GET /Users/00919288221112222 → 404 with status "404"', async () => {
    expectScimError(await scim({ method: 'GET', url: 'Users/00919288221112222' }), 404);
  });
});

describe('discovery', () => {
  it('ServiceProviderConfig, ResourceTypes and Schemas describe what the server does', async () => {
    const spc = (await scim({ method: 'GET', url: 'ServiceProviderConfig' })).json();
    expect(spc).toMatchObject({ patch: { supported: true }, bulk: { supported: false }, filter: { supported: true, maxResults: 200 }, sort: { supported: false }, changePassword: { supported: false }, etag: { supported: false } });
    expect(spc.authenticationSchemes[0]).toMatchObject({ type: 'oauthbearertoken' });
    const types = (await scim({ method: 'GET', url: 'ResourceTypes' })).json();
    expect(types.Resources.map((t: { id: string }) => t.id)).toEqual(['User', 'Group']);
    expect(types.Resources[0].schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    expect((await scim({ method: 'GET', url: 'ResourceTypes/Group' })).json()).toMatchObject({ endpoint: '/Groups', schema: GROUP });
    const schemas = (await scim({ method: 'GET', url: 'Schemas' })).json();
    expect(schemas.Resources.map((s: { id: string }) => s.id)).toEqual([USER, ENTERPRISE, GROUP]);
    const user = (await scim({ method: 'GET', url: `Schemas/${USER}` })).json();
    expect(user.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    expect(user.attributes.find((a: { name: string }) => a.name === 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expectScimError(await scim({ method: 'GET', url: 'Schemas/urn:nope' }), 404);
  });
});

describe('the provisioning flow Okta drives', () => {
  let alice: Doc;
  let bob: Doc;
  let group: Doc;
  const aliceName = 'alice.flow@example.com';

  it('assign: look up by userName (empty), create (201); the graph gets a user node from SCIM', async () => {
    const look = await scim({ method: 'GET', url: `Users?filter=${q(`userName eq "${aliceName}"`)}&startIndex=1&count=100` });
    expect(look.json()).toMatchObject({ totalResults: 0, Resources: [] });
    const r = await scim({ method: 'POST', url: 'Users', body: oktaUser(aliceName, { name: { givenName: 'Alice', familyName: 'Flow' }, [ENTERPRISE]: { department: 'R&D', manager: { value: 'boss-1' } } }) });
    expect(r.status, r.body).toBe(201);
    alice = r.json();
    expect(alice.schemas).toEqual([USER, ENTERPRISE]);
    expect(alice[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'boss-1' } });
    const node = await graphUser(acme.id, alice.externalId);
    expect(node).toMatchObject({ status: 'ACTIVE', login: aliceName, email: aliceName, first_name: 'Alice', last_name: 'Flow', via_scim: true, observed_at: null });
    const person = await call('GET', `/api/v1/people/acme/${alice.externalId as string}`);
    expect(person).toMatchObject({ userId: alice.externalId, arrivedVia: 'scim', profile: { login: aliceName, status: 'ACTIVE' } });
  });

  it('profile update: GET then PUT of the whole resource (200); the graph follows', async () => {
    const got = (await scim({ method: 'GET', url: `Users/${alice.id as string}` })).json();
    const put = await scim({ method: 'PUT', url: `Users/${alice.id as string}`, body: { ...got, name: { ...got.name, givenName: 'Alicia', middleName: 'Excited' }, title: 'Engineer' } });
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({ id: alice.id, name: { givenName: 'Alicia', middleName: 'Excited', familyName: 'Flow' }, title: 'Engineer', externalId: alice.externalId, meta: { version: 'W/"2"' } });
    expect(await graphUser(acme.id, alice.externalId)).toMatchObject({ first_name: 'Alicia', status: 'ACTIVE' });
    // Okta's PUT may omit externalId (it repeats what GET answered): the user stays the same person.
    const { externalId: _omit, ...withoutExternal } = put.json();
    const again = await scim({ method: 'PUT', url: `Users/${alice.id as string}`, body: { ...withoutExternal, title: 'Staff Engineer' } });
    expect(again.json()).toMatchObject({ externalId: alice.externalId, title: 'Staff Engineer' });
  });

  it('deactivate and reactivate: PATCH replace {active} without a path (200); the user is DEPROVISIONED, then ACTIVE', async () => {
    const off = await scim({ method: 'PATCH', url: `Users/${alice.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] } });
    expect(off.status, off.body).toBe(200);
    expect(off.json()).toMatchObject({ id: alice.id, active: false, userName: aliceName });
    expect(await graphUser(acme.id, alice.externalId)).toMatchObject({ status: 'DEPROVISIONED', first_name: 'Alicia' });
    expect((await scim({ method: 'GET', url: `Users?filter=${q('active eq false')}` })).json().Resources.map((u: { id: string }) => u.id)).toEqual([alice.id]);
    const on = await scim({ method: 'PATCH', url: `Users/${alice.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'Replace', value: { active: true } }] } });
    expect(on.json()).toMatchObject({ active: true });
    expect(await graphUser(acme.id, alice.externalId)).toMatchObject({ status: 'ACTIVE' });
  });

  it('push a group: POST /Groups {displayName, members: []} → 201; a group node', async () => {
    const b = await scim({ method: 'POST', url: 'Users', contentType: 'application/scim+json', body: oktaUser('bob.flow@example.com', { name: { givenName: 'Bob', familyName: 'Flow' } }) });
    expect(b.status, b.body).toBe(201);
    bob = b.json();
    const r = await scim({ method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: 'Engineering', members: [] } });
    expect(r.status, r.body).toBe(201);
    group = r.json();
    expect(group).toMatchObject({ schemas: [GROUP], displayName: 'Engineering', members: [], meta: { resourceType: 'Group' } });
    const lines = await exportLines(acme.id);
    expect(lines).toContainEqual({ type: 'node', kind: 'group', id: group.id, name: 'Engineering', groupType: 'OKTA_GROUP', arrivedVia: 'scim' });
  });

  const members = async () => (await scim({ method: 'GET', url: `Groups/${group.id as string}` })).json().members.map((m: { value: string }) => m.value).sort();
  const edges = async () =>
    (await exportLines(acme.id)).filter((l) => l.type === 'edge' && l.kind === 'member_of' && l.to === `group:${group.id as string}`).map((l) => (l as { from: string }).from).sort();

  it('members: add with path "members" (200), each a member_of edge', async () => {
    const r = await scim({
      method: 'PATCH',
      url: `Groups/${group.id as string}`,
      body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: group.id, displayName: 'Engineering' } }, { op: 'add', path: 'members', value: [{ value: alice.id, display: aliceName }, { value: bob.id, display: 'bob.flow@example.com' }] }] },
    });
    expect(r.status, r.body).toBe(200);
    expect(r.json().members).toEqual(
      expect.arrayContaining([expect.objectContaining({ value: alice.id, display: aliceName, type: 'User' }), expect.objectContaining({ value: bob.id })]),
    );
    expect(await members()).toEqual([alice.id, bob.id].sort());
    expect(await edges()).toEqual([`user:${alice.externalId as string}`, `user:${bob.externalId as string}`].sort());
    // The user's read-only groups attribute follows.
    expect((await scim({ method: 'GET', url: `Users/${alice.id as string}` })).json().groups).toEqual([expect.objectContaining({ value: group.id, display: 'Engineering' })]);
    // Groups filtered by member.
    const byMember = await scim({ method: 'GET', url: `Groups?filter=${q(`members[value eq "${bob.id as string}"]`)}` });
    expect(byMember.json().Resources.map((g: { id: string }) => g.id)).toEqual([group.id]);
  });

  it('members: remove with path members[value eq "…"] removes exactly that member (not a silent no-op)', async () => {
    const r = await scim({ method: 'PATCH', url: `Groups/${group.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${bob.id as string}"]` }] } });
    expect(r.status, r.body).toBe(200);
    expect(await members()).toEqual([alice.id]);
    expect(await edges()).toEqual([`user:${alice.externalId as string}`]);
  });

  it('members: replace with path "members" sets the whole list', async () => {
    const r = await scim({ method: 'PATCH', url: `Groups/${group.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'members', value: [{ value: bob.id }] }] } });
    expect(r.status, r.body).toBe(200);
    expect(await members()).toEqual([bob.id]);
    expect(await edges()).toEqual([`user:${bob.externalId as string}`]);
  });

  it('rename: PATCH replace value {id, displayName} (200); the group node is renamed', async () => {
    const r = await scim({ method: 'PATCH', url: `Groups/${group.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: group.id, displayName: 'Engineering Team' } }] } });
    expect(r.status, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: group.id, displayName: 'Engineering Team' });
    expect((await exportLines(acme.id)).find((l) => l.type === 'node' && l.kind === 'group' && l.id === group.id)).toMatchObject({ name: 'Engineering Team' });
    expect((await scim({ method: 'GET', url: `Groups?filter=${q('displayName eq "engineering team"')}` })).json().totalResults).toBe(1);
    // PUT replaces the group too (integrations made with Okta's wizard send PUT).
    const put = await scim({ method: 'PUT', url: `Groups/${group.id as string}`, body: { schemas: [GROUP], displayName: 'Engineering Team', members: [{ value: alice.id }, { value: bob.id }] } });
    expect(put.status, put.body).toBe(200);
    expect(await members()).toEqual([alice.id, bob.id].sort());
  });

  it('unlink: DELETE /Groups/{id} → 204; the pushed group (never read from the API) is tombstoned with its edges', async () => {
    const r = await scim({ method: 'DELETE', url: `Groups/${group.id as string}` });
    expect(r.status).toBe(204);
    expect(r.body).toBe('');
    expectScimError(await scim({ method: 'GET', url: `Groups/${group.id as string}` }), 404);
    expectScimError(await scim({ method: 'DELETE', url: `Groups/${group.id as string}` }), 404);
    const lines = await exportLines(acme.id);
    expect(lines.some((l) => (l.type === 'node' && l.id === group.id) || (l.type === 'edge' && l.to === `group:${group.id as string}`))).toBe(false);
    const deleted = await exportLines(acme.id, true);
    expect(deleted).toContainEqual(expect.objectContaining({ kind: 'group', id: group.id, deleted: true, arrivedVia: 'scim' }));
    expect((await scim({ method: 'GET', url: `Users/${alice.id as string}` })).json().groups).toEqual([]);
  });

  it('DELETE /Users/{id} (Okta never sends it) answers 204 per RFC 7644 and the SCIM-only user is tombstoned', async () => {
    const r = await scim({ method: 'DELETE', url: `Users/${bob.id as string}` });
    expect(r.status).toBe(204);
    expectScimError(await scim({ method: 'GET', url: `Users/${bob.id as string}` }), 404);
    expect((await graphUser(acme.id, bob.externalId))!.deleted_at).not.toBeNull();
    // The userName is free again.
    const again = await scim({ method: 'POST', url: 'Users', body: oktaUser('bob.flow@example.com', { externalId: bob.externalId }) });
    expect(again.status, again.body).toBe(201);
    expect((await graphUser(acme.id, bob.externalId))!.deleted_at).toBeNull();
  });

  it('import: pages with startIndex/count in a stable order, integer totals', async () => {
    for (let i = 0; i < 5; i++) expect((await scim({ method: 'POST', url: 'Users', body: oktaUser(`page${i}@example.com`) })).status).toBe(201);
    const all = (await scim({ method: 'GET', url: 'Users?startIndex=1&count=100' })).json();
    expect(all.totalResults).toBe(all.Resources.length);
    const ids: string[] = [];
    for (let start = 1; start <= all.totalResults; start += 2) {
      const page = (await scim({ method: 'GET', url: `Users?startIndex=${start}&count=2` })).json();
      expect(page).toMatchObject({ startIndex: start, totalResults: all.totalResults });
      expect(page.itemsPerPage).toBe(page.Resources.length);
      ids.push(...page.Resources.map((u: { id: string }) => u.id));
    }
    expect(ids).toEqual(all.Resources.map((u: { id: string }) => u.id));
    expect((await scim({ method: 'GET', url: 'Users?startIndex=1000&count=10' })).json()).toMatchObject({ Resources: [], itemsPerPage: 0, startIndex: 1000 });
    expect((await scim({ method: 'GET', url: 'Users?count=0' })).json()).toMatchObject({ Resources: [], totalResults: all.totalResults });
    // attributes / excludedAttributes
    const slim = (await scim({ method: 'GET', url: `Users?count=1&attributes=userName` })).json().Resources[0];
    expect(Object.keys(slim).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    const noEmails = (await scim({ method: 'GET', url: `Users/${alice.id as string}?excludedAttributes=emails` })).json();
    expect(noEmails).not.toHaveProperty('emails');
    expect(noEmails).toHaveProperty('userName');
  });

  it('filters: and/or/not, co/sw/ew/pr, names, the enterprise extension, meta times', async () => {
    const ids = async (filter: string) => (await scim({ method: 'GET', url: `Users?filter=${q(filter)}` })).json().Resources.map((u: { userName: string }) => u.userName).sort();
    expect(await ids('userName sw "page" and userName ew "3@example.com"')).toEqual(['page3@example.com']);
    expect(await ids('userName co "flow" or name.givenName eq "SPEC"')).toEqual(expect.arrayContaining([aliceName, 'bob.flow@example.com']));
    expect(await ids(`${ENTERPRISE}:department eq "r&d"`)).toEqual([aliceName]);
    expect(await ids(`emails[type eq "work" and value eq "${aliceName.toUpperCase()}"]`)).toEqual([aliceName]);
    expect(await ids('title pr')).toEqual([aliceName]);
    expect(await ids('not (userName sw "page") and userName sw "alice"')).toEqual([aliceName]);
    expect((await ids('meta.lastModified gt "2000-01-01T00:00:00Z"')).length).toBeGreaterThan(5);
    expect(await ids(`externalId eq "${alice.externalId as string}"`)).toEqual([aliceName]);
  });
});

async function call(method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, payload: body ? JSON.stringify(body) : undefined });
  bodies.push(res.body);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json() as Doc;
}

describe('refusals are SCIM errors and change nothing', () => {
  let user: Doc;
  let grp: Doc;

  beforeAll(async () => {
    user = (await scim({ method: 'POST', url: 'Users', body: oktaUser('refusals@example.com') })).json();
    grp = (await scim({ method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: 'Refusals', members: [{ value: user.id }] } })).json();
  });

  it('bad requests: 400 with the scimType RFC 7644 names', async () => {
    const before = await state();
    const cases: [Req, number, string | undefined][] = [
      [{ method: 'POST', url: 'Users', raw: '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com"' }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', raw: '{"userName": SUPERSECRET}' }, 400, 'invalidSyntax'],
      [{ method: 'PUT', url: `Users/${user.id as string}`, raw: 'not json at all' }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', raw: '[1,2]' }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', raw: '' }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', body: oktaUser('unknown.attr@example.com', { favouriteColour: 'blue' }) }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', body: oktaUser('unknown.sub@example.com', { name: { givenName: 'A', nickname: 'x' } }) }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', body: { ...oktaUser('ext@example.com'), schemas: [USER, 'urn:ietf:params:scim:schemas:extension:Custom:2.0:User'] } }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', body: { ...oktaUser('noschema@example.com'), schemas: undefined } }, 400, 'invalidSyntax'],
      [{ method: 'POST', url: 'Users', body: oktaUser('') }, 400, 'invalidValue'],
      [{ method: 'POST', url: 'Users', body: oktaUser('wrongtype@example.com', { active: 'maybe' }) }, 400, 'invalidValue'],
      [{ method: 'POST', url: 'Users', body: oktaUser('wrongtype2@example.com', { emails: 'a@example.com' }) }, 400, 'invalidValue'],
      [{ method: 'PUT', url: `Users/${user.id as string}`, body: { ...user, externalId: '00usomeoneelse' } }, 400, 'mutability'],
      [{ method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: 'Ghosts', members: [{ value: randomUUID() }] } }, 400, 'invalidValue'],
      [{ method: 'POST', url: 'Groups', body: { schemas: [GROUP], members: [] } }, 400, 'invalidValue'],
      [{ method: 'PATCH', url: `Groups/${grp.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: randomUUID() }] }] } }, 400, 'invalidValue'],
      [{ method: 'PATCH', url: `Groups/${grp.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: 'another-id', displayName: 'x' } }] } }, 400, 'mutability'],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { Operations: [{ op: 'replace', value: { active: false } }] } }, 400, 'invalidSyntax'],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [] } }, 400, 'invalidSyntax'],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'explode', path: 'active', value: false }] } }, 400, 'invalidSyntax'],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'remove' }] } }, 400, undefined],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'shoeSize', value: 44 }] } }, 400, 'invalidSyntax'],
      [{ method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'x@example.com' }] } }, 400, 'noTarget'],
      [{ method: 'GET', url: `Users?filter=${q('userName eq')}` }, 400, 'invalidFilter'],
      [{ method: 'GET', url: `Users?filter=${q('userName xx "a"')}` }, 400, 'invalidFilter'],
      [{ method: 'GET', url: `Users?filter=${q('shoeSize eq "44"')}` }, 400, 'invalidFilter'],
      [{ method: 'GET', url: `Users?filter=${q('active eq "yes"')}` }, 400, 'invalidFilter'],
      [{ method: 'GET', url: `Groups?filter=${q('members co "a"')}` }, 400, 'invalidFilter'],
      [{ method: 'GET', url: 'Users?startIndex=abc' }, 400, 'invalidValue'],
    ];
    for (const [req, status, scimType] of cases) {
      const r = await scim(req);
      expect(r.status, `${req.method} ${req.url} ${req.raw ?? JSON.stringify(req.body)}: ${r.body}`).toBe(status);
      const e = r.json();
      expect(e.schemas, r.body).toEqual([ERROR]);
      expect(e.status).toBe(String(status));
      expect(e, `${req.method} ${req.url}: ${r.body}`).toMatchObject(scimType ? { scimType } : {});
    }
    expect(await state()).toEqual(before);
  });

  it('wrong, missing, revoked or foreign tokens and API keys: 401; the SCIM token is no API key', async () => {
    const before = await state();
    const wrong = [
      null,
      'idgs_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `${token}x`,
      otherToken,
      adminKey,
    ];
    for (const t of wrong) {
      for (const req of [
        { method: 'GET', url: 'Users' },
        { method: 'POST', url: 'Users', body: oktaUser('intruder@example.com') },
        { method: 'PATCH', url: `Users/${user.id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] } },
        { method: 'DELETE', url: `Groups/${grp.id as string}` },
      ] as Req[]) {
        const r = await scim({ ...req, token: t });
        expectScimError(r, 401);
      }
    }
    expectScimError(await scim({ method: 'GET', url: 'Users', token: null, headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } }), 401);
    expectScimError(await scim({ method: 'GET', url: '/scim/v2/nope/Users' }), 401);
    // The other integration's token opens only its own endpoint.
    expect((await scim({ method: 'GET', url: '/scim/v2/other/Users', token: otherToken })).json()).toMatchObject({ totalResults: 0 });
    // The SCIM token does not open the operator API.
    const api = await app.inject({ method: 'GET', url: '/api/v1/integrations', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(401);
    expect(await state()).toEqual(before);
  });

  it('media types, body size and unsupported features', async () => {
    const before = await state();
    expectScimError(await scim({ method: 'POST', url: 'Users', raw: 'userName=x', contentType: 'text/plain' }), 415);
    const huge = oktaUser('huge@example.com', { title: 'x'.repeat(1024 * 1024) });
    expectScimError(await scim({ method: 'POST', url: 'Users', body: huge }), 413);
    expectScimError(await scim({ method: 'POST', url: 'Users', body: huge, contentType: 'application/scim+json' }), 413);
    expectScimError(await scim({ method: 'GET', url: 'Users?sortBy=userName' }), 501);
    expectScimError(await scim({ method: 'POST', url: 'Bulk', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] } }), 501);
    expectScimError(await scim({ method: 'POST', url: 'Users/.search', body: { filter: 'userName eq "a"' } }), 501);
    expectScimError(await scim({ method: 'GET', url: 'Me' }), 501);
    expectScimError(await scim({ method: 'GET', url: 'Nothing' }), 404);
    expect(await state()).toEqual(before);
    // A DELETE that names a JSON content type but sends no body is fine.
    const tmp = (await scim({ method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: 'Temporary' } })).json();
    const del = await app.inject({ method: 'DELETE', url: `/scim/v2/acme/Groups/${tmp.id as string}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(del.statusCode, del.body).toBe(204);
  });

  it('attribute names are case-insensitive; readOnly attributes are ignored; the password is never stored', async () => {
    const r = await scim({ method: 'POST', url: 'Users', body: { SCHEMAS: [USER.toUpperCase()], UserName: 'Case.Test@example.com', NAME: { GIVENNAME: 'Case' }, id: 'chosen-by-client', meta: { created: 'x' }, groups: [{ value: 'g' }], Password: 'SUPERSECRET-2', ACTIVE: 'True' } });
    expect(r.status, r.body).toBe(201);
    expect(r.json()).toMatchObject({ userName: 'Case.Test@example.com', name: { givenName: 'Case' }, active: true, groups: [] });
    expect(r.json().id).not.toBe('chosen-by-client');
    const patched = await scim({ method: 'PATCH', url: `Users/${r.json().id as string}`, body: { schemas: [PATCH], Operations: [{ op: 'REPLACE', path: 'Name.FamilyName', value: 'Sensitive' }] } });
    expect(patched.json()).toMatchObject({ name: { givenName: 'Case', familyName: 'Sensitive' } });
    const stored = await gdb.execute<{ t: string }>(sql`SELECT resource::text AS t FROM scim_resources`);
    for (const row of stored) expect(row.t).not.toMatch(/SUPERSECRET|password/i);
  });

  it('rate limit per token: 429 with Retry-After once the bucket is empty; other tokens are unaffected', async () => {
    const limited = await buildServer({ store, collectQueue: queue, logger, secretKey: randomBytes(32).toString('base64url'), scim: { rateLimit: { burst: 3, perSecond: 0.01 } } });
    try {
      for (let i = 0; i < 3; i++) expect((await scim({ method: 'GET', url: 'Users?count=1', app: limited })).status).toBe(200);
      const r = await scim({ method: 'GET', url: 'Users?count=1', app: limited });
      expectScimError(r, 429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect((await scim({ method: 'GET', url: '/scim/v2/other/Users', token: otherToken, app: limited })).status).toBe(200);
      // A bad token is refused before it costs the real token anything.
      expectScimError(await scim({ method: 'GET', url: 'Users', token: 'nope', app: limited }), 401);
    } finally {
      await limited.close();
    }
  });

  it('a rotated token replaces the old one; a revoked one opens nothing', async () => {
    const old = otherToken;
    otherToken = await store.scim.rotateToken(other.id);
    expectScimError(await scim({ method: 'GET', url: '/scim/v2/other/Users', token: old }), 401);
    expect((await scim({ method: 'GET', url: '/scim/v2/other/Users', token: otherToken })).status).toBe(200);
    expect(await store.scim.revokeToken(other.id)).toBe(true);
    expectScimError(await scim({ method: 'GET', url: '/scim/v2/other/Users', token: otherToken }), 401);
    const stored = await gdb.execute<{ token_hash: string }>(sql`SELECT token_hash FROM scim_tokens`);
    for (const r of stored) expect(r.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(token);
  });
});

describe('SCIM beside API collection of the same org', () => {
  let simUser: { id: string; login: string };
  let scimBoth: Doc;
  let scimOnly: Doc;
  let scimGroup: Doc;
  // Pushes and reads decided by their times alone (no ambiguity window), so a read made after a
  // push takes over at once; the main app keeps the default 60 s window.
  let store0: GraphStore;
  let app0: FastifyInstance;

  beforeAll(async () => {
    store0 = new GraphStore(gdb, { tenant: 'default', secretBox: createSecretBox(randomBytes(32).toString('base64url')), logger, ambiguityMs: 0 });
    app0 = await buildServer({ store: store0, collectQueue: queue, logger, secretKey: randomBytes(32).toString('base64url') });
  });
  afterAll(async () => {
    await app0?.close();
  });

  async function collect(): Promise<void> {
    const governor = createMemoryRateGovernor({ share: 1, maxConcurrent: 8 });
    const summary = await scanIntegration({
      store: store0,
      integration: acme,
      makeClient: (hooks) => clientForIntegration(store, acme, { logger, governor, onRequest: hooks.onRequest }),
      logger,
      resources: ['users', 'groups', 'group_members'],
    });
    expect(summary.status, JSON.stringify(summary)).toBe('succeeded');
  }

  it('a SCIM user whose externalId is an Okta user, collected by the API, is one user node (arrivedVia both)', async () => {
    const u = [...sim.org.users.values()].find((x) => x.status === 'ACTIVE')!;
    simUser = { id: u.id, login: u.profile.login };
    const r = await scim({ app: app0, method: 'POST', url: 'Users', body: oktaUser(u.profile.login, { externalId: u.id, name: { givenName: u.profile.firstName, familyName: u.profile.lastName } }) });
    expect(r.status, r.body).toBe(201);
    scimBoth = r.json();
    scimOnly = (await scim({ app: app0, method: 'POST', url: 'Users', body: { ...oktaUser('contractor@example.com'), externalId: undefined } })).json();
    expect(scimOnly.id).toBeDefined();
    scimGroup = (await scim({ app: app0, method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: 'Contractors', members: [{ value: scimOnly.id }, { value: scimBoth.id }] } })).json();
    expect((await exportLines(acme.id)).find((l) => l.type === 'node' && l.id === simUser.id)).toMatchObject({ arrivedVia: 'scim' });

    await collect();

    const lines = await exportLines(acme.id);
    const userNodes = lines.filter((l) => l.type === 'node' && l.kind === 'user');
    expect(userNodes.filter((l) => l.id === simUser.id)).toEqual([{ type: 'node', kind: 'user', id: simUser.id, status: 'ACTIVE', login: simUser.login, arrivedVia: 'both' }]);
    expect(userNodes.filter((l) => (l as { login?: string }).login === simUser.login)).toHaveLength(1);
    // The SCIM user without externalId is its own node (its SCIM id), kept by the full collection.
    expect(userNodes).toContainEqual(expect.objectContaining({ id: scimOnly.id, login: 'contractor@example.com', arrivedVia: 'scim' }));
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'group', id: scimGroup.id, arrivedVia: 'scim' }));
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'member_of', from: `user:${scimOnly.id as string}`, to: `group:${scimGroup.id as string}`, arrivedVia: 'scim' }));
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'member_of', from: `user:${simUser.id}`, to: `group:${scimGroup.id as string}`, arrivedVia: 'scim' }));
    // Everything else of the org came from the API alone.
    const simIds = new Set<string>(sim.org.users.keys());
    const others = userNodes.filter((l) => simIds.has(l.id as string) && l.id !== simUser.id);
    expect(others.filter((l) => l.arrivedVia !== 'api')).toEqual([]);
    expect(userNodes.filter((l) => simIds.has(l.id as string))).toHaveLength(sim.truth().filter((l) => l.type === 'node' && l.kind === 'user').length);
    // The person route says how the person arrived.
    expect(await call('GET', `/api/v1/people/acme/${simUser.id}`)).toMatchObject({ arrivedVia: 'both', profile: { login: simUser.login } });
    expect(await call('GET', `/api/v1/people/acme/${scimOnly.id as string}`)).toMatchObject({ arrivedVia: 'scim' });
    // `idgraph graph export` (the API's export route streams the same lines).
    const res = await app.inject({ method: 'GET', url: '/api/v1/graph/export?integration=acme', headers: { authorization: `Bearer ${adminKey}` } });
    expect(res.body.split('\n').filter((l) => l.includes(`"id":"${simUser.id}"`) && l.includes('"kind":"user"'))).toEqual([JSON.stringify({ type: 'node', kind: 'user', id: simUser.id, status: 'ACTIVE', login: simUser.login, arrivedVia: 'both' })]);
  });

  it("the API's state wins where they disagree: the next read undoes a SCIM deactivation; a push close to a read changes nothing", async () => {
    const off = { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] };
    const on = { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] };
    // Okta deactivates the app user (unassigned from the app); the push is newer than the last read.
    expect((await scim({ app: app0, method: 'PATCH', url: `Users/${scimBoth.id as string}`, body: off })).json()).toMatchObject({ active: false });
    expect(await graphUser(acme.id, simUser.id)).toMatchObject({ status: 'DEPROVISIONED' });
    // The Okta user is still ACTIVE: the next read says so and wins.
    await collect();
    expect(await graphUser(acme.id, simUser.id)).toMatchObject({ status: 'ACTIVE', via_scim: true });
    // Within the ambiguity window of that read (the main app's store: 60 s), pushes do not change it.
    expect((await scim({ method: 'PATCH', url: `Users/${scimBoth.id as string}`, body: on })).status).toBe(200);
    expect((await scim({ method: 'PATCH', url: `Users/${scimBoth.id as string}`, body: off })).json()).toMatchObject({ active: false });
    expect(await graphUser(acme.id, simUser.id)).toMatchObject({ status: 'ACTIVE' });
    // A SCIM-only user has no API state: SCIM decides.
    await scim({ method: 'PATCH', url: `Users/${scimOnly.id as string}`, body: off });
    expect(await graphUser(acme.id, scimOnly.id)).toMatchObject({ status: 'DEPROVISIONED' });
    // And a full collection leaves it (and its group and edges) alone.
    await collect();
    expect(await graphUser(acme.id, scimOnly.id)).toMatchObject({ status: 'DEPROVISIONED', deleted_at: null });
    expect((await exportLines(acme.id)).filter((l) => l.type === 'edge' && l.to === `group:${scimGroup.id as string}`)).toHaveLength(2);
  });

  it('a pushed group named like an Okta group the API read is that group (one node, arrivedVia both)', async () => {
    const g = [...sim.org.groups.values()].find((x) => x.type === 'OKTA_GROUP')!;
    const r = await scim({ method: 'POST', url: 'Groups', body: { schemas: [GROUP], displayName: g.name, members: [{ value: scimBoth.id }] } });
    expect(r.status, r.body).toBe(201);
    const lines = await exportLines(acme.id);
    expect(lines.filter((l) => l.type === 'node' && l.kind === 'group' && (l as { name?: string }).name === g.name)).toEqual([
      { type: 'node', kind: 'group', id: g.id, name: g.name, groupType: 'OKTA_GROUP', arrivedVia: 'both' },
    ]);
    // Unlinking it from the app does not delete the Okta group.
    expect((await scim({ method: 'DELETE', url: `Groups/${r.json().id as string}` })).status).toBe(204);
    expect((await exportLines(acme.id)).some((l) => l.type === 'node' && l.kind === 'group' && l.id === g.id)).toBe(true);
  });

  it('a privacy erasure removes the SCIM resources of the person too', async () => {
    const erase = await call('POST', '/api/v1/privacy/erase', { email: 'contractor@example.com' });
    expect(erase).toMatchObject({ erased: true });
    expect(erase.counts.scim_resources).toBe(1);
    expectScimError(await scim({ method: 'GET', url: `Users/${scimOnly.id as string}` }), 404);
    const rows = await gdb.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM scim_resources WHERE resource::text ILIKE '%contractor@example.com%' OR user_name ILIKE 'contractor@example.com'`);
    expect(rows[0]!.n).toBe(0);
    // The group lost the member.
    expect((await scim({ method: 'GET', url: `Groups/${scimGroup.id as string}` })).json().members.map((m: { value: string }) => m.value)).toEqual([scimBoth.id]);
  });
});

describe('secrets', () => {
  it('no response carries a SCIM token, a password or an API key', () => {
    expect(bodies.length).toBeGreaterThan(100);
    for (const body of bodies) {
      expect(body).not.toContain(token);
      expect(body).not.toContain(adminKey);
      expect(body).not.toMatch(/SUPERSECRET/);
    }
  });
});
