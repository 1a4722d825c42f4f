/**
 * Admin posture first (admin-first.ts), against the simulator: in a full run every admin's
 * factors are read before anyone else's, none twice; the admin checks run as soon as their
 * inputs are collected and give then what they give at the end; the run records when; a run whose
 * roles are skipped never claims it; a resumed run does not read admins' factors again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateGovernor, createOktaClient, type OktaClient } from '@idgraph/okta';
import { roleHolderUserIds } from '@idgraph/okta-sim';
import { ADMIN_POSTURE_CHECKS, evaluatePostureChecks } from '@idgraph/posture';
import { canHaveFactors } from './collectors/factors.js';
import { LISTING_RESOURCES } from './resources.js';
import { runCollection } from './run.js';
import { startHarness, type Harness } from './testdata/harness.js';

const ALL = [...LISTING_RESOURCES];

/** The client, with every factor request recorded in order. */
function recordFactorCalls(client: OktaClient): { client: OktaClient; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'listUserFactors') {
        return (userId: string) => {
          calls.push(userId);
          return target.listUserFactors(userId);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client: wrapped, calls };
}

/** Admins the admin step reads: role holders (direct or through groups) an admin check looks at who can have factors. */
function expectedAdmins(h: Harness): Set<string> {
  return new Set(
    roleHolderUserIds(h.sim.org).filter((id) => {
      const status = h.sim.org.users.get(id)!.status;
      return canHaveFactors(status) && status !== 'DEPROVISIONED' && status !== 'SUSPENDED';
    }),
  );
}

async function adminSubjects(h: Harness, now: Date): Promise<Record<string, string[]>> {
  const result = await evaluatePostureChecks({ db: h.gdb, integrationId: h.integration.id, now, checks: ADMIN_POSTURE_CHECKS });
  return Object.fromEntries(result.checks.map((c) => [c.id, c.subjects.map((s) => s.subject)]));
}

describe('admin posture first', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('collector_admin_first', { users: 900, seed: 23, rateLimitFactor: 50 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("reads every admin's factors before anyone else's, runs the admin checks then, and they are already what they are at the end", async () => {
    const { client, calls } = recordFactorCalls(h.client);
    const now = new Date();
    let atFinal: { subjects: Record<string, string[]>; calls: number } | undefined;
    let finalCalls = 0;
    const summary = await runCollection({
      client,
      store: h.store,
      integration: h.integration,
      mode: 'full',
      resources: ALL,
      trigger: 'collect-now',
      logger: h.logger,
      meter: h.meter,
      onAdminPostureFinal: async ({ integrationId }) => {
        finalCalls += 1;
        expect(integrationId).toBe(h.integration.id);
        atFinal = { subjects: await adminSubjects(h, now), calls: calls.length };
      },
    });
    expect(summary.status).toBe('succeeded');
    expect(await h.exportLines()).toEqual(h.sim.truth());

    const admins = expectedAdmins(h);
    expect(admins.size).toBeGreaterThan(5);
    const firstOther = calls.findIndex((id) => !admins.has(id));
    expect(firstOther).toBe(admins.size);
    expect(new Set(calls.slice(0, firstOther))).toEqual(admins);
    // Nobody's factors twice: the sweep skipped the admins.
    expect(new Set(calls).size).toBe(calls.length);
    const factorUsers = [...h.sim.org.users.values()].filter((u) => canHaveFactors(u.status)).length;
    expect(calls.length).toBe(factorUsers);

    expect(finalCalls).toBe(1);
    expect(atFinal!.subjects).toEqual(await adminSubjects(h, now));
    expect(Object.values(atFinal!.subjects).flat().length).toBeGreaterThan(0);
    expect(atFinal!.calls).toBeLessThan(calls.length);

    const run = (await h.store.getRun(summary.runId))!;
    expect(run.adminPostureFinalAt).toBeInstanceOf(Date);
    expect(run.adminPostureFinalAt!.getTime()).toBeLessThanOrEqual(run.endedAt!.getTime());
    expect(run.adminPostureFinalAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
  });

  it('a resumed run keeps its time and reads no admin factors again', async () => {
    const other = await startHarness('collector_admin_first_resume', { users: 700, seed: 29, rateLimitFactor: 50 });
    try {
      const first = recordFactorCalls(other.client);
      const abort = new AbortController();
      let runId = '';
      const interrupted = await runCollection({
        client: first.client,
        store: other.store,
        integration: other.integration,
        mode: 'full',
        resources: ALL,
        trigger: 'collect-now',
        logger: other.logger,
        signal: abort.signal,
        onRun: (run) => {
          runId = run.id;
        },
        onAdminPostureFinal: async () => {
          abort.abort(new Error('test stop once admin posture is final'));
        },
      });
      expect(interrupted.status).toBe('interrupted');
      const finalAt = (await other.store.getRun(runId))!.adminPostureFinalAt;
      expect(finalAt).toBeInstanceOf(Date);
      const admins = expectedAdmins(other);
      expect(first.calls.filter((id) => admins.has(id)).length).toBe(admins.size);

      const second = recordFactorCalls(other.client);
      const resumed = await runCollection({
        client: second.client,
        store: other.store,
        integration: other.integration,
        mode: 'full',
        resources: ALL,
        trigger: 'collect-now',
        runId,
        logger: other.logger,
      });
      expect(resumed.status).toBe('succeeded');
      expect(second.calls.filter((id) => admins.has(id))).toEqual([]);
      expect((await other.store.getRun(runId))!.adminPostureFinalAt).toEqual(finalAt);
      expect(await other.exportLines()).toEqual(other.sim.truth());
    } finally {
      await other.close();
    }
  });

  it('roles the credentials may not read: no admin step, never final, every factor still read', async () => {
    const other = await startHarness('collector_admin_first_no_roles', { users: 300, seed: 31, rateLimitFactor: 50 });
    try {
      const token = other.sim.createApiToken({ roles: ['READ_ONLY_ADMIN'] });
      const limited = createOktaClient({
        orgUrl: other.sim.url,
        auth: { kind: 'ssws', token },
        allowInsecureHttp: true,
        governor: createMemoryRateGovernor({ share: 1, maxConcurrent: 16 }),
        logger: other.logger,
      });
      const { client, calls } = recordFactorCalls(limited);
      let called = false;
      const summary = await runCollection({
        client,
        store: other.store,
        integration: other.integration,
        mode: 'full',
        resources: ALL,
        trigger: 'collect-now',
        logger: other.logger,
        onAdminPostureFinal: async () => {
          called = true;
        },
      });
      expect(summary.skipped).toEqual(['roles']);
      expect(summary.perResource.factors!.state).toBe('done');
      expect(called).toBe(false);
      expect((await other.store.getRun(summary.runId))!.adminPostureFinalAt).toBeNull();
      expect(calls.length).toBe([...other.sim.org.users.values()].filter((u) => canHaveFactors(u.status)).length);
    } finally {
      await other.close();
    }
  });
});
