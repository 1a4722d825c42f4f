/**
 * Posture end to end: a simulated org with planted posture problems is collected into PostgreSQL
 * through the real collector and Okta client; every check's findings must equal the simulator's
 * oracle (computed independently from its in-memory org). Then fixes are streamed in as System Log
 * events through store.ingestEvents, and the findings they fix resolve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import type { GraphDb, GraphStore, Integration } from '@idgraph/graph';
import { eventToGraphChanges, normalizeLogEventRow, validateLogEvent } from '@idgraph/normalize';
import { expectedFindings, type OktaSim, type PlantedPosture } from '@idgraph/okta-sim';
import { refreshObjects } from '@idgraph/collector';
import type { OktaClient } from '@idgraph/okta';
import {
  buildReport,
  DEFAULT_POSTURE_THRESHOLDS,
  POSTURE_CHECKS,
  runPostureChecks,
  type PostureRunResult,
} from '@idgraph/posture';
import { collectedSimOrg, type CollectedOrg } from './fixtures/collected-org.js';

const logger = createLogger({ level: 'warn', name: 'posture-e2e' });

const subjectsOf = (run: PostureRunResult): Record<string, string[]> =>
  Object.fromEntries(run.checks.map((c) => [c.id, c.subjects.map((s) => s.subject)]));

describe('posture checks against a collected simulator org', () => {
  let org: CollectedOrg;
  let gdb: GraphDb;
  let store: GraphStore;
  let sim: OktaSim;
  let planted: PlantedPosture;
  let integration: Integration;
  let now: Date;
  let client: OktaClient;

  /**
   * Applies a simulator change and handles its System Log event the way the stream consumer does:
   * ingest the event with its mutations, then re-read the objects it asks to refresh.
   */
  async function streamFix(change: Parameters<OktaSim['mutate']>[0]): Promise<void> {
    const checked = validateLogEvent(sim.mutate(change).event);
    if (!checked.ok) throw new Error(`simulator event rejected: ${checked.reason}`);
    const event = checked.event;
    const { mutations, refresh } = eventToGraphChanges(event);
    expect(mutations.length + refresh.length, `event ${event.eventType} should change the graph`).toBeGreaterThan(0);
    const result = await store.ingestEvents([{ integrationId: integration.id, row: normalizeLogEventRow(event), mutations, via: 'stream' }]);
    expect(result.stored).toBe(1);
    // Like the stream: also re-read what the store would not decide by time (changes right after the scan).
    const requests = [...refresh, ...result.deferred.map((d) => d.request)];
    if (requests.length) {
      const summary = await refreshObjects({ client, store, integration: { id: integration.id }, requests, logger });
      expect(summary.failures).toEqual([]);
    }
  }

  beforeAll(async () => {
    org = await collectedSimOrg({ label: 'posture_e2e', tenant: 'posture-e2e', integrationName: 'sim-org', logger });
    ({ gdb, store, sim, planted, integration, client } = org);
    now = sim.org.now;
  });

  afterAll(async () => {
    await org?.close();
  });

  it('finds exactly what the oracle expects, for every check, and the planted cases', async () => {
    const run = await runPostureChecks({ db: gdb, store, integrationId: integration.id, now });
    const expected = expectedFindings(sim.org, DEFAULT_POSTURE_THRESHOLDS, now);
    expect(Object.keys(expected).sort()).toEqual(POSTURE_CHECKS.map((c) => c.id).sort());
    const actual = subjectsOf(run);
    for (const check of POSTURE_CHECKS) expect(actual[check.id], check.id).toEqual(expected[check.id]);

    // The planted cases are among them (the oracle is not trivially empty).
    expect(actual['admin.no_phishing_resistant_mfa']).toContain(`user:${planted.smsOnlySuperAdmin}`);
    expect(actual['admin.single_factor']).toContain(`user:${planted.smsOnlySuperAdmin}`);
    expect(actual['admin.super_admin_count']).toEqual([`org:${new URL(sim.url).host}`]);
    expect(actual['admin.via_large_group']).toContain(`group:${planted.largeAdminGroup.groupId}`);
    expect(actual['admin.service_app_privileged']).toContain(`app:${planted.superAdminServiceApp}`);
    expect(actual['user.deprovisioned_with_access']).toContain(`user:${planted.deprovisionedWithApp.userId}`);
    expect(actual['admin.inactive']).toContain(`user:${planted.dormantAdmin.userId}`);
    expect(actual['app.assigned_to_everyone']).toContain(`app:${planted.everyoneApp}`);
    for (const id of planted.lockedOutUsers) expect(actual['user.locked_out']).toContain(`user:${id}`);
    for (const id of planted.stalePasswordUsers) expect(actual['user.password_stale']).toContain(`user:${id}`);

    const open = await store.listFindings(integration.id, { openOnly: true });
    expect(open.length).toBe(run.checks.reduce((n, c) => n + c.count, 0));
  });

  it('counts admins granted through a group (the group-granted admin path)', async () => {
    // Members of the large ORG_ADMIN group who hold no role of their own are admins only through it.
    const direct = new Set([...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'user').map((r) => r.principalId));
    const viaGroupOnly = [...(sim.org.groupMembers.get(planted.largeAdminGroup.groupId) ?? [])].filter((id) => {
      const u = sim.org.users.get(id);
      return u && !direct.has(id) && u.status !== 'DEPROVISIONED' && u.status !== 'SUSPENDED';
    });
    expect(viaGroupOnly.length).toBeGreaterThan(0);
    const run = await runPostureChecks({ db: gdb, integrationId: integration.id, now });
    const admins = new Set(subjectsOf(run)['admin.no_phishing_resistant_mfa']);
    const lacking = viaGroupOnly.filter(
      (id) => !(sim.org.factors.get(id) ?? []).some((f) => f.status === 'ACTIVE' && (f.factorType === 'webauthn' || f.factorType === 'signed_nonce')),
    );
    expect(lacking.length).toBeGreaterThan(0);
    for (const id of lacking) expect(admins.has(`user:${id}`), id).toBe(true);
  });

  it('resolves findings after fixes are streamed in, and keeps matching the oracle', async () => {
    const before = new Map((await store.listFindings(integration.id)).map((f) => [`${f.checkId} ${f.subject}`, f]));
    // Fix 1: take the DEPROVISIONED user off the app.
    await streamFix({ type: 'app.user.unassign', appId: planted.deprovisionedWithApp.appId, userId: planted.deprovisionedWithApp.userId });
    // Fix 2: unassign Everyone from the app.
    await streamFix({ type: 'app.group.unassign', appId: planted.everyoneApp, groupId: sim.org.everyoneGroupId });
    // Fix 3: shrink the admin group to the threshold (group-granted admins lose the role).
    const members = [...(sim.org.groupMembers.get(planted.largeAdminGroup.groupId) ?? [])].sort();
    const removed = members.slice(DEFAULT_POSTURE_THRESHOLDS.adminGroupMaxMembers);
    for (const userId of removed) await streamFix({ type: 'group.member.remove', groupId: planted.largeAdminGroup.groupId, userId });
    // Fix 4: revoke the dormant admin's role (a privilege event: the principal's roles are re-read).
    const dormantRoles = [...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'user' && r.principalId === planted.dormantAdmin.userId);
    expect(dormantRoles.length).toBeGreaterThan(0);
    for (const r of dormantRoles) await streamFix({ type: 'role.revoke', assignmentId: r.id });
    const roleGroups = new Set([...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'group').map((r) => r.principalId));
    for (const groupId of [...(sim.org.userGroups.get(planted.dormantAdmin.userId) ?? [])].filter((g) => roleGroups.has(g))) {
      await streamFix({ type: 'group.member.remove', groupId, userId: planted.dormantAdmin.userId });
    }


    const later = new Date(now.getTime() + 60_000);
    const run = await runPostureChecks({ db: gdb, store, integrationId: integration.id, now: later });
    const actual = subjectsOf(run);
    const expected = expectedFindings(sim.org, DEFAULT_POSTURE_THRESHOLDS, later);
    for (const check of POSTURE_CHECKS) expect(actual[check.id], check.id).toEqual(expected[check.id]);
    expect(actual['user.deprovisioned_with_access']).not.toContain(`user:${planted.deprovisionedWithApp.userId}`);
    expect(actual['app.assigned_to_everyone']).not.toContain(`app:${planted.everyoneApp}`);
    expect(actual['admin.via_large_group']).not.toContain(`group:${planted.largeAdminGroup.groupId}`);
    expect(actual['admin.inactive']).not.toContain(`user:${planted.dormantAdmin.userId}`);

    const after = new Map((await store.listFindings(integration.id)).map((f) => [`${f.checkId} ${f.subject}`, f]));
    for (const key of [
      `user.deprovisioned_with_access user:${planted.deprovisionedWithApp.userId}`,
      `app.assigned_to_everyone app:${planted.everyoneApp}`,
      `admin.via_large_group group:${planted.largeAdminGroup.groupId}`,
      `admin.inactive user:${planted.dormantAdmin.userId}`,
    ]) {
      expect(before.get(key)?.resolvedAt, key).toBeNull();
      expect(after.get(key)?.resolvedAt?.getTime(), key).toBe(later.getTime());
      expect(after.get(key)?.firstSeenAt.getTime(), key).toBe(before.get(key)?.firstSeenAt.getTime());
    }
    // A finding that persists keeps its first_seen_at and moves last_seen_at.
    const persisting = `user.locked_out user:${planted.lockedOutUsers[0]}`;
    expect(after.get(persisting)?.resolvedAt).toBeNull();
    expect(after.get(persisting)?.lastSeenAt.getTime()).toBe(later.getTime());
    expect(after.get(persisting)?.firstSeenAt.getTime()).toBe(now.getTime());
  });

  it('reports every check in the documented JSON shape', async () => {
    const run = await runPostureChecks({ db: gdb, integrationId: integration.id, now });
    const report = JSON.parse(JSON.stringify(buildReport(run))) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['integration', 'generatedAt', 'checks']);
    expect(report.integration).toBe('sim-org');
    const checks = report.checks as { id: string; severity: string; title: string; count: number; subjects: string[] }[];
    expect(checks.map((c) => c.id)).toEqual(POSTURE_CHECKS.map((c) => c.id));
    for (const c of checks) {
      expect(Object.keys(c)).toEqual(['id', 'severity', 'title', 'count', 'subjects']);
      expect(c.subjects).toHaveLength(c.count);
      for (const s of c.subjects) expect(s).toMatch(/^(user|group|app|org|role|api_token|group_rule):\S+$/);
    }
  });
});
