/**
 * Operator API latency: `idgraph serve` (the built CLI, its own process) on a graph of 100,000
 * users and 1,000,000 group memberships, under 20 concurrent clients (autocannon).
 *
 * The graph is written straight into PostgreSQL with generate_series (a collection run of that
 * size takes many minutes and is measured by the collection bench): 100,000 users (a few
 * deprovisioned, locked out), 2,000 groups with 10 memberships per user, 100 apps assigned to
 * groups and users, factors for two users in three, 20 direct super admins and a 500-member admin
 * group, and System Log events (sign-ins by the users, admin actions targeting them). The
 * findings are the posture checks' own, run on that graph.
 *
 * Routes measured: the findings list (first page, and pages further in through cursors) and the
 * person route for random users. Target: p99 under 100 ms.
 *
 * Run: pnpm bench api [--quick]   (env: BENCH_API_USERS, BENCH_API_EVENTS, BENCH_API_SECONDS)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { GraphStore, createSecretBox, migrateDatabase, openDatabase, type GraphDb } from '@idgraph/graph';
import { runPostureChecks } from '@idgraph/posture';
import { createTestDatabase } from '@idgraph/test-support';

const CLI = fileURLToPath(new URL('../../workers/cli/dist/main.js', import.meta.url));
const TENANT = 'bench';

export interface BenchApiOptions {
  users?: number;
  membershipsPerUser?: number;
  events?: number;
  seconds?: number;
  connections?: number;
}

export async function seedApiBenchGraph(gdb: GraphDb, integrationId: string, users: number, perUser: number, events: number): Promise<Record<string, number>> {
  const groups = 2000;
  const apps = 100;
  const scope = sql`${TENANT}, ${integrationId}::uuid`;
  const uid = (expr: string) => sql.raw(`'00ub' || lpad((${expr})::text, 10, '0')`);
  const gid = (expr: string) => sql.raw(`'00gb' || lpad((${expr})::text, 10, '0')`);
  const aid = (expr: string) => sql.raw(`'0oab' || lpad((${expr})::text, 10, '0')`);
  await gdb.execute(sql`
    INSERT INTO users (tenant_id, integration_id, okta_id, status, login, email, first_name, last_name, created, activated,
      status_changed, last_login, password_changed, credential_provider, source_updated_at)
    SELECT ${scope}, ${uid('i')},
      CASE WHEN i % 50 = 0 THEN 'DEPROVISIONED' WHEN i % 333 = 0 THEN 'LOCKED_OUT' ELSE 'ACTIVE' END,
      'user' || i || '@bench.example', 'user' || i || '@bench.example', 'First' || i, 'Last' || i,
      now() - interval '800 days', now() - interval '790 days', now() - interval '100 days',
      CASE WHEN i % 7 = 0 THEN NULL ELSE now() - (i % 200) * interval '1 day' END,
      now() - (i % 500) * interval '1 day', 'OKTA', now()
    FROM generate_series(0, ${users - 1}) i`);
  await gdb.execute(sql`
    INSERT INTO groups (tenant_id, integration_id, okta_id, group_type, name, source_updated_at)
    SELECT ${scope}, ${gid('i')}, 'OKTA_GROUP', 'Group ' || i, now() FROM generate_series(0, ${groups - 1}) i`);
  // Each user in `perUser` distinct groups (211 is coprime with 2,000).
  await gdb.execute(sql`
    INSERT INTO group_memberships (tenant_id, integration_id, user_id, group_id, source_updated_at)
    SELECT ${scope}, ${uid('i')}, ${gid(`(i * 7 + k * 211) % ${groups}`)}, now()
    FROM generate_series(0, ${users - 1}) i CROSS JOIN generate_series(0, ${perUser - 1}) k`);
  await gdb.execute(sql`
    INSERT INTO apps (tenant_id, integration_id, okta_id, name, label, status, sign_on_mode, source_updated_at)
    SELECT ${scope}, ${aid('j')}, 'app' || j, 'App ' || j, CASE WHEN j % 25 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END, 'SAML_2_0', now()
    FROM generate_series(0, ${apps - 1}) j`);
  await gdb.execute(sql`
    INSERT INTO app_group_assignments (tenant_id, integration_id, app_id, group_id, priority, source_updated_at)
    SELECT ${scope}, ${aid('j')}, ${gid(`j * 20 + k`)}, k, now() FROM generate_series(0, ${apps - 1}) j CROSS JOIN generate_series(0, 4) k`);
  await gdb.execute(sql`
    INSERT INTO app_user_assignments (tenant_id, integration_id, app_id, user_id, scope, status, source_updated_at)
    SELECT ${scope}, ${aid(`i % ${apps}`)}, ${uid('i')}, 'USER', 'ACTIVE', now() FROM generate_series(0, ${users - 1}) i`);
  await gdb.execute(sql`
    INSERT INTO factors (tenant_id, integration_id, okta_id, user_id, factor_type, provider, status, source_updated_at)
    SELECT ${scope}, 'opf' || lpad(i::text, 10, '0'), ${uid('i')}, 'push', 'OKTA', 'ACTIVE', now() FROM generate_series(0, ${users - 1}) i WHERE i % 3 <> 0
    UNION ALL
    SELECT ${scope}, 'fwf' || lpad(i::text, 10, '0'), ${uid('i')}, 'webauthn', 'FIDO', 'ACTIVE', now() FROM generate_series(0, ${users - 1}) i WHERE i % 10 = 0`);
  await gdb.execute(sql`
    INSERT INTO role_assignments (tenant_id, integration_id, principal_kind, principal_id, role_id, resource_set_id, status, source_updated_at)
    SELECT ${scope}, 'user', ${uid('i')}, 'SUPER_ADMIN', '', 'ACTIVE', now() FROM generate_series(0, 19) i
    UNION ALL SELECT ${scope}, 'group', ${gid('5')}, 'ORG_ADMIN', '', 'ACTIVE', now()`);
  // System Log: 90% sign-ins by a user (actor), 10% an admin acting on a user (target).
  await gdb.execute(sql`
    INSERT INTO log_events (tenant_id, integration_id, uuid, published, event_type, severity, actor_id, outcome, received_via, subject_ids, raw)
    SELECT ${scope}, e.uuid, e.published, e.type, 'INFO', e.actor, 'SUCCESS', 'poll',
      CASE WHEN e.target IS NULL THEN ARRAY[e.actor] ELSE ARRAY[e.actor, e.target] END,
      json_build_object('uuid', e.uuid, 'published', e.published, 'eventType', e.type, 'displayMessage', e.message,
        'actor', json_build_object('id', e.actor, 'type', 'User'),
        'target', CASE WHEN e.target IS NULL THEN '[]'::json ELSE json_build_array(json_build_object('id', e.target, 'type', 'User')) END)::text
    FROM (
      SELECT md5(n::text) AS uuid, now() - (${events} - n) * interval '10 seconds' AS published,
        CASE WHEN n % 10 = 0 THEN 'user.account.update_profile' ELSE 'user.session.start' END AS type,
        CASE WHEN n % 10 = 0 THEN 'Update user profile for Okta' ELSE 'User login to Okta' END AS message,
        CASE WHEN n % 10 = 0 THEN ${uid('n % 20')} ELSE ${uid(`(n::bigint * 7919) % ${users}`)} END AS actor,
        CASE WHEN n % 10 = 0 THEN ${uid(`(n::bigint * 104729) % ${users}`)} END AS target
      FROM generate_series(1, ${events}) n
    ) e`);
  // What autovacuum does to a table in steady state: statistics, and the BRIN ranges of the
  // events summarised (fresh pages are unsummarised and match every time window).
  await gdb.execute(sql`VACUUM ANALYZE`);
  const [counts] = await gdb.execute<Record<string, number>>(sql`SELECT
    (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM group_memberships) AS memberships,
    (SELECT count(*)::int FROM groups) AS groups, (SELECT count(*)::int FROM apps) AS apps,
    (SELECT count(*)::int FROM app_user_assignments) AS "appUsers", (SELECT count(*)::int FROM factors) AS factors,
    (SELECT count(*)::int FROM log_events) AS "logEvents"`);
  return counts!;
}

interface Scenario {
  name: string;
  paths: string[];
}

async function measure(base: string, key: string, s: Scenario, seconds: number, connections: number) {
  let n = 0;
  const next = () => s.paths[n++ % s.paths.length]!;
  const run = (duration: number) =>
    autocannon({
      url: base,
      connections,
      duration,
      headers: { authorization: `Bearer ${key}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: next() }) }],
    });
  await run(Math.max(2, Math.round(seconds / 5))); // warm-up: connections, plans, caches
  const r = await run(seconds);
  return {
    route: s.name,
    distinctPaths: s.paths.length,
    requests: r.requests.total,
    requestsPerSecond: Math.round(r.requests.average),
    non2xx: r.non2xx,
    errors: r.errors,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    p99UnderTarget: r.latency.p99 < 100,
  };
}

export async function benchApi(opts: BenchApiOptions = {}) {
  const users = opts.users ?? Number(process.env.BENCH_API_USERS ?? 100_000);
  const perUser = opts.membershipsPerUser ?? 10;
  const events = opts.events ?? Number(process.env.BENCH_API_EVENTS ?? 300_000);
  const seconds = opts.seconds ?? Number(process.env.BENCH_API_SECONDS ?? 20);
  const connections = opts.connections ?? 20;
  const db = await createTestDatabase('bench_api');
  const dir = await mkdtemp(join(tmpdir(), 'idgraph-bench-api-'));
  const secretKey = randomBytes(32).toString('base64url');
  let serve: ChildProcess | undefined;
  try {
    const gdb = await openDatabase({ databaseUrl: db.url });
    await migrateDatabase(gdb);
    const store = new GraphStore(gdb, { tenant: TENANT, secretBox: createSecretBox(secretKey) });
    await store.ensureTenant();
    const integration = await store.createIntegration({ name: 'bench', orgUrl: 'https://bench.okta.com', authMethod: 'ssws', secrets: { token: randomBytes(16).toString('hex') }, allowHttp: false });
    const seedStarted = Date.now();
    const graph = await seedApiBenchGraph(gdb, integration.id, users, perUser, events);
    const seedMs = Date.now() - seedStarted;
    const postureStarted = Date.now();
    const posture = await runPostureChecks({ store, db: gdb, integrationId: integration.id });
    const postureMs = Date.now() - postureStarted;
    await gdb.execute(sql`ANALYZE findings`);
    const findings = posture.checks.reduce((n, c) => n + c.count, 0);
    const { key } = await store.apiKeys.create('bench', 'read');
    await gdb.close();

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, DATABASE_URL: db.url, IDGRAPH_TENANT: TENANT, IDGRAPH_SECRET_KEY: secretKey, IDGRAPH_DATA_DIR: dir, LOG_LEVEL: 'warn' })) if (v !== undefined) env[k] = v;
    serve = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
      if (i > 200) throw new Error('idgraph serve did not answer /healthz');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Cursors of the first 200 pages, collected through the API itself.
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${base}/api/v1/findings?integration=bench&limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
      cursor = ((await res.json()) as { nextCursor: string | null }).nextCursor;
      if (cursor) cursors.push(cursor);
    } while (cursor && cursors.length < 200);

    const pick = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * users));
    const scenarios: Scenario[] = [
      { name: 'GET /api/v1/findings?integration=bench&limit=100 (first page)', paths: ['/api/v1/findings?integration=bench&limit=100'] },
      { name: 'GET /api/v1/findings?…&cursor=… (200 pages further in, 100 per page)', paths: cursors.map((c) => `/api/v1/findings?integration=bench&limit=100&cursor=${c}`) },
      { name: 'GET /api/v1/findings?severity=high&limit=100', paths: ['/api/v1/findings?integration=bench&severity=high&limit=100'] },
      { name: 'GET /api/v1/people/bench/{userId} (random users)', paths: pick(5000).map((i) => `/api/v1/people/bench/00ub${String(i).padStart(10, '0')}`) },
    ];
    const results = [];
    for (const s of scenarios) results.push(await measure(base, key, s, seconds, connections));
    // One client at a time: the service time of each route, without queueing behind the others.
    const serviceTime = [];
    for (const s of scenarios) serviceTime.push(await measure(base, key, s, Math.max(3, Math.round(seconds / 4)), 1));
    const [load1, load5] = loadavg();
    return {
      graph: { ...graph, findings, seedMs, postureMs },
      clients: connections,
      secondsPerRoute: seconds,
      targetP99Ms: 100,
      // Other work on the machine during the run (2 cores are shared): a load far above the core count
      // means the figures include waiting for a CPU.
      loadAverage: { oneMinute: load1, fiveMinutes: load5 },
      results,
      oneClient: serviceTime.map((r) => ({ route: r.route, requestsPerSecond: r.requestsPerSecond, latencyMs: r.latencyMs })),
    };
  } finally {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
