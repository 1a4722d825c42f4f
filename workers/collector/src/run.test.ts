import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollection } from './run.js';
import { startHarness, type Harness } from './testdata/harness.js';

describe('runCollection against the simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('collector_run', { users: 300, seed: 7 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('collects the whole org: the export equals sim.truth()', async () => {
    const summary = await runCollection({
      client: h.client,
      store: h.store,
      integration: h.integration,
      mode: 'full',
      resources: ['users', 'groups', 'group_members', 'apps', 'app_assignments', 'roles', 'factors'],
      trigger: 'scan',
      logger: h.logger,
      meter: h.meter,
    });
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });
});
