import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCollection } from './run.js';

const GRAPH_RESOURCES = ['users', 'groups', 'group_members', 'apps', 'app_assignments', 'roles', 'factors'];
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
      resources: GRAPH_RESOURCES,
      trigger: 'scan',
      logger: h.logger,
      meter: h.meter,
    });
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('succeeded');
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });

  it('a run aborted mid-way resumes from its checkpoints and converges to the same graph', async () => {
    const other = await startHarness('collector_resume', { users: 400, seed: 11 });
    try {
      const abort = new AbortController();
      let runId = '';
      const first = await runCollection({
        client: other.client,
        store: other.store,
        integration: other.integration,
        mode: 'full',
        resources: GRAPH_RESOURCES,
        trigger: 'collect-now',
        logger: other.logger,
        signal: abort.signal,
        onRun: (run) => {
          runId = run.id;
        },
        onProgress: (p) => {
          const pages = p.resources.reduce((n, r) => n + r.pages, 0);
          if (pages >= 25) abort.abort(new Error('test stop'));
        },
      });
      expect(first.status).toBe('interrupted');
      const partial = await other.exportLines();
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(other.sim.truth().length);

      const resumed = await runCollection({
        client: other.client,
        store: other.store,
        integration: other.integration,
        mode: 'full',
        resources: GRAPH_RESOURCES,
        trigger: 'collect-now',
        runId,
        logger: other.logger,
      });
      expect(resumed.runId).toBe(runId);
      expect(resumed.status).toBe('succeeded');
      expect(await other.exportLines()).toEqual(other.sim.truth());
    } finally {
      await other.close();
    }
  });

  it('an incremental run picks up user and membership changes made after a full run', async () => {
    const org = h.sim.org;
    const users = [...org.users.values()].filter((u) => u.status === 'ACTIVE').slice(0, 3);
    const group = [...org.groups.values()].find((g) => g.id !== org.everyoneGroupId)!;
    const member = [...(org.groupMembers.get(group.id) ?? [])][0]!;
    h.sim.mutate({ type: 'user.update_profile', userId: users[0]!.id, profile: { lastName: 'Changed' } });
    h.sim.mutate({ type: 'user.suspend', userId: users[1]!.id });
    h.sim.mutate({ type: 'user.create', activate: false });
    h.sim.mutate({ type: 'group.member.remove', groupId: group.id, userId: member });
    const outsider = users.find((u) => !org.groupMembers.get(group.id)?.has(u.id));
    expect(outsider, 'an active user outside the group').toBeDefined();
    h.sim.mutate({ type: 'group.member.add', groupId: group.id, userId: outsider!.id });
    expect(await h.exportLines()).not.toEqual(h.sim.truth());

    const summary = await runCollection({
      client: h.client,
      store: h.store,
      integration: h.integration,
      mode: 'incremental',
      resources: ['users', 'groups', 'group_members'],
      trigger: 'schedule',
      logger: h.logger,
    });
    expect(summary.status).toBe('succeeded');
    // Far fewer user reads than the full run: only changed users come back from the search.
    expect(summary.perResource.users!.objects).toBeLessThan(20);
    expect(await h.exportLines()).toEqual(h.sim.truth());
  });
});
