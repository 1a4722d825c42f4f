/**
 * Privacy requests end to end: two simulated orgs (the same person in both) collected into
 * PostgreSQL with their System Log and posture findings. Access returns every row that mentions the
 * person; erasure leaves no trace of their address, login or name in any text or JSON column of
 * any table, leaves everyone else's rows as they were, and records the erasure by a salted hash.
 * A later collection that sees the person again collects them again, and the record says so.
 */
import { createHash, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import { createSecretBox, GraphStore, migrateDatabase, openDatabase, type GraphDb, type Integration } from '@idgraph/graph';
import { createOktaClient } from '@idgraph/okta';
import { startOktaSim, type OktaSim, type SimUser } from '@idgraph/okta-sim';
import { refreshObjects, runCollection } from '@idgraph/collector';
import { runPostureChecks } from '@idgraph/posture';
import { addressHash, listAudit, listErasures, privacyAccess, privacyErase, type ActionContext } from '@idgraph/actions';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';

const logger = createLogger({ level: 'warn', name: 'privacy-e2e' });

interface Org {
  sim: OktaSim;
  integration: Integration;
}

describe('privacy access and erasure', () => {
  let tdb: TestDatabase;
  let gdb: GraphDb;
  let store: GraphStore;
  let pg: postgres.Sql;
  let a: Org;
  let b: Org;
  let ctx: ActionContext;
  let person: SimUser;
  let needles: string[];

  const clientOf = (org: Org) => createOktaClient({ orgUrl: org.sim.url, auth: { kind: 'ssws', token: org.sim.apiToken }, allowInsecureHttp: true, logger });
  async function collect(org: Org): Promise<void> {
    const summary = await runCollection({ client: clientOf(org), store, integration: { id: org.integration.id }, mode: 'full', trigger: 'scan', logger });
    expect(summary.status, summary.error).toBe('succeeded');
    await runPostureChecks({ db: gdb, store, integrationId: org.integration.id, now: org.sim.org.now });
  }

  /** Every text and JSON column of every table of the database (the audit and erasure records included). */
  async function textColumns(): Promise<{ table: string; column: string }[]> {
    const rows = await pg<{ table_schema: string; table_name: string; column_name: string }[]>`
      SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')`;
    return rows.map((r) => ({ table: `"${r.table_schema}"."${r.table_name}"`, column: r.column_name }));
  }
  /** Rows per table whose text or JSON columns contain any of the strings (case-insensitively). */
  async function search(strings: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const c of await textColumns()) {
      for (const s of strings) {
        const [r] = await pg.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${c.table} WHERE strpos(lower("${c.column}"::text), $1) > 0`, [s.toLowerCase()]);
        if (r!.n > 0) out[`${c.table}.${c.column} ~ ${s}`] = r!.n;
      }
    }
    return out;
  }
  /** Everyone else's rows, per table, as a count and a digest of their content. */
  async function others(ids: string[], untouchedUuids: string[]): Promise<Record<string, { rows: number; digest: string }>> {
    const queries: Record<string, string> = {
      users: `SELECT * FROM users WHERE okta_id <> ALL($1::text[]) ORDER BY integration_id, okta_id`,
      group_memberships: `SELECT * FROM group_memberships WHERE user_id <> ALL($1::text[]) ORDER BY integration_id, user_id, group_id`,
      app_user_assignments: `SELECT * FROM app_user_assignments WHERE user_id <> ALL($1::text[]) ORDER BY integration_id, app_id, user_id`,
      factors: `SELECT * FROM factors WHERE user_id <> ALL($1::text[]) ORDER BY integration_id, okta_id`,
      role_assignments: `SELECT * FROM role_assignments WHERE NOT (principal_kind = 'user' AND principal_id = ANY($1::text[])) ORDER BY 1, 2, principal_kind, principal_id, role_id, resource_set_id`,
      groups: `SELECT * FROM groups WHERE $1::text[] IS NOT NULL ORDER BY integration_id, okta_id`,
      apps: `SELECT * FROM apps WHERE $1::text[] IS NOT NULL ORDER BY integration_id, okta_id`,
      app_group_assignments: `SELECT * FROM app_group_assignments WHERE $1::text[] IS NOT NULL ORDER BY integration_id, app_id, group_id`,
      findings: `SELECT * FROM findings WHERE NOT (subject = ANY(SELECT 'user:' || x FROM unnest($1::text[]) x)) ORDER BY integration_id, check_id, subject`,
      // Events are kept (only the person is taken out of them): all of them are counted, and
      // those not mentioning the person must be byte for byte the same.
      log_events_all: `SELECT uuid FROM log_events WHERE $1::text[] IS NOT NULL ORDER BY integration_id, uuid`,
      log_events_untouched: `SELECT uuid, raw FROM log_events WHERE $1::text[] IS NOT NULL AND uuid = ANY($2::text[]) ORDER BY integration_id, uuid`,
    };
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const [name, q] of Object.entries(queries)) {
      const rows = await pg.unsafe(q, q.includes('$2') ? [ids, untouchedUuids] : [ids]);
      out[name] = { rows: rows.length, digest: createHash('sha256').update(JSON.stringify(rows)).digest('hex') };
    }
    return out;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('privacy_e2e');
    gdb = await openDatabase({ databaseUrl: tdb.url, maxConnections: 4 });
    await migrateDatabase(gdb);
    store = new GraphStore(gdb, { tenant: 'privacy-e2e', secretBox: createSecretBox(randomBytes(32).toString('base64url')) });
    await store.ensureTenant();
    const simA = await startOktaSim({ seed: 13, users: 120, logDays: 7 });
    const simB = await startOktaSim({ seed: 14, users: 60, logDays: 7 });
    // The person: an admin who acts in the System Log (and is a target there), with app assignments,
    // memberships and factors.
    const actors = new Set(simA.org.events.map((e) => e.actor.id));
    const targets = new Set(simA.org.events.flatMap((e) => (e.target ?? []).map((t) => t.id)));
    // An ACTIVE direct admin without a phishing-resistant factor (so admin.no_phishing_resistant_mfa
    // names them) who acts in the System Log; an app assignment and an sms factor make them a target too.
    const directAdmins = new Set([...simA.org.roleAssignments.values()].filter((r) => r.principalKind === 'user').map((r) => r.principalId));
    const weakOnly = (u: SimUser) => (simA.org.factors.get(u.id) ?? []).every((f) => f.factorType !== 'webauthn' && f.factorType !== 'signed_nonce');
    person = [...simA.org.users.values()].find((u) => u.status === 'ACTIVE' && directAdmins.has(u.id) && weakOnly(u) && actors.has(u.id))!;
    expect(person).toBeDefined();
    const app = [...simA.org.apps.values()].find((x) => x.status === 'ACTIVE' && !x.isServiceApp && !simA.org.appUserAssignments.get(x.id)?.has(person.id))!;
    simA.mutate({ type: 'app.user.assign', appId: app.id, userId: person.id });
    if (!(simA.org.factors.get(person.id) ?? []).some((f) => f.factorType === 'sms')) simA.mutate({ type: 'factor.activate', userId: person.id, factorType: 'sms' });
    expect(targets.size).toBeGreaterThan(0);
    person.profile.secondEmail = `${person.profile.firstName}.private@example.org`.toLowerCase();
    // The same person in the second org, under another user id.
    const twin = [...simB.org.users.values()].find((u) => u.status === 'ACTIVE')!;
    Object.assign(twin.profile, { login: person.profile.login, email: person.profile.email, secondEmail: person.profile.secondEmail, firstName: person.profile.firstName, lastName: person.profile.lastName });
    needles = [person.profile.login, person.profile.email, person.profile.secondEmail!, `${person.profile.firstName} ${person.profile.lastName}`];

    const add = (name: string, sim: OktaSim) => store.createIntegration({ name, orgUrl: sim.url, authMethod: 'ssws', secrets: { token: sim.apiToken }, allowHttp: true, allowActions: true });
    a = { sim: simA, integration: await add('org-a', simA) };
    b = { sim: simB, integration: await add('org-b', simB) };
    await collect(a);
    await collect(b);
    ctx = {
      store,
      requestedBy: 'test:privacy',
      logger,
      refresh: (i, requests) => refreshObjects({ client: clientOf(i.id === a.integration.id ? a : b), store, integration: { id: i.id }, requests, logger, trigger: 'action' }),
    };
    pg = postgres(tdb.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await a?.sim.close();
    await b?.sim.close();
    await pg?.end();
    await gdb?.close();
    await tdb?.drop();
  });

  it('access returns every row that mentions the person, across integrations, matched by any of their addresses', async () => {
    const result = await privacyAccess(store, { email: `  ${person.profile.secondEmail!.toUpperCase()} ` });
    expect(result.matched.map((m) => m.integration).sort()).toEqual(['org-a', 'org-b']);
    expect(new Set(result.matched.map((m) => m.login))).toEqual(new Set([person.profile.login]));
    for (const source of ['users', 'group_memberships', 'app_user_assignments', 'factors', 'log_events', 'findings']) {
      expect(result.counts[source], source).toBeGreaterThan(0);
    }
    const events = result.sources.log_events as { raw: { actor: { id: string }; target: { id: string }[] | null } }[];
    expect(events.some((e) => e.raw.actor.id === person.id)).toBe(true);
    expect(events.some((e) => (e.raw.target ?? []).some((t) => t.id === person.id))).toBe(true);

    // Nothing mentioning them is left out: each table's rows that contain any of their strings.
    const ids = result.matched.map((m) => m.userId);
    const pattern = [...needles, ...ids].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const uuids = await pg.unsafe<{ uuid: string }[]>(`SELECT uuid FROM log_events WHERE raw ~* $1`, [pattern]);
    expect(new Set(events.map((e) => (e as unknown as { uuid: string }).uuid))).toEqual(new Set(uuids.map((r) => r.uuid)));
    for (const table of ['users', 'app_user_assignments', 'findings']) {
      const [mentioning] = await pg.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}" t WHERE to_jsonb(t.*)::text ~* $1`, [needles.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')]);
      expect(result.counts[table], table).toBeGreaterThanOrEqual(mentioning!.n);
    }
    const found = await search(needles);
    const covered = new Set(['users', 'app_user_assignments', 'log_events', 'findings', ...((result.sources.mentions ?? []) as { table: string }[]).map((m) => m.table)]);
    for (const key of Object.keys(found)) expect(covered.has(/^"public"\."([^"]+)"/.exec(key)?.[1] ?? key), key).toBe(true);
  });

  it('erase removes every trace of the address, login and name, keeps everyone else\'s data, and records a salted hash', async () => {
    const ids = (await privacyAccess(store, { email: person.profile.login })).matched.map((m) => m.userId);
    expect(ids).toHaveLength(2);
    expect(Object.keys(await search(needles)).length).toBeGreaterThan(0);
    // Events about the person: by what names them, or by their user id in either org.
    const pattern = [...needles, ...ids].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const untouched = (await pg.unsafe<{ uuid: string }[]>(`SELECT uuid FROM log_events WHERE NOT (raw ~* $1)`, [pattern])).map((r) => r.uuid);
    expect(untouched.length).toBeGreaterThan(0);
    const before = await others(ids, untouched);
    const subjectRows = async () => (await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events WHERE subject_ids && ${ids}::text[]`)[0]!.n;
    expect(await subjectRows()).toBeGreaterThan(0);

    const result = await privacyErase(ctx, { email: person.profile.email.toUpperCase() });
    expect(result.erased).toBe(true);
    expect(result.matched).toBe(2);
    expect(result.counts.users).toBe(2);
    expect(result.counts.log_events).toBeGreaterThan(0);

    expect(await search(needles)).toEqual({});
    const after = await others(ids, untouched);
    expect(after).toEqual(before);
    for (const table of ['users', 'group_memberships', 'app_user_assignments', 'factors']) {
      const [left] = await pg.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${table === 'users' ? 'okta_id' : 'user_id'} = ANY($1)`, [ids]);
      expect(left!.n, table).toBe(0);
    }
    const [actorLeft] = await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM log_events WHERE actor_id = ANY(${ids})`;
    expect(actorLeft!.n).toBe(0);
    // Nor does the index of each event's users still lead to them.
    expect(await subjectRows()).toBe(0);

    const [record] = await pg<{ id: string; requested_by: string; address_hash: string; salt: string; counts: Record<string, number> }[]>`SELECT * FROM privacy_erasures`;
    expect(record!.requested_by).toBe('test:privacy');
    expect(record!.address_hash).toBe(createHash('sha256').update(`${record!.salt}:${person.profile.email.toLowerCase()}`).digest('hex'));
    expect(record!.address_hash).toBe(addressHash(record!.salt, person.profile.email));
    expect(record!.counts).toEqual(result.counts);
    expect((await listErasures(store))[0]).toMatchObject({ id: result.erasureId, recollected: null });
    expect((await privacyAccess(store, { email: person.profile.login })).matched).toEqual([]);
  });

  it('a later collection that sees the person again collects them again, and the erasure record says so', async () => {
    await collect(a);
    const back = await privacyAccess(store, { email: person.profile.login });
    expect(back.matched.map((m) => m.integration)).toEqual(['org-a']);
    const [record] = await listErasures(store);
    expect(record!.recollected).toMatchObject({ users: 1, integrations: ['org-a'] });
    // A whole full collection of the org runs inside this test.
  }, 240_000);

  it('--in-okta deactivates and deletes the person in Okta as audited actions: a dry run first, then applied', async () => {
    const admins = new Set([...a.sim.org.roleAssignments.values()].map((r) => r.principalId));
    const other = [...a.sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !admins.has(u.id) && u.id !== person.id)!;
    const auditBefore = (await listAudit(store)).length;

    const dry = await privacyErase(ctx, { email: other.profile.login, inOkta: true });
    expect(dry.erased).toBe(false);
    expect(dry.inOkta.map((r) => [r.action, r.result.outcome])).toEqual([['deactivate', 'dry-run']]);
    expect(dry.inOkta[0]!.requests).toEqual([{ method: 'POST', path: `/api/v1/users/${other.id}/lifecycle/deactivate` }]);
    expect(a.sim.org.users.get(other.id)?.status).toBe('ACTIVE');
    expect((await privacyAccess(store, { email: other.profile.login })).matched).toHaveLength(1);

    const applied = await privacyErase(ctx, { email: other.profile.login, inOkta: true, apply: true });
    expect(applied.erased, applied.message).toBe(true);
    expect(applied.inOkta.map((r) => [r.action, r.result.outcome])).toEqual([['deactivate', 'applied'], ['delete-user', 'applied']]);
    expect(a.sim.org.users.has(other.id)).toBe(false);
    expect(await search([other.profile.login, `${other.profile.firstName} ${other.profile.lastName}`])).toEqual({});
    const audit = await listAudit(store);
    expect(audit.length).toBe(auditBefore + 3);
    expect(audit.slice(0, 3).map((e) => [e.action, e.outcome, e.subject]).reverse()).toEqual([
      ['deactivate', 'dry-run', `user:${other.id}`],
      ['deactivate', 'applied', `user:${other.id}`],
      ['delete-user', 'applied', `user:${other.id}`],
    ]);
    const [record] = await listErasures(store);
    expect(record!.inOkta).toEqual(applied.inOkta.map((r) => ({ action: r.action, subject: r.subject, outcome: 'applied', auditId: r.result.auditId })));
  });
});
