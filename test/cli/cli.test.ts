/**
 * The `idgraph` CLI as a user (and the independent checks) run it: the built binary in a child
 * process, against the simulator and a real PostgreSQL database.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { sortExportLines, toJsonl } from '@idgraph/graph';
import { POSTURE_CHECKS } from '@idgraph/posture';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startOktaSim({ seed: 11, users: 300, rateLimitFactor: 20, tokenShare: 1 });
  db = await createTestDatabase('cli');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-cli-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('usage and exit codes', () => {
  it('prints help with exit 0 and rejects bad usage with exit 2', async () => {
    const help = await runCli(['--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('graph');
    const subHelp = await runCli(['graph', 'export', '--help'], { env });
    expect(subHelp.code).toBe(0);
    expect(subHelp.stdout).toContain('--include-deleted');
    expect((await runCli(['no-such-command'], { env })).code).toBe(2);
    const noTarget = await runCli(['scan'], { env });
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--org-url');
    expect((await runCli(['ingest-events', '--integration', 'x'], { env })).code).toBe(2);
  });

  it('refuses an http org URL without --allow-http, naming the flag', async () => {
    const r = await runCli(['scan', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-http');
  });

  it('names the missing environment variable', async () => {
    const r = await runCli(['scan', '--org-url', sim.url, '--token-env', 'NOT_SET_ANYWHERE', '--allow-http'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_SET_ANYWHERE');
  });
});

describe('integration add', () => {
  it('refuses credentials that can read nothing, saying what to allow, and never echoes the token', async () => {
    // (Credentials that can read some resources are stored with a warning: see scopes-resume.test.ts.)
    const limited = sim.createApiToken({ scopes: ['okta.logStreams.read'] });
    const r = await runCli(['integration', 'add', 'limited', '--org-url', sim.url, '--token-env', 'LIMITED', '--allow-http'], { env: { ...env, LIMITED: limited } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/these credentials cannot collect anything/);
    expect(r.stdout.match(/\[1\] Okta refused \(E0000006/g)).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain(limited);
    const list = await runCli(['integration', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});

describe('OAuth 2.0 service app (private_key_jwt, DPoP required)', () => {
  it('adds and scans with a client id, key file and kid; the key never reaches the output', async () => {
    const app = await sim.createServiceApp({
      scopes: ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.roles.read', 'okta.logs.read'],
      dpop: true,
      roles: ['READ_ONLY_ADMIN'],
    });
    const keyFile = join(dir, 'service-app.pem');
    await writeFile(keyFile, app.privateKeyPem, { mode: 0o600 });
    const add = await runCli(
      ['integration', 'add', 'svc', '--org-url', sim.url, '--client-id', app.clientId, '--key-file', keyFile, '--kid', app.keyId, '--allow-http', '--json'],
      { env },
    );
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ added: true, integration: { name: 'svc', authMethod: 'oauth' } });
    const scan = await runCli(['scan', 'svc', '--json', '--resources', 'users,groups,group_members'], { env });
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.stdout)).toMatchObject({ integration: 'svc', status: 'succeeded' });
    for (const text of [add.stdout, add.stderr, scan.stdout, scan.stderr]) expect(text).not.toContain('PRIVATE KEY');
    const bad = await runCli(['integration', 'add', 'svc2', '--org-url', sim.url, '--client-id', app.clientId, '--key-file', join(dir, 'missing.pem'), '--kid', app.keyId, '--allow-http'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('missing.pem');
    const half = await runCli(['integration', 'add', 'svc3', '--org-url', sim.url, '--client-id', app.clientId, '--allow-http'], { env });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--key-file');
    await runCli(['integration', 'remove', 'svc'], { env });
  });
});

describe('scan → graph export → ingest-events → report', () => {
  it('scans ad hoc and exports exactly what the org holds', async () => {
    const scan = await runCli(['scan', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http', '--name', 'sim', '--json', '--rate-share', '1'], { env });
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
    const summary = JSON.parse(scan.stdout);
    expect(summary).toMatchObject({ integration: 'sim', status: 'succeeded' });
    expect(summary.counts.users).toBe(300);
    expect(summary.requests).toBeGreaterThan(0);
    expect(scan.stdout).not.toContain(sim.apiToken);

    const exported = await runCli(['graph', 'export', '--integration', 'sim'], { env });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(toJsonl(sortExportLines(sim.truth())));
  });

  it('ingests a JSONL file once: the second replay stores nothing; bad lines are rejected with reasons', async () => {
    const mutations = Array.from({ length: 12 }, () => sim.mutate());
    const lines = [
      ...mutations.map((m, i) => JSON.stringify(i % 2 ? m.envelope : m.event)),
      'this is not json',
      JSON.stringify({ version: '0', 'detail-type': 'SystemLog', source: 'aws.partner/okta.com/other/stream', detail: {} }),
    ];
    const file = join(dir, 'events.jsonl');
    await writeFile(file, lines.join('\n') + '\n');

    const first = await runCli(['ingest-events', '--integration', 'sim', '--file', file, '--json'], { env });
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout);
    // Every simulator change is an event that changes the graph.
    expect(a).toMatchObject({ read: 14, stored: 12, duplicates: 0, applied: 12, rejected: 2 });
    expect(a.mutationsApplied).toBeGreaterThan(0);
    expect(a.rejections.map((r: { line: number }) => r.line)).toEqual([13, 14]);
    // The events were applied and their side effects re-read inline: the graph is the org again.
    const after = await runCli(['graph', 'export', '--integration', 'sim'], { env });
    expect(after.stdout).toBe(toJsonl(sortExportLines(sim.truth())));

    const second = await runCli(['ingest-events', '--integration', 'sim', '--file', '-', '--json'], { env, input: lines.join('\n') });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ read: 14, stored: 0, duplicates: 12, applied: 0, refreshed: 0, rejected: 2 });

    const missing = await runCli(['ingest-events', '--integration', 'sim', '--file', join(dir, 'nope.jsonl')], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.jsonl');
    const directory = await runCli(['ingest-events', '--integration', 'sim', '--file', dir], { env });
    expect(directory.code).toBe(1);
    expect(directory.stderr).toContain('it is a directory');
  });

  it('keeps line numbers, counts and the graph right across decoding chunks and write batches', async () => {
    // 4,600 lines of ~2.2 KB (three 4 MB reads): lines span reads, whose batches are written concurrently.
    const session = (uuid: string, n: number) => JSON.stringify({
      version: '0', id: randomUUID(), 'detail-type': 'SystemLog', source: 'aws.partner/okta.com/sim/stream', account: '1', time: '2026-01-01T00:00:00Z',
      region: 'us-east-1', resources: [],
      detail: { uuid, published: new Date(Date.UTC(2026, 0, 1) + n).toISOString(), eventType: 'user.session.start', version: '0', severity: 'INFO',
        actor: { id: '00uquiet', type: 'User', alternateId: 'q@example.com', displayName: 'Q' }, outcome: { result: 'SUCCESS' }, target: [],
        debugContext: { debugData: { padding: 'x'.repeat(1500) } } },
    });
    const repeated = randomUUID();
    const bad = new Map([[1, 'not JSON'], [777, 'not JSON'], [2001, 'message is not a JSON object'], [4600, 'not JSON']]);
    const lines: string[] = [];
    for (let n = 1; n <= 4600; n++) {
      if (bad.has(n)) lines.push(bad.get(n) === 'not JSON' ? '{"truncated":' : '[1,2]');
      else if (n === 1500) lines.push('');
      // Lines 10 and 3000 hold the same event (in envelopes of their own): a plain duplicate.
      else lines.push(n === 10 || n === 3000 ? session(repeated, 10) : session(randomUUID(), n));
    }
    const file = join(dir, 'many.jsonl');
    await writeFile(file, lines.join('\n') + '\n');
    expect((await stat(file)).size).toBeGreaterThan(2 * 4 * 2 ** 20);
    const r = await runCli(['ingest-events', '--integration', 'sim', '--file', file, '--json'], { env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ read: 4599, stored: 4594, duplicates: 1, applied: 0, mutationsApplied: 0, rejected: 4 });
    expect(report.rejections).toEqual([...bad].map(([line, reason]) => ({ line, reason })));
    // The same bytes through stdin (gathered into the same chunk sizes): all stored already.
    const replay = await runCli(['ingest-events', '--integration', 'sim', '--file', '-', '--json'], { env, input: await readFile(file, 'utf8') });
    expect(replay.code).toBe(0);
    const again = JSON.parse(replay.stdout);
    expect(again).toMatchObject({ read: 4599, stored: 0, duplicates: 4595, applied: 0, rejected: 4 });
    expect(again.rejections).toEqual(report.rejections);
    const after = await runCli(['graph', 'export', '--integration', 'sim'], { env });
    expect(after.stdout).toBe(toJsonl(sortExportLines(sim.truth())));
  });

  it('rejects events over the limits, with lone surrogates or a non-uuid uuid, each with its reason; counts conflicting duplicates; stores only what reads back as jsonb', async () => {
    const event = (uuid: string, extra: Record<string, unknown> = {}) => ({
      uuid, published: '2026-02-01T00:00:00.000Z', eventType: 'user.session.start', version: '0', severity: 'INFO',
      actor: { id: '00uquiet', type: 'User', alternateId: 'q@example.com', displayName: 'Q' }, outcome: { result: 'SUCCESS' }, target: [],
      ...extra,
    });
    const envelope = (detail: unknown) => JSON.stringify({
      version: '0', id: randomUUID(), 'detail-type': 'SystemLog', source: 'aws.partner/okta.com/sim/stream', account: '1', time: '2026-02-01T00:00:00Z',
      region: 'us-east-1', resources: [], detail,
    });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const [head, tail] = envelope(event(c, { displayMessage: '@@' })).split('@@');
    const lines: (string | Buffer)[] = [
      envelope(event(a)),
      envelope(event(randomUUID(), { debugContext: { debugData: { padding: 'x'.repeat(2 << 20) } } })),
      envelope(event(randomUUID())).replace(/}}$/, `,"deep":${deep}}}`),
      envelope(event(randomUUID(), { displayMessage: 'lone \ud800 surrogate' })),
      // U+D800 encoded on its own as if it were a character: not UTF-8.
      Buffer.concat([Buffer.from(head!), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(tail!)]),
      envelope(event('not-a-uuid-7f3a')),
      envelope(event(a, { outcome: { result: 'FAILURE' } })),
      JSON.stringify(event(a)),
      envelope(event(b)),
    ];
    const file = join(dir, 'hostile.jsonl');
    await writeFile(file, Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')])));
    const limited = { ...env, IDGRAPH_MAX_EVENT_BYTES: String(1 << 20) };
    const r = await runCli(['ingest-events', '--integration', 'sim', '--file', file, '--json'], { env: limited });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ read: 9, stored: 2, duplicates: 1, conflicts: 1, conflictUuids: [a], rejected: 5 });
    const oversized = Buffer.byteLength(lines[1]!);
    expect(report.rejections).toEqual([
      { line: 2, reason: `event is ${oversized} bytes, over the limit of 1048576 (IDGRAPH_MAX_EVENT_BYTES)` },
      { line: 3, reason: 'event nests objects and arrays deeper than 64 levels (IDGRAPH_MAX_EVENT_DEPTH)' },
      { line: 4, reason: 'message contains an unpaired UTF-16 surrogate escape (a \\ud800-\\udfff escape not in a high-low pair), which PostgreSQL jsonb cannot read' },
      { line: 5, reason: 'line is not valid UTF-8 (an encoded lone surrogate, or bytes of another encoding): give the events as UTF-8 text' },
      { line: 6, reason: 'LogEvent.uuid is not a uuid (expected 8-4-4-4-12 hex digits, like c6ed294a-fef4-11ed-a5b1-bbb7c1de1a4b)' },
    ]);
    // With the default size limit the 200,000-deep event is already too big.
    const byDefault = await runCli(['ingest-events', '--integration', 'sim', '--file', '-', '--json'], { env, input: lines[2] as string });
    expect(JSON.parse(byDefault.stdout).rejections).toEqual([{ line: 1, reason: `event is ${Buffer.byteLength(lines[2]!)} bytes, over the limit of 262144 (IDGRAPH_MAX_EVENT_BYTES)` }]);
    // A bad setting is refused with what to give instead.
    const badSetting = await runCli(['ingest-events', '--integration', 'sim', '--file', file], { env: { ...env, IDGRAPH_MAX_EVENT_DEPTH: '100000' } });
    expect(badSetting.code).not.toBe(0);
    expect(badSetting.stderr).toContain('IDGRAPH_MAX_EVENT_DEPTH is invalid ("100000"): expected an integer between 4 and 1000');

    // The human summary names the conflicts too; the stored event of uuid a is the first one.
    const human = await runCli(['ingest-events', '--integration', 'sim', '--file', file], { env: limited });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/conflicts/);
    expect(human.stdout).toContain('1 event came with the uuid of a stored event but other content');
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ raw: { outcome: { result: string } } }[]>`SELECT raw::jsonb AS raw FROM log_events WHERE uuid = ${a}`;
      expect(rows.map((row) => row.raw.outcome.result)).toEqual(['SUCCESS']);
      // Every stored event, of every test so far, reads back as jsonb.
      const [all] = await sql<{ n: number }[]>`SELECT count(raw::jsonb)::int AS n FROM log_events`;
      expect(all!.n).toBeGreaterThan(4000);
    } finally {
      await sql.end();
    }
  });

  it('reports every check as JSON in the documented shape', async () => {
    const r = await runCli(['report', '--integration', 'sim', '--json'], { env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['integration', 'generatedAt', 'checks']);
    expect(report.integration).toBe('sim');
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual(POSTURE_CHECKS.map((c) => c.id));
    for (const c of report.checks) {
      expect(Object.keys(c)).toEqual(['id', 'severity', 'title', 'count', 'subjects']);
      expect(c.subjects).toHaveLength(c.count);
      for (const s of c.subjects) expect(s).toMatch(/^(user|group|app|org|role|api_token|group_rule):/);
    }
    expect(report.checks.find((c: { id: string }) => c.id === 'app.assigned_to_everyone').count).toBeGreaterThan(0);
  });
});

describe('re-scan tombstones what disappeared', () => {
  it('a second scan drops a deleted user from the export; --include-deleted keeps it, marked deleted', async () => {
    const victim = [...sim.org.users.values()].find((u) => u.status === 'DEPROVISIONED')!;
    sim.mutate({ type: 'user.delete', userId: victim.id });
    const scan = await runCli(['scan', 'sim', '--json', '--rate-share', '1'], { env });
    expect(scan.code).toBe(0);
    const exported = await runCli(['graph', 'export', '--integration', 'sim'], { env });
    expect(exported.stdout).toBe(toJsonl(sortExportLines(sim.truth())));
    expect(exported.stdout).not.toContain(victim.id);
    const all = await runCli(['graph', 'export', '--integration', 'sim', '--include-deleted'], { env });
    const node = all.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.type === 'node' && l.id === victim.id);
    expect(node).toMatchObject({ type: 'node', kind: 'user', id: victim.id, deleted: true });
  });
});

describe('demo', () => {
  it('runs end to end on the embedded database: the graph equals the org and the planted findings are found exactly', async () => {
    const r = await runCli(['demo', '--json', '--users', '800', '--changes', '25'], { env: { ...env, DATABASE_URL: undefined }, cwd: dir, timeoutMs: 240_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.graphDifferences).toEqual([]);
    expect(result.graphMatchesOkta).toBe(true);
    expect(result.planted).toMatchObject({ missing: [], extra: [], exact: true });
    expect(result.planted.expected).toBeGreaterThan(0);
    expect(result.stream).toMatchObject({ deadLettered: 1 });
    expect(result.changes).toHaveLength(25);
    expect(result.report.checks.length).toBe(POSTURE_CHECKS.length);
  }, 300_000);
});
