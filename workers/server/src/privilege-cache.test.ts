import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, GraphStore, migrateDatabase, openDatabase, type GraphDb } from '@idgraph/graph';
import { createTestDatabase, waitFor, type TestDatabase } from '@idgraph/test-support';
import { PrivilegeCache } from './privilege-cache.js';

describe('PrivilegeCache', () => {
  let db: TestDatabase;
  let gdb: GraphDb;
  let store: GraphStore;
  let integrationId: string;

  const grant = (userId: string, role: string) =>
    gdb.execute(sql`INSERT INTO role_assignments (tenant_id, integration_id, principal_kind, principal_id, role_id, resource_set_id, status, source_updated_at)
      VALUES ('acme', ${integrationId}::uuid, 'user', ${userId}, ${role}, '', 'ACTIVE', now())`);

  beforeAll(async () => {
    db = await createTestDatabase('privilege_cache');
    gdb = await openDatabase({ databaseUrl: db.url });
    await migrateDatabase(gdb);
    store = new GraphStore(gdb, { tenant: 'acme', secretBox: createSecretBox(randomBytes(32).toString('base64url')) });
    await store.ensureTenant();
    integrationId = (await store.createIntegration({ name: 'acme', orgUrl: 'https://acme.okta.com', authMethod: 'ssws', secrets: { token: 'x' }, allowHttp: false })).id;
    await gdb.execute(sql`INSERT INTO users (tenant_id, integration_id, okta_id, status, login, source_updated_at)
      VALUES ('acme', ${integrationId}::uuid, '00uAlice', 'ACTIVE', 'alice', now()), ('acme', ${integrationId}::uuid, '00uBob', 'ACTIVE', 'bob', now())`);
    await grant('00uAlice', 'SUPER_ADMIN');
  });

  afterAll(async () => {
    await gdb?.close();
    await db?.drop();
  });

  it('loads once for concurrent requests, then serves the older graph while a newer one loads in the background', async () => {
    const cache = new PrivilegeCache(0);
    const [a, b] = await Promise.all([cache.get(store, integrationId), cache.get(store, integrationId)]);
    expect(a).toBe(b);
    expect(a.holdersOf.get('user:00uAlice')?.map((h) => h.role)).toEqual(['SUPER_ADMIN']);
    expect(a.holdersOf.get('user:00uBob')).toBeUndefined();

    await grant('00uBob', 'ORG_ADMIN');
    // Expired (ttl 0): the request gets the graph it had at once, and starts a load.
    const stale = await cache.get(store, integrationId);
    expect(stale).toBe(a);
    const fresh = await waitFor('the reloaded privilege graph', async () => {
      const p = await cache.get(store, integrationId);
      return p !== a && p.holdersOf.has('user:00uBob') ? p : undefined;
    });
    expect(fresh.holdersOf.get('user:00uBob')?.map((h) => h.role)).toEqual(['ORG_ADMIN']);
    expect(fresh.loadedAt.getTime()).toBeGreaterThanOrEqual(a.loadedAt.getTime());
  });

  it('keeps a graph for ttlMs', async () => {
    const cache = new PrivilegeCache(60_000);
    const first = await cache.get(store, integrationId);
    await grant('00uAlice', 'ORG_ADMIN');
    expect(await cache.get(store, integrationId)).toBe(first);
  });

  it('does not keep a failed load: the next request loads again', async () => {
    const cache = new PrivilegeCache(60_000);
    let databaseAway = true;
    const away = { execute: () => Promise.reject(new Error('database away')) };
    const flaky = new Proxy(store, { get: (target, prop) => (prop === 'gdb' && databaseAway ? away : Reflect.get(target, prop, target)) });
    await expect(cache.get(flaky, integrationId)).rejects.toThrow('database away');
    databaseAway = false;
    expect((await cache.get(flaky, integrationId)).holdersOf.get('user:00uAlice')?.length).toBeGreaterThan(0);
  });
});
