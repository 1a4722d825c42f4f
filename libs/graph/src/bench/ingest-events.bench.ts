/**
 * Store-level ingest benchmark: System Log events with one graph mutation each, through
 * GraphStore.ingestEvents in batches, on PostgreSQL. Creates and drops its own scratch database.
 *
 *   pnpm exec tsx libs/graph/src/bench/ingest-events.bench.ts [events=50000] [batch=1000]
 *
 * Admin connection: BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test).
 * Prints one JSON line: events/s for the whole run, and for the export of the resulting graph.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { migrateDatabase, openDatabase } from '../db.js';
import type { GraphMutation, UserRow } from '../model.js';
import { createSecretBox } from '../secrets.js';
import { GraphStore } from '../store.js';

export interface IngestBenchResult {
  events: number;
  batch: number;
  seconds: number;
  eventsPerSecond: number;
  exportLines: number;
  exportLinesPerSecond: number;
}

const USERS = 5000;
const GROUPS = 300;

/** A realistic System Log event body (~1 KB), which is what dominates the insert cost. */
function rawEvent(uuid: string, published: Date, userId: string, groupId: string): unknown {
  return {
    uuid,
    published: published.toISOString(),
    eventType: 'group.user_membership.add',
    severity: 'INFO',
    displayMessage: 'Add user to group membership',
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
    client: { userAgent: { rawUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0' }, ipAddress: '10.0.0.1', zone: 'null' },
    outcome: { result: 'SUCCESS' },
    target: [
      { id: userId, type: 'User', alternateId: `${userId}@example.com`, displayName: userId },
      { id: groupId, type: 'UserGroup', alternateId: 'unknown', displayName: `Group ${groupId}` },
    ],
    transaction: { type: 'WEB', id: randomBytes(8).toString('hex') },
    debugContext: { debugData: { requestId: randomBytes(12).toString('hex'), requestUri: `/api/v1/groups/${groupId}/users/${userId}` } },
  };
}

function mutationFor(i: number, at: Date): GraphMutation {
  const userId = `00u${i % USERS}`;
  const groupId = `00g${i % GROUPS}`;
  switch (i % 4) {
    case 0:
      return { kind: 'membership.add', at, userId, groupId };
    case 1:
      return { kind: 'membership.remove', at, userId: `00u${(i * 7) % USERS}`, groupId };
    case 2:
      return { kind: 'user.status', at, userId, status: i % 8 === 2 ? 'SUSPENDED' : 'ACTIVE' };
    default:
      return { kind: 'appUser.add', at, appId: `0oa${i % 50}`, userId };
  }
}

export async function benchIngest(opts: { adminUrl: string; events: number; batch: number }): Promise<IngestBenchResult> {
  const name = `idg_bench_ingest_${randomBytes(4).toString('hex')}`;
  const admin = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(opts.adminUrl);
  url.pathname = `/${name}`;
  const gdb = await openDatabase({ databaseUrl: url.toString() });
  try {
    await migrateDatabase(gdb);
    const store = new GraphStore(gdb, { tenant: 'bench', secretBox: createSecretBox(randomBytes(32).toString('base64url')) });
    await store.ensureTenant();
    const integ = await store.createIntegration({ name: 'bench', orgUrl: 'https://bench.okta.com', authMethod: 'ssws', secrets: { token: 'bench' }, allowHttp: false });
    const users: UserRow[] = Array.from({ length: USERS }, (_, i) => ({
      oktaId: `00u${i}`, status: 'ACTIVE', login: `u${i}@example.com`, email: null, firstName: null, lastName: null, created: null,
      activated: null, statusChanged: null, lastLogin: null, passwordChanged: null, credentialProvider: 'OKTA', raw: { id: `00u${i}` },
      sourceUpdatedAt: new Date(0),
    }));
    await store.commitPage({ integrationId: integ.id, runId: null, resource: 'users', nextUrl: null, done: true, rows: { users } });

    const base = Date.now();
    const started = performance.now();
    for (let from = 0; from < opts.events; from += opts.batch) {
      const items = [];
      for (let i = from; i < Math.min(from + opts.batch, opts.events); i++) {
        const at = new Date(base + i);
        const uuid = randomUUID();
        items.push({
          integrationId: integ.id,
          via: 'stream' as const,
          row: { uuid, published: at, eventType: 'group.user_membership.add', severity: 'INFO', actorId: '00uadmin', outcome: 'SUCCESS', subjectIds: ['00uadmin', `00u${i % USERS}`],
            raw: rawEvent(uuid, at, `00u${i % USERS}`, `00g${i % GROUPS}`) },
          mutations: [mutationFor(i, at)],
        });
      }
      await store.ingestEvents(items);
    }
    const seconds = (performance.now() - started) / 1000;

    const exportStarted = performance.now();
    let exportLines = 0;
    for await (const _line of store.exportGraph({ integrationId: integ.id })) exportLines++;
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    return {
      events: opts.events,
      batch: opts.batch,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSecond: Math.round(opts.events / seconds),
      exportLines,
      exportLinesPerSecond: Math.round(exportLines / exportSeconds),
    };
  } finally {
    await gdb.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const events = Number(process.argv[2] ?? 50_000);
  const batch = Number(process.argv[3] ?? 1000);
  if (!Number.isInteger(events) || events <= 0 || !Number.isInteger(batch) || batch <= 0) {
    process.stderr.write('usage: ingest-events.bench.ts [events>0] [batch>0]\n');
    process.exit(2);
  }
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const result = await benchIngest({ adminUrl, events, batch });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
