/**
 * store.scim on PostgreSQL: SCIM writes reach the graph marked as arrived through SCIM; a complete
 * API collection leaves SCIM-only rows alone but tombstones a row it has read before and no longer
 * lists; filters the store cannot answer are refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { migrateDatabase, openDatabase, type GraphDb } from './db.js';
import type { ExportLine, GraphMutation } from './model.js';
import { createSecretBox } from './secrets.js';
import { GraphStore } from './store.js';
import type { ScimChange } from './scim.js';
import { ScimFilterError } from './scim-filter.js';
import * as f from './testdata/fixtures.js';

let tdb: TestDatabase;
let gdb: GraphDb;
let store: GraphStore;
let integrationId: string;

/** A projector like @idgraph/normalize's (which this package cannot import). */
const project = (at: Date) => (c: ScimChange): GraphMutation[] =>
  c.after.resourceType === 'User'
    ? [{ kind: 'user.upsert', at, user: { oktaId: c.after.graphId, login: c.after.userName, status: c.after.active === false ? 'DEPROVISIONED' : 'ACTIVE' } }]
    : [
        { kind: 'group.upsert', at, group: { oktaId: c.after.graphId, name: c.after.displayName!, groupType: 'OKTA_GROUP' } },
        ...c.membersAdded.map((userId): GraphMutation => ({ kind: 'membership.add', at, userId, groupId: c.after.graphId })),
      ];

const userWrite = (userName: string, externalId: string | null) => ({ externalId, userName, displayName: null, active: true, resource: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName } });

async function lines(): Promise<ExportLine[]> {
  const out: ExportLine[] = [];
  for await (const l of store.exportGraph({ integrationId, includeDeleted: true })) out.push(l);
  return out;
}

beforeAll(async () => {
  tdb = await createTestDatabase('graph_scim');
  gdb = await openDatabase({ databaseUrl: tdb.url });
  await migrateDatabase(gdb);
  store = new GraphStore(gdb, { tenant: 'default', secretBox: createSecretBox(randomBytes(32).toString('base64url')), ambiguityMs: 0 });
  await store.ensureTenant();
  integrationId = (await store.createIntegration({ name: 'acme', orgUrl: 'https://acme.okta.com', authMethod: 'ssws', secrets: { token: 't' }, allowHttp: false })).id;
});

afterAll(async () => {
  await gdb?.close();
  await tdb?.drop();
});

describe('store.scim', () => {
  it('a complete collection keeps SCIM-only rows and tombstones what it read before and no longer lists', async () => {
    const now = new Date();
    const both = await store.scim.create(integrationId, 'User', userWrite('both@example.com', '00uBOTH'), now, project(now));
    const only = await store.scim.create(integrationId, 'User', userWrite('only@example.com', null), now, project(now));
    await store.scim.create(integrationId, 'Group', { externalId: null, userName: null, displayName: 'G', active: null, resource: { schemas: [] }, members: [both.record.id, only.record.id] }, now, project(now));
    const byId = async () => new Map((await lines()).filter((l) => l.type === 'node' && l.kind === 'user').map((l) => [l.id, l]));
    expect((await byId()).get('00uBOTH')).toMatchObject({ arrivedVia: 'scim', login: 'both@example.com' });

    // The API lists 00uBOTH (and 00uAPI); the SCIM-only user and the edges stay.
    const read = new Date(now.getTime() + 1000);
    const run1 = await store.startRun({ integrationId, mode: 'full', trigger: 'scan', resources: ['users'] });
    await store.commitPage({ integrationId, runId: run1.id, resource: 'users', nextUrl: null, done: true, rows: { users: [f.user('00uBOTH', { login: 'both@example.com', sourceUpdatedAt: f.T0, observedAt: read }), f.user('00uAPI')] } });
    await store.updateRunResource(run1.id, 'users', { state: 'done' });
    expect(await store.finishFullSync(run1.id, 'users')).toBe(0);
    let users = await byId();
    expect(users.get('00uBOTH')).toMatchObject({ arrivedVia: 'both' });
    expect(users.get('00uAPI')).toMatchObject({ arrivedVia: 'api' });
    expect(users.get(only.record.graphId)).toMatchObject({ arrivedVia: 'scim' });
    expect(users.get(only.record.graphId)).not.toHaveProperty('deleted');

    // A later complete listing without 00uBOTH: the API read it once, so it is gone (the API wins).
    const run2 = await store.startRun({ integrationId, mode: 'full', trigger: 'scan', resources: ['users'] });
    await store.commitPage({ integrationId, runId: run2.id, resource: 'users', nextUrl: null, done: true, rows: { users: [f.user('00uAPI')] } });
    await store.updateRunResource(run2.id, 'users', { state: 'done' });
    expect(await store.finishFullSync(run2.id, 'users')).toBe(1);
    users = await byId();
    expect(users.get('00uBOTH')).toMatchObject({ deleted: true });
    expect(users.get(only.record.graphId)).not.toHaveProperty('deleted');
  });

  it('refuses filters on attributes it cannot answer, naming those it can', async () => {
    await expect(store.scim.list(integrationId, 'User', { filter: { op: 'eq', attrPath: 'shoeSize', compValue: '44' }, startIndex: 1, count: 10 })).rejects.toThrow(ScimFilterError);
    await expect(store.scim.list(integrationId, 'User', { filter: { op: 'gt', attrPath: 'active', compValue: true }, startIndex: 1, count: 10 })).rejects.toThrow(/only eq, ne and pr/);
    await expect(store.scim.list(integrationId, 'Group', { filter: { op: 'eq', attrPath: 'userName', compValue: 'x' }, startIndex: 1, count: 10 })).rejects.toThrow(/filter by id, externalId, displayName/);
    const page = await store.scim.list(integrationId, 'User', { filter: { op: 'sw', attrPath: 'USERNAME', compValue: 'ONLY' }, startIndex: 1, count: 10 });
    expect(page.items.map((u) => u.userName)).toEqual(['only@example.com']);
  });
});
