/**
 * `ingest-events` right after `scan`, with Okta's list results trailing its writes (the simulator
 * publishes each change 30 s before reads show it) and Okta's clock 90 s ahead of the host's: the
 * built CLI re-reads what it cannot decide by time, rejects an event from the year 9999 with its
 * reason, and the exported graph equals the org.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { sortExportLines, toJsonl } from '@idgraph/graph';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { runCli } from './run-cli.js';

let sim: OktaSim;
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startOktaSim({ seed: 12, users: 200, rateLimitFactor: 20, tokenShare: 1, clockSkewSeconds: 90, readAfterWriteLagSeconds: 30 });
  db = await createTestDatabase('cli_timing');
  dir = await mkdtemp(join(tmpdir(), 'idgraph-cli-timing-'));
  env = { DATABASE_URL: db.url, OKTA_TOKEN: sim.apiToken, IDGRAPH_DATA_DIR: join(dir, 'data') };
});

afterAll(async () => {
  await sim?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('re-reads removals published before the scan read their group and rejects an event from the year 9999', async () => {
  const scan = await runCli(['scan', '--org-url', sim.url, '--token-env', 'OKTA_TOKEN', '--allow-http', '--name', 'sim', '--json', '--rate-share', '1'], { env });
  expect(scan.code).toBe(0);
  const group = [...sim.org.groups.values()].find((g) => g.type === 'OKTA_GROUP' && (sim.org.groupMembers.get(g.id)?.size ?? 0) >= 6)!;
  const removals = [...sim.org.groupMembers.get(group.id)!].slice(0, 6).map((userId) => sim.mutate({ type: 'group.member.remove', groupId: group.id, userId }));
  const future = { ...removals[0]!.event, uuid: randomUUID(), published: '9999-12-31T23:59:59.000Z', eventType: 'group.user_membership.add' };
  const file = join(dir, 'events.jsonl');
  await writeFile(file, [...removals.map((m) => JSON.stringify(m.envelope)), JSON.stringify(future)].join('\n') + '\n');

  const r = await runCli(['ingest-events', '--integration', 'sim', '--file', file, '--json'], { env });
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ read: 7, stored: 6, rejected: 1 });
  expect(report.refreshed).toBeGreaterThanOrEqual(1);
  expect(report.rejections).toEqual([{ line: 7, reason: expect.stringMatching(new RegExp(`^event ${future.uuid}: published 9999-12-31T23:59:59.000Z is \\d+ s later than Okta's clock`)) }]);
  const exported = await runCli(['graph', 'export', '--integration', 'sim'], { env });
  expect(exported.stdout).toBe(toJsonl(sortExportLines(sim.truth())));
});
