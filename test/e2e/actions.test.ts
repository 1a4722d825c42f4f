/**
 * Remediation actions end to end: a simulated org collected into PostgreSQL, then every action
 * run through @idgraph/actions against the simulator — as a dry run (nothing changes, in Okta or
 * in the graph, and the exact requests are listed), applied (the org and the graph change and the
 * finding it fixes resolves on the next report), and refused when the credentials may not (with
 * what to grant). Every attempt is in the audit, which the database keeps append-only.
 */
import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@idgraph/core';
import type { GraphDb, GraphStore, Integration } from '@idgraph/graph';
import type { OktaClient } from '@idgraph/okta';
import type { OktaSim, PlantedPosture } from '@idgraph/okta-sim';
import { refreshObjects } from '@idgraph/collector';
import { runPostureChecks, type PostureRunResult } from '@idgraph/posture';
import { listAudit, planFixes, runAction, type ActionContext, type ActionRequest, type ActionResponse } from '@idgraph/actions';
import { collectedSimOrg, type CollectedOrg } from './fixtures/collected-org.js';

const logger = createLogger({ level: 'warn', name: 'actions-e2e' });

describe('remediation actions against the simulator', () => {
  let org: CollectedOrg;
  let gdb: GraphDb;
  let store: GraphStore;
  let sim: OktaSim;
  let planted: PlantedPosture;
  let integration: Integration;
  let client: OktaClient;
  let ctx: ActionContext;
  let pg: postgres.Sql;
  const attempts: ActionResponse[] = [];

  const run = async (req: Omit<ActionRequest, 'integration'> & { integration?: string }): Promise<ActionResponse> => {
    const r = await runAction(ctx, { integration: 'acme', ...req });
    attempts.push(r);
    return r;
  };
  // Hashes, so that a difference does not print the whole org.
  const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
  const simState = () => digest({ truth: sim.truth(), events: sim.org.events.length });
  const graphState = async () => {
    const lines: unknown[] = [];
    for await (const line of store.exportGraph({ includeDeleted: true })) lines.push(line);
    return digest(lines);
  };
  const report = async (): Promise<Record<string, string[]>> => {
    const result: PostureRunResult = await runPostureChecks({ db: gdb, store, integrationId: integration.id, now: sim.org.now });
    return Object.fromEntries(result.checks.map((c) => [c.id, c.subjects.map((s) => s.subject)]));
  };
  const userRow = async (id: string) =>
    (await pg<{ status: string; deleted_at: Date | null }[]>`SELECT status, deleted_at FROM users WHERE integration_id = ${integration.id} AND okta_id = ${id}`)[0];

  /** A dry run changes nothing anywhere and lists exactly `requests`. */
  async function expectDryRun(req: Omit<ActionRequest, 'integration' | 'apply'>, requests: { method: string; path: string }[]): Promise<void> {
    const [simBefore, graphBefore] = [simState(), await graphState()];
    const r = await run({ ...req, apply: false });
    expect(r.result.outcome, r.result.message).toBe('dry-run');
    expect(r.applied).toBe(false);
    expect(r.requests).toEqual(requests);
    expect(simState()).toBe(simBefore);
    expect(await graphState()).toBe(graphBefore);
  }

  async function expectApplied(req: Omit<ActionRequest, 'integration' | 'apply'>): Promise<ActionResponse> {
    const r = await run({ ...req, apply: true });
    expect(r.result.outcome, r.result.message).toBe('applied');
    expect(r.applied).toBe(true);
    expect(r.result.okta?.every((a) => a.status >= 200 && a.status < 300)).toBe(true);
    return r;
  }

  /** `idgraph action …` as planFixes prints it → a request. */
  const parseCommand = (command: string): Omit<ActionRequest, 'apply'> => {
    const words = command.split(' ');
    expect(words.slice(0, 2)).toEqual(['idgraph', 'action']);
    const flag = (name: string) => {
      const i = words.indexOf(name);
      return i < 0 ? null : words[i + 1]!;
    };
    return { action: words[2]!, integration: flag('--integration')!, subject: flag('--subject')!, target: flag('--target'), resourceSet: flag('--resource-set') };
  };

  beforeAll(async () => {
    org = await collectedSimOrg({ label: 'actions_e2e', tenant: 'actions-e2e', integrationName: 'acme', allowActions: true, logger });
    ({ gdb, store, sim, planted, integration, client, pg } = org);
    ctx = {
      store,
      requestedBy: 'test:actions',
      logger,
      refresh: (i, requests) => refreshObjects({ client, store, integration: { id: i.id }, requests, logger, trigger: 'action' }),
    };
  });

  afterAll(async () => {
    await org?.close();
  });

  it('deactivate, then delete-user: dry runs change nothing; applied, the org, the graph and the findings follow', async () => {
    const before = await report();
    const admins = new Set([...sim.org.roleAssignments.values()].map((r) => r.principalId));
    const id = before['user.inactive']!.map((s) => s.slice(5)).find((u) => !admins.has(u))!;
    expect(id).toBeDefined();
    await expectDryRun({ action: 'deactivate', subject: `user:${id}` }, [{ method: 'POST', path: `/api/v1/users/${id}/lifecycle/deactivate` }]);

    const applied = await expectApplied({ action: 'deactivate', subject: `user:${id}` });
    expect(applied.result.okta).toEqual([{ method: 'POST', path: `/api/v1/users/${id}/lifecycle/deactivate`, status: 200 }]);
    expect(applied.result.graph?.refreshed).toBe(1);
    expect(sim.org.users.get(id)?.status).toBe('DEPROVISIONED');
    expect((await userRow(id))?.status).toBe('DEPROVISIONED');
    expect((await report())['user.inactive']).not.toContain(`user:${id}`);
    const finding = (await store.listFindings(integration.id)).find((f) => f.checkId === 'user.inactive' && f.subject === `user:${id}`);
    expect(finding?.resolvedAt).not.toBeNull();

    // delete-user of an ACTIVE user would only deactivate in Okta: refused up front, nothing sent.
    const active = [...sim.org.users.values()].find((u) => u.status === 'ACTIVE' && !admins.has(u.id))!;
    const simBefore = simState();
    const early = await run({ action: 'delete-user', subject: `user:${active.id}`, apply: true });
    expect(early.result.outcome).toBe('failed');
    expect(early.result.message).toContain('deactivate first');
    expect(early.result.okta).toBeUndefined();
    expect(simState()).toBe(simBefore);

    await expectDryRun({ action: 'delete-user', subject: `user:${id}` }, [{ method: 'DELETE', path: `/api/v1/users/${id}` }]);
    await expectApplied({ action: 'delete-user', subject: `user:${id}` });
    expect(sim.org.users.has(id)).toBe(false);
    expect((await userRow(id))?.deleted_at).not.toBeNull();
    const exported: string[] = [];
    for await (const line of store.exportGraph({ integrationId: integration.id })) if (line.type === 'node' && line.id === id) exported.push(line.id);
    expect(exported).toEqual([]);
  });

  it('suspend, unsuspend, clear-sessions', async () => {
    const admins = new Set([...sim.org.roleAssignments.values()].map((r) => r.principalId));
    const u = [...sim.org.users.values()].find((x) => x.status === 'ACTIVE' && !admins.has(x.id))!;
    await expectDryRun({ action: 'suspend', subject: `user:${u.id}` }, [{ method: 'POST', path: `/api/v1/users/${u.id}/lifecycle/suspend` }]);
    await expectApplied({ action: 'suspend', subject: `user:${u.id}` });
    expect(sim.org.users.get(u.id)?.status).toBe('SUSPENDED');
    expect((await userRow(u.id))?.status).toBe('SUSPENDED');

    await expectDryRun({ action: 'unsuspend', subject: `user:${u.id}` }, [{ method: 'POST', path: `/api/v1/users/${u.id}/lifecycle/unsuspend` }]);
    await expectApplied({ action: 'unsuspend', subject: `user:${u.id}` });
    expect(sim.org.users.get(u.id)?.status).toBe('ACTIVE');
    expect((await userRow(u.id))?.status).toBe('ACTIVE');

    await expectDryRun({ action: 'clear-sessions', subject: `user:${u.id}` }, [{ method: 'DELETE', path: `/api/v1/users/${u.id}/sessions` }]);
    const events = sim.org.events.length;
    const cleared = await expectApplied({ action: 'clear-sessions', subject: `user:${u.id}` });
    expect(cleared.result.okta?.[0]?.status).toBe(204);
    expect(sim.org.events.length).toBe(events + 1);
    expect(sim.org.events[events]).toMatchObject({ eventType: 'user.session.clear', target: [{ id: u.id }] });
  });

  it('reset-factors resolves admin.sms_voice_factor', async () => {
    const id = planted.smsOnlySuperAdmin;
    expect((await report())['admin.sms_voice_factor']).toContain(`user:${id}`);
    await expectDryRun({ action: 'reset-factors', subject: `user:${id}` }, [{ method: 'POST', path: `/api/v1/users/${id}/lifecycle/reset_factors` }]);
    await expectApplied({ action: 'reset-factors', subject: `user:${id}` });
    expect(sim.org.factors.get(id) ?? []).toEqual([]);
    const [live] = await pg<{ n: number }[]>`SELECT count(*)::int AS n FROM factors WHERE integration_id = ${integration.id} AND user_id = ${id} AND deleted_at IS NULL`;
    expect(live!.n).toBe(0);
    expect((await report())['admin.sms_voice_factor']).not.toContain(`user:${id}`);
  });

  it('report --fix commands resolve user.deprovisioned_with_access, app.assigned_to_everyone, admin.service_app_privileged and admin.inactive', async () => {
    const before = await report();
    const cases = [
      { check: 'user.deprovisioned_with_access', subject: `user:${planted.deprovisionedWithApp.userId}` },
      { check: 'app.assigned_to_everyone', subject: `app:${planted.everyoneApp}` },
      { check: 'admin.service_app_privileged', subject: `app:${planted.superAdminServiceApp}` },
      { check: 'admin.inactive', subject: `user:${planted.dormantAdmin.userId}` },
    ];
    for (const c of cases) {
      expect(before[c.check], c.check).toContain(c.subject);
      const plan = await planFixes(store, integration, c.check, [c.subject]);
      const commands = plan.fixes[0]!.commands;
      expect(commands.length, `${c.check}: ${plan.fixes[0]!.note ?? ''}`).toBeGreaterThan(0);
      for (const command of commands) {
        const req = parseCommand(command);
        const simBefore = simState();
        const dry = await runAction(ctx, { ...req, apply: false });
        attempts.push(dry);
        expect(dry.result.outcome, `${command}: ${dry.result.message}`).toBe('dry-run');
        expect(dry.requests.every((r) => !r.path.includes('{'))).toBe(true);
        expect(simState()).toBe(simBefore);
        const applied = await runAction(ctx, { ...req, apply: true });
        attempts.push(applied);
        expect(applied.result.outcome, `${command}: ${applied.result.message}`).toBe('applied');
        expect(applied.requests).toEqual(dry.requests);
      }
      expect((await report())[c.check], c.check).not.toContain(c.subject);
    }
    // The org agrees: no direct assignment, no Everyone assignment, no privileged role left.
    expect(sim.org.appUserAssignments.get(planted.deprovisionedWithApp.appId)?.has(planted.deprovisionedWithApp.userId)).toBe(false);
    expect(sim.org.appGroupAssignments.get(planted.everyoneApp)?.has(sim.org.everyoneGroupId)).toBe(false);
    expect([...sim.org.roleAssignments.values()].some((r) => r.principalKind === 'app' && r.principalId === planted.superAdminServiceApp && r.type === 'SUPER_ADMIN')).toBe(false);
  });

  it('remove-from-group takes the membership off in Okta and in the graph', async () => {
    const group = [...sim.org.groups.values()].find((g) => g.type === 'OKTA_GROUP' && g.id !== planted.largeAdminGroup.groupId && (sim.org.groupMembers.get(g.id)?.size ?? 0) > 0)!;
    const userId = [...sim.org.groupMembers.get(group.id)!].sort()[0]!;
    await expectDryRun({ action: 'remove-from-group', subject: `user:${userId}`, target: `group:${group.id}` }, [{ method: 'DELETE', path: `/api/v1/groups/${group.id}/users/${userId}` }]);
    await expectApplied({ action: 'remove-from-group', subject: `user:${userId}`, target: `group:${group.id}` });
    expect(sim.org.groupMembers.get(group.id)?.has(userId)).toBe(false);
    const [edge] = await pg<{ deleted_at: Date | null }[]>`SELECT deleted_at FROM group_memberships WHERE integration_id = ${integration.id} AND user_id = ${userId} AND group_id = ${group.id}`;
    expect(edge?.deleted_at).not.toBeNull();
  });

  it('refuses with what to grant: a read-only integration, a read-only admin\'s API token, a service app without the scope or the role', async () => {
    const admins = new Set([...sim.org.roleAssignments.values()].map((r) => r.principalId));
    const roleGroups = new Set([...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'group').map((r) => r.principalId));
    const plain = [...sim.org.users.values()].filter((x) => x.status === 'ACTIVE' && !admins.has(x.id) && ![...(sim.org.userGroups.get(x.id) ?? [])].some((g) => roleGroups.has(g)));
    const [victim, readOnlyAdmin] = [plain[0]!, plain[1]!];
    const events = sim.org.events.length;
    const add = (name: string, fields: Partial<Parameters<GraphStore['createIntegration']>[0]>) =>
      store.createIntegration({ name, orgUrl: sim.url, authMethod: 'ssws', secrets: { token: sim.apiToken }, allowHttp: true, allowActions: true, ...fields } as Parameters<GraphStore['createIntegration']>[0]);
    await add('readonly', { allowActions: false });
    const readOnly = await run({ integration: 'readonly', action: 'deactivate', subject: `user:${victim.id}`, apply: true });
    expect(readOnly.result.outcome).toBe('refused');
    expect(readOnly.result.message).toContain('idgraph integration update readonly --allow-actions');

    sim.mutate({ type: 'role.grant.user', userId: readOnlyAdmin.id, role: 'READ_ONLY_ADMIN' });
    await add('ro-token', { secrets: { token: sim.createApiToken({ ownerId: readOnlyAdmin.id }) } });
    const byRole = await run({ integration: 'ro-token', action: 'deactivate', subject: `user:${victim.id}`, apply: true });
    expect(byRole.result.outcome).toBe('refused');
    expect(byRole.result.message).toContain(`user ${readOnlyAdmin.id}`);
    expect(byRole.result.message).toContain('READ_ONLY_ADMIN');
    expect(byRole.result.grant).toContain('SUPER_ADMIN, ORG_ADMIN, USER_ADMIN');
    expect(byRole.result.okta).toBeUndefined();

    const oauth = async (name: string, scopes: string[], roles: string[]) => {
      const app = await sim.createServiceApp({ scopes, roles });
      return add(name, { authMethod: 'oauth', clientId: app.clientId, keyId: app.keyId, secrets: { privateKeyPem: app.privateKeyPem } });
    };
    await oauth('no-scope', ['okta.users.read', 'okta.roles.read'], ['SUPER_ADMIN']);
    const noScope = await run({ integration: 'no-scope', action: 'suspend', subject: `user:${victim.id}`, apply: true });
    expect(noScope.result.outcome).toBe('refused');
    expect(noScope.result.grant).toBe('okta.users.manage');
    expect(noScope.result.message).toContain('Okta API Scopes');

    await oauth('app-read-only', ['okta.users.manage', 'okta.roles.read'], ['READ_ONLY_ADMIN']);
    // A read-only admin app may not view administrators (Okta's admin comparison table), so idgraph
    // cannot check its role ahead: Okta decides, and its 403 becomes the refusal.
    const appRole = await run({ integration: 'app-read-only', action: 'suspend', subject: `user:${victim.id}`, apply: true });
    expect(appRole.result.outcome).toBe('refused');
    expect(appRole.result.okta).toEqual([{ method: 'POST', path: `/api/v1/users/${victim.id}/lifecycle/suspend`, status: 403, errorCode: 'E0000006', errorSummary: expect.any(String) }]);

    // Roles it cannot read (no okta.roles.read): Okta decides, and its 403 becomes the refusal.
    await oauth('app-blind', ['okta.users.manage'], ['READ_ONLY_ADMIN']);
    const blind = await run({ integration: 'app-blind', action: 'suspend', subject: `user:${victim.id}`, apply: true });
    expect(blind.result.outcome).toBe('refused');
    expect(blind.result.okta).toEqual([{ method: 'POST', path: `/api/v1/users/${victim.id}/lifecycle/suspend`, status: 403, errorCode: 'E0000006', errorSummary: expect.any(String) }]);
    expect(blind.result.grant).toContain('SUPER_ADMIN');
    // Nothing happened to the user in Okta: the only event is the role grant above.
    expect(sim.org.users.get(victim.id)?.status).toBe('ACTIVE');
    expect(sim.org.events.length).toBe(events + 1);

    // The same service app set-up with a role that may: applied.
    await oauth('app-admin', ['okta.users.manage'], ['USER_ADMIN']);
    await expectApplied({ integration: 'app-admin', action: 'suspend', subject: `user:${victim.id}` } as Omit<ActionRequest, 'apply'>);
    expect(sim.org.users.get(victim.id)?.status).toBe('SUSPENDED');
  });

  it('audits every attempt, and the audit is append-only in the database', async () => {
    const entries = await listAudit(store, { limit: 1000 });
    expect(entries.length).toBe(attempts.length);
    expect(new Set(entries.map((e) => e.id))).toEqual(new Set(attempts.map((a) => a.result.auditId)));
    const byId = new Map(entries.map((e) => [e.id, e]));
    for (const a of attempts) {
      const e = byId.get(a.result.auditId)!;
      expect(e).toMatchObject({ action: a.action, subject: a.subject, target: a.target, applied: a.applied, outcome: a.result.outcome, requests: a.requests, requestedBy: 'test:actions' });
    }
    expect(new Set(entries.map((e) => e.outcome))).toEqual(new Set(['dry-run', 'applied', 'refused', 'failed']));
    expect((await listAudit(store, { integration: 'readonly' })).map((e) => e.outcome)).toEqual(['refused']);

    await expect(pg`UPDATE action_audit SET outcome = 'applied'`).rejects.toThrow(/append-only/);
    await expect(pg`DELETE FROM action_audit`).rejects.toThrow(/append-only/);
    await expect(pg`TRUNCATE action_audit`).rejects.toThrow(/append-only/);
    expect((await listAudit(store, { limit: 1000 })).length).toBe(attempts.length);
  });
});
