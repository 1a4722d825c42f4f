import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateGovernor, createOktaClient } from '@idgraph/okta';
import type { RefreshRequest } from '@idgraph/graph';
import { refreshObjects } from './refresh.js';
import { startHarness, type Harness } from './testdata/harness.js';

describe('refreshObjects', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('collector_refresh', { users: 50, seed: 3 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('re-reads what it is asked for against a working org', async () => {
    const users = h.sim.truth().filter((l) => l.kind === 'user').slice(0, 5);
    const summary = await refreshObjects({
      client: h.client, store: h.store, integration: h.integration, logger: h.logger,
      requests: users.map((u) => ({ kind: 'user', id: (u as { id: string }).id })),
    });
    expect(summary).toMatchObject({ refreshed: 5, vanished: 0, failures: [] });
  });

  it('stops trying once Okta is clearly unreachable, and reports every request it could not do', async () => {
    // The simulator closed: connections are refused. The client retries each request, so without
    // giving up a replay asking for many refreshes would spend minutes here.
    const dead = await startHarness('collector_refresh_dead', { users: 10, seed: 4, plantPosture: false });
    const url = dead.sim.url;
    await dead.sim.close();
    const client = createOktaClient({
      orgUrl: url, auth: { kind: 'ssws', token: dead.sim.apiToken }, allowInsecureHttp: true,
      governor: createMemoryRateGovernor({ share: 1, maxConcurrent: 4 }), logger: dead.logger,
    });
    const requests: RefreshRequest[] = Array.from({ length: 200 }, (_, i) => ({ kind: 'user', id: `00unreachable${i}` }));
    const started = Date.now();
    try {
      const summary = await refreshObjects({ client, store: dead.store, integration: dead.integration, logger: dead.logger, requests });
      expect(summary.refreshed).toBe(0);
      expect(summary.failures).toHaveLength(200);
      const skipped = summary.failures.filter((f) => f.error.startsWith('not attempted: 3 refreshes in a row failed'));
      expect(skipped.length).toBeGreaterThanOrEqual(190);
      expect(skipped[0]!.error).toContain('check the org URL, network and credentials');
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await dead.gdb.close();
      await dead.db.drop();
    }
  });
});
