/**
 * Roles held through a group, against the simulator: Okta lists them in the member's own role list
 * as `assignmentType: "GROUP"` entries, but they are the group's assignments. The graph keeps
 * `has_role` edges for direct assignments only (USER for users, GROUP for groups, CLIENT for
 * service apps); the admin posture checks derive what members hold through a group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportLine } from '@idgraph/graph';
import { eventToGraphChanges, validateLogEvent } from '@idgraph/normalize';
import { expectedFindings, type OktaSim } from '@idgraph/okta-sim';
import { DEFAULT_POSTURE_THRESHOLDS, POSTURE_CHECKS, runPostureChecks } from '@idgraph/posture';
import { refreshObjects } from '../refresh.js';
import { runCollection } from '../run.js';
import { startHarness, type Harness } from '../testdata/harness.js';

import { LISTING_RESOURCES } from '../resources.js';

const GRAPH_RESOURCES = [...LISTING_RESOURCES];

const roleEdges = (lines: ExportLine[]): string[] =>
  lines.filter((l) => l.type === 'edge' && l.kind === 'has_role').map((l) => JSON.stringify(l));
const userRoleEdgesOf = (lines: ExportLine[], userId: string): ExportLine[] =>
  lines.filter((l) => l.type === 'edge' && l.kind === 'has_role' && l.from === `user:${userId}`);

/** A group holding HELP_DESK_ADMIN and APP_ADMIN, a member holding roles only through it, a member with roles of their own. */
function helpDeskCase(sim: OktaSim): { groupId: string; groupOnly: string[]; mixed: string } {
  const all = [...sim.org.roleAssignments.values()];
  const roleGroups = new Set(all.filter((r) => r.principalKind === 'group').map((r) => r.principalId));
  const groupId = [...roleGroups].find((g) => ['HELP_DESK_ADMIN', 'APP_ADMIN'].every((t) => all.some((r) => r.principalId === g && r.type === t)));
  if (!groupId) throw new Error('the simulator should plant a group holding HELP_DESK_ADMIN and APP_ADMIN');
  const own = (u: string): boolean => all.some((r) => r.principalKind === 'user' && r.principalId === u);
  const members = [...(sim.org.groupMembers.get(groupId) ?? [])].sort();
  // Members of no other role-holding group: revoking this group's roles leaves them none.
  const groupOnly = members.filter((u) => !own(u) && [...(sim.org.userGroups.get(u) ?? [])].every((g) => g === groupId || !roleGroups.has(g)));
  const mixed = members.find(own);
  if (groupOnly.length === 0 || !mixed) throw new Error('expected members holding roles only through the group, and one with roles of their own');
  return { groupId, groupOnly, mixed };
}

describe('roles held through a group', () => {
  let h: Harness;
  let hd: ReturnType<typeof helpDeskCase>;

  /** A simulator change handled as the stream does for privilege events: re-read the principal's roles. */
  async function applyPrivilegeChange(change: Parameters<OktaSim['mutate']>[0]): Promise<void> {
    const checked = validateLogEvent(h.sim.mutate(change).event);
    if (!checked.ok) throw new Error(`simulator event rejected: ${checked.reason}`);
    const { refresh } = eventToGraphChanges(checked.event);
    expect(refresh.map((r) => r.kind)).toEqual(['principalRoles']);
    const summary = await refreshObjects({ client: h.client, store: h.store, integration: h.integration, requests: refresh, logger: h.logger });
    expect(summary.failures).toEqual([]);
  }

  async function postureSubjects(now: Date): Promise<Record<string, string[]>> {
    const run = await runPostureChecks({ db: h.gdb, integrationId: h.integration.id, now });
    return Object.fromEntries(run.checks.map((c) => [c.id, c.subjects.map((s) => s.subject)]));
  }

  beforeAll(async () => {
    h = await startHarness('collector_group_roles', { users: 160, seed: 42 });
    hd = helpDeskCase(h.sim);
    const summary = await runCollection({
      client: h.client, store: h.store, integration: h.integration, mode: 'full', resources: GRAPH_RESOURCES, trigger: 'scan', logger: h.logger,
    });
    expect(summary.error).toBeUndefined();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("Okta's user role lists carry the group's roles as GROUP entries, and the collection keeps no user edge for them", async () => {
    const listed = await h.client.listUserRoles(hd.groupOnly[0]!);
    expect(listed.items.map((r) => r.assignmentType)).toEqual(listed.items.map(() => 'GROUP'));
    expect(listed.items.map((r) => r.type)).toEqual(expect.arrayContaining(['HELP_DESK_ADMIN', 'APP_ADMIN']));

    const lines = await h.exportLines();
    for (const u of hd.groupOnly) expect(userRoleEdgesOf(lines, u), u).toEqual([]);
    // The member with a role of their own keeps exactly that one, not the group's.
    const ownTypes = [...h.sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'user' && r.principalId === hd.mixed).map((r) => `role:${r.type}`);
    expect(userRoleEdgesOf(lines, hd.mixed).map((l) => (l as { to: string }).to).sort()).toEqual(ownTypes.sort());
    expect(userRoleEdgesOf(lines, hd.mixed).map((l) => (l as { to: string }).to)).not.toContain('role:HELP_DESK_ADMIN');
    const groupEdges = lines.filter((l) => l.type === 'edge' && l.kind === 'has_role' && l.from === `group:${hd.groupId}`).map((l) => (l as { to: string }).to);
    expect(groupEdges).toEqual(expect.arrayContaining(['role:HELP_DESK_ADMIN', 'role:APP_ADMIN']));
    expect(lines).toEqual(h.sim.truth());
  });

  it('the admin posture checks still count members holding a role only through the group', async () => {
    const now = h.sim.org.now;
    const actual = await postureSubjects(now);
    const expected = expectedFindings(h.sim.org, DEFAULT_POSTURE_THRESHOLDS, now);
    for (const check of POSTURE_CHECKS) expect(actual[check.id], check.id).toEqual(expected[check.id]);
    // Admin checks leave DEPROVISIONED and SUSPENDED holders to user.deprovisioned_with_access.
    const canSignIn = (u: string): boolean => !['DEPROVISIONED', 'SUSPENDED'].includes(h.sim.org.users.get(u)?.status ?? 'DEPROVISIONED');
    const lacking = hd.groupOnly.filter(
      (u) => canSignIn(u) && !(h.sim.org.factors.get(u) ?? []).some((f) => f.status === 'ACTIVE' && (f.factorType === 'webauthn' || f.factorType === 'signed_nonce')),
    );
    expect(lacking.length).toBeGreaterThan(0);
    for (const u of lacking) expect(actual['admin.no_phishing_resistant_mfa'], u).toContain(`user:${u}`);
  });

  it("a member's own privilege change re-reads their list and still records only their own roles", async () => {
    await applyPrivilegeChange({ type: 'role.grant.user', userId: hd.mixed, role: 'USER_ADMIN' });
    const listed = await h.client.listUserRoles(hd.mixed);
    expect(new Set(listed.items.map((r) => r.assignmentType))).toEqual(new Set(['USER', 'GROUP']));
    const lines = await h.exportLines();
    expect(userRoleEdgesOf(lines, hd.mixed).map((l) => (l as { to: string }).to)).toContain('role:USER_ADMIN');
    expect(userRoleEdgesOf(lines, hd.mixed).map((l) => (l as { to: string }).to)).not.toContain('role:HELP_DESK_ADMIN');
    expect(roleEdges(lines)).toEqual(roleEdges(h.sim.truth()));
  });

  it("revoking the group's roles leaves no edge behind, and its members stop counting as admins", async () => {
    const groupRoles = [...h.sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'group' && r.principalId === hd.groupId);
    for (const r of groupRoles) await applyPrivilegeChange({ type: 'role.revoke', assignmentId: r.id });
    const lines = await h.exportLines();
    expect(lines.filter((l) => l.type === 'edge' && l.kind === 'has_role' && l.from === `group:${hd.groupId}`)).toEqual([]);
    for (const u of hd.groupOnly) expect(userRoleEdgesOf(lines, u), u).toEqual([]);
    expect(roleEdges(lines)).toEqual(roleEdges(h.sim.truth()));

    const later = new Date(h.sim.org.now.getTime() + 60_000);
    const actual = await postureSubjects(later);
    const expected = expectedFindings(h.sim.org, DEFAULT_POSTURE_THRESHOLDS, later);
    for (const check of POSTURE_CHECKS) expect(actual[check.id], check.id).toEqual(expected[check.id]);
    const adminSubjects = new Set(Object.entries(actual).filter(([id]) => id.startsWith('admin.')).flatMap(([, s]) => s));
    for (const u of hd.groupOnly) expect(adminSubjects.has(`user:${u}`), u).toBe(false);
  });
});
