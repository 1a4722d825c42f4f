import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateGovernor, createOktaClient } from '@idgraph/okta';
import { runCollection } from './run.js';

import { startHarness, type Harness } from './testdata/harness.js';
import { LISTING_RESOURCES } from './resources.js';

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
      resources: LISTING_RESOURCES,
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
        resources: LISTING_RESOURCES,
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
        resources: LISTING_RESOURCES,
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

  it('a least-privilege service app: collects what it may, skips the rest with the reason, tombstones nothing it skipped', async () => {
    const lp = await startHarness('collector_least_privilege', { users: 120, seed: 13 });
    try {
      const app = await lp.sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read', 'okta.logs.read'], roles: ['READ_ONLY_ADMIN'] });
      // A first full collection with the admin's token: apps, assignments and roles are in the graph.
      const full = await runCollection({ client: lp.client, store: lp.store, integration: lp.integration, mode: 'full', resources: LISTING_RESOURCES, trigger: 'scan', logger: lp.logger });
      expect(full.status).toBe('succeeded');
      // Then a change the partial run must pick up (and tombstone): a deprovisioned user without apps or roles is deleted.
      const org = lp.sim.org;
      const assigned = new Set([...org.appUserAssignments.values()].flatMap((m) => [...m.keys()]));
      const holders = new Set([...org.roleAssignments.values()].map((r) => r.principalId));
      const victim = [...org.users.values()].find((u) => u.status === 'DEPROVISIONED' && !assigned.has(u.id) && !holders.has(u.id))!;
      lp.sim.mutate({ type: 'user.delete', userId: victim.id });

      const client = createOktaClient({ orgUrl: lp.sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app }, governor: createMemoryRateGovernor({ share: 1, maxConcurrent: 16 }) });
      const before = lp.sim.stats().requests;
      const summary = await runCollection({ client, store: lp.store, integration: lp.integration, mode: 'full', trigger: 'scan', logger: lp.logger });
      expect(summary.status).toBe('partial');
      expect(summary.error).toBeUndefined();
      expect(summary.skipped).toEqual(['apps', 'app_assignments', 'roles', 'api_tokens', 'app_credentials']);
      const state = Object.fromEntries(Object.values(summary.perResource).map((r) => [r.resource, r.state]));
      expect(state).toEqual({
        users: 'done', groups: 'done', group_members: 'done', apps: 'skipped', app_assignments: 'skipped', roles: 'skipped', factors: 'done', system_log: 'done',
        api_tokens: 'skipped', group_rules: 'done', app_credentials: 'skipped',
      });
      expect(summary.perResource.api_tokens!.reason).toMatch(/okta\.apiTokens\.read/);
      expect(summary.perResource.apps!.reason).toMatch(/okta\.apps\.read/);
      expect(summary.perResource.app_assignments!.reason).toMatch(/needs apps, which was skipped/);
      expect(summary.perResource.roles!.reason).toMatch(/needs apps, which was skipped; it also needs okta\.roles\.read/);
      // One refused request per skipped listing at most: no retries of a denial.
      expect(lp.sim.stats().requests - before).toBeLessThan(summary.requests + 5);
      // Stored as such: the run is partial, the skipped resources carry their reason.
      const stored = await lp.store.getRun(summary.runId);
      expect(stored).toMatchObject({ status: 'partial', error: null });
      expect(stored!.resources.find((r) => r.resource === 'apps')).toMatchObject({ state: 'skipped', error: expect.stringMatching(/okta\.apps\.read/) });
      // Users were collected in full (the deleted one is tombstoned); apps, assignments and roles were not touched.
      expect(await lp.exportLines()).toEqual(lp.sim.truth());
      expect((await lp.exportLines()).some((l) => l.type === 'edge' && l.kind === 'has_role')).toBe(true);
    } finally {
      await lp.close();
    }
  });

  it('a read-only admin token skips roles only; a token that may read nothing fails the run', async () => {
    const ro = await startHarness('collector_read_only', { users: 60, seed: 17 });
    try {
      const client = createOktaClient({ orgUrl: ro.sim.url, allowInsecureHttp: true, auth: { kind: 'ssws', token: ro.sim.createApiToken({ roles: ['READ_ONLY_ADMIN'] }) } });
      const summary = await runCollection({ client, store: ro.store, integration: ro.integration, mode: 'full', trigger: 'scan', logger: ro.logger });
      expect(summary.status).toBe('partial');
      expect(summary.skipped).toEqual(['roles']);
      expect(summary.perResource.roles!.reason).toMatch(/E0000006.*Super Administrator/);

      const app = await ro.sim.createServiceApp({ scopes: ['okta.users.read'], roles: ['READ_ONLY_ADMIN'] });
      const nothing = createOktaClient({ orgUrl: ro.sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app, scopes: ['okta.groups.read', 'okta.apps.read'] } });
      const failed = await runCollection({ client: nothing, store: ro.store, integration: ro.integration, mode: 'full', resources: ['groups', 'apps'], trigger: 'scan', logger: ro.logger });
      expect(failed.status).toBe('failed');
      expect(failed.skipped).toEqual(['groups', 'apps']);
      expect(failed.error).toMatch(/skipped: groups .*okta\.groups\.read/);
    } finally {
      await ro.close();
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
