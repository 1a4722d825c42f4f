import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@idgraph/test-support';
import { migrateDatabase, openDatabase, type GraphDb } from '@idgraph/graph';
import { POSTURE_CHECKS } from './checks.js';
import { evaluatePostureChecks, runPostureChecks, type FindingInput, type PostureRunResult } from './run.js';
import { buildReport, formatReportTable, reportLabels } from './report.js';
import { createFixtureIntegration, GraphFixture, type FixtureIntegration } from './testdata/graph-fixture.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');

/**
 * One org exercising every check, with the boundary and "must not match" cases next to the
 * matching ones. Ids are chosen so each says what it is.
 */
function buildOrg(f: GraphFixture): void {
  // Plain, healthy users.
  f.strongFactors(f.user('u_ok'));
  f.factor(f.user('u_nomfa'), 'push', 'PENDING_ACTIVATION');
  const weak = f.user('u_weak');
  f.factor(weak, 'sms');
  f.factor(weak, 'email');
  f.factor(weak, 'webauthn', 'INACTIVE');
  f.factor(weak, 'push', 'ACTIVE', true); // tombstoned factor does not count
  f.strongFactors(f.user('u_inactive', { lastLoginDays: 100 }));
  f.strongFactors(f.user('u_never_old', { lastLoginDays: null, createdDays: 120 }));
  f.strongFactors(f.user('u_never_mid', { lastLoginDays: null, createdDays: 60 }));
  f.strongFactors(f.user('u_never_new', { lastLoginDays: null, createdDays: 10 }));
  f.strongFactors(f.user('u_pw_old', { passwordDays: 400 }));
  f.strongFactors(f.user('u_pw_old_ad', { passwordDays: 400, provider: 'ACTIVE_DIRECTORY' }));
  f.user('u_locked', { status: 'LOCKED_OUT' });
  f.user('u_prov_old', { status: 'PROVISIONED', statusChangedDays: 40, lastLoginDays: null, passwordDays: null });
  f.user('u_prov_new', { status: 'PROVISIONED', statusChangedDays: 5, lastLoginDays: null, passwordDays: null });
  f.user('u_gone', { deleted: true, status: 'LOCKED_OUT' }); // tombstoned user: nothing at all

  // Apps.
  f.app('app_ok');
  f.app('app_every', { label: 'Everyone App' });
  f.app('app_every_inactive', { status: 'INACTIVE' });
  f.app('app_inactive_empty', { status: 'INACTIVE' });
  f.app('app_inactive_stale_only', { status: 'INACTIVE' });
  f.assignUser('app_inactive_stale_only', 'u_ok', 'USER', true); // tombstoned assignment only
  f.app('svc_super', { service: true, clientId: 'cli_super', label: 'Deploy Bot' });
  f.app('svc_org', { service: true, clientId: 'svc_org' });
  f.app('svc_reader', { service: true, clientId: 'cli_reader' });
  f.app('svc_tomb', { service: true, clientId: 'cli_tomb' });
  f.role('app', 'cli_super', 'SUPER_ADMIN');
  f.role('app', 'svc_org', 'ORG_ADMIN'); // role naming the app id instead of a distinct client id
  f.role('app', 'cli_reader', 'READ_ONLY_ADMIN');
  f.role('app', 'cli_tomb', 'ORG_ADMIN', { deleted: true });

  const everyone = f.group('grp_everyone', 'Everyone', 'BUILT_IN');
  f.assignGroup('app_every', everyone);
  f.assignGroup('app_every_inactive', everyone);
  f.assignUser('app_ok', 'u_ok');

  // Deprovisioned / suspended.
  f.user('u_deprov_app', { status: 'DEPROVISIONED' });
  f.assignUser('app_ok', 'u_deprov_app', 'USER');
  f.user('u_deprov_grp_app', { status: 'DEPROVISIONED' });
  f.assignUser('app_ok', 'u_deprov_grp_app', 'GROUP'); // group-derived only: not a direct assignment
  f.user('u_deprov_tomb_app', { status: 'DEPROVISIONED' });
  f.assignUser('app_ok', 'u_deprov_tomb_app', 'USER', true);
  f.user('u_deprov_role', { status: 'DEPROVISIONED' });
  f.role('user', 'u_deprov_role', 'cr0custom', { resourceSetId: 'iamset1' });
  f.user('u_susp_admin_grp', { status: 'SUSPENDED' });

  // Admins. Five effective SUPER_ADMINs: two direct, two through a small group, one more direct.
  const smsSuper = f.user('a_super_sms');
  f.factor(smsSuper, 'sms');
  f.role('user', smsSuper, 'SUPER_ADMIN');
  f.strongFactors(f.user('a_super_ok'));
  f.role('user', 'a_super_ok', 'SUPER_ADMIN');
  f.strongFactors(f.user('a_super_ok2'));
  f.role('user', 'a_super_ok2', 'SUPER_ADMIN');
  const superGroup = f.group('grp_super', 'Super admins');
  f.role('group', superGroup, 'SUPER_ADMIN');
  const g1 = f.user('a_super_g1');
  f.factor(g1, 'webauthn'); // one ACTIVE factor: single_factor through the group path
  f.member(g1, superGroup);
  f.strongFactors(f.user('a_super_g2'));
  f.member('a_super_g2', superGroup);
  f.member('u_susp_admin_grp', superGroup); // SUSPENDED: not counted as admin, but has access
  f.strongFactors(f.user('u_old_member'));
  f.member('u_old_member', superGroup, true); // tombstoned membership: not an admin
  f.strongFactors(f.user('u_tomb_super'));
  f.role('user', 'u_tomb_super', 'SUPER_ADMIN', { deleted: true });
  const deadGroup = f.group('grp_dead', 'Deleted admins', 'OKTA_GROUP', true);
  f.role('group', deadGroup, 'SUPER_ADMIN');
  f.member('u_ok', deadGroup); // live membership of a tombstoned group: not an admin

  const dormant = f.user('a_org_dormant', { lastLoginDays: 45 });
  f.strongFactors(dormant);
  f.role('user', dormant, 'ORG_ADMIN');
  const neverAdmin = f.user('a_never', { lastLoginDays: null, createdDays: 31 });
  f.strongFactors(neverAdmin);
  f.role('user', neverAdmin, 'HELP_DESK_ADMIN');
  const pwAdmin = f.user('a_pw', { passwordDays: 200 });
  f.strongFactors(pwAdmin);
  f.role('user', pwAdmin, 'APP_ADMIN');
  const custom = f.user('a_custom');
  f.factor(custom, 'push');
  f.factor(custom, 'call');
  f.role('user', custom, 'cr0custom', { resourceSetId: 'iamset1' });

  // Role on groups of 25 (at the threshold) and 26 members (over it).
  const g25 = f.group('grp_25', 'Twenty-five');
  const g26 = f.group('grp_26', 'Twenty-six');
  f.role('group', g25, 'READ_ONLY_ADMIN');
  f.role('group', g26, 'READ_ONLY_ADMIN');
  for (let i = 0; i < 26; i++) {
    const id = f.user(`m_${String(i).padStart(2, '0')}`);
    f.strongFactors(id);
    if (i < 25) f.member(id, g25);
    f.member(id, g26);
  }
  f.member('u_gone', g25); // member whose user row is tombstoned: not counted
  f.member('u_ok', g25, true); // tombstoned membership: not counted

  // Effective privilege: the SUPER_ADMIN service app has a client secret (APP_ADMIN and read-only
  // admins may read it), a super admin and a help desk admin own API tokens, REPORT_ADMIN is held
  // only through the 26-member group, a rule on a profile attribute feeds the super admin group.
  f.credential('svc_super', 'client_secret');
  f.credential('svc_org', 'jwk');
  f.credential('svc_org', 'client_secret', { status: 'INACTIVE' });
  f.token('tok_super', 'a_super_ok', 'Terraform');
  f.token('tok_helpdesk', 'a_never', 'Helper');
  f.token('tok_gone', 'a_super_ok2', 'Old', true);
  f.role('group', g26, 'REPORT_ADMIN');
  f.rule('rule_admins', { expression: 'user.department=="IT"', targets: [superGroup] });
  f.rule('rule_off', { status: 'INACTIVE', expression: 'user.department=="IT"', targets: [superGroup] });
  f.rule('rule_plain', { expression: 'user.department=="Sales"', targets: ['grp_ad_plain'] });

  const appGroup = f.group('grp_ad_admins', 'AD admins', 'APP_GROUP');
  f.role('group', appGroup, 'HELP_DESK_ADMIN');
  f.member('u_ok', appGroup);
  f.group('grp_ad_plain', 'AD plain', 'APP_GROUP');
}

const EXPECTED: Record<string, string[]> = {
  'mfa.none': ['user:u_nomfa'],
  'mfa.weak_only': ['user:a_super_sms', 'user:u_weak'],
  'admin.no_phishing_resistant_mfa': ['user:a_custom', 'user:a_super_sms'],
  'admin.super_admin_count': ['org:acme.okta.com'],
  'admin.inactive': ['user:a_never', 'user:a_org_dormant'],
  'admin.via_large_group': ['group:grp_26'],
  'admin.service_app_privileged': ['app:svc_org', 'app:svc_super'],
  'admin.single_factor': ['user:a_super_g1', 'user:a_super_sms'],
  'admin.password_stale': ['user:a_pw'],
  'user.inactive': ['user:u_inactive', 'user:u_never_old'],
  'user.never_signed_in': ['user:a_never', 'user:u_never_mid', 'user:u_never_old'],
  'user.deprovisioned_with_access': ['user:u_deprov_app', 'user:u_deprov_role', 'user:u_susp_admin_grp'],
  'user.password_stale': ['user:u_pw_old'],
  'user.locked_out': ['user:u_locked'],
  'app.assigned_to_everyone': ['app:app_every'],
  'admin.sms_voice_factor': ['user:a_custom', 'user:a_super_sms'],
  'admin.role_via_app_group': ['group:grp_ad_admins'],
  'user.provisioned_not_activated': ['user:u_prov_old'],
  'app.inactive_with_assignments': ['app:app_every_inactive'],
  // Read-only admins (grp_25, grp_26, svc_reader) and the app admin may read svc_super's client secret.
  'privilege.path_to_tier_zero': ['app:svc_reader', 'user:a_pw', ...Array.from({ length: 26 }, (_, i) => `user:m_${String(i).padStart(2, '0')}`)],
  'privilege.credential_super_admin': ['api_token:tok_super', 'app:svc_super'],
  'privilege.role_only_via_large_group': ['role:REPORT_ADMIN'],
  'privilege.admin_via_group_rule': ['group_rule:rule_admins'],
};

const subjectsById = (run: PostureRunResult) => Object.fromEntries(run.checks.map((c) => [c.id, c.subjects.map((s) => s.subject)]));

describe('posture checks over a hand-built graph (PostgreSQL)', () => {
  let tdb: TestDatabase;
  let gdb: GraphDb;
  let acme: FixtureIntegration;
  let other: FixtureIntegration;

  beforeAll(async () => {
    tdb = await createTestDatabase('posture_checks');
    gdb = await openDatabase({ databaseUrl: tdb.url, maxConnections: 2 });
    await migrateDatabase(gdb);
    acme = await createFixtureIntegration(gdb, 't1', 'acme', 'https://ACME.okta.com/');
    const f = new GraphFixture(acme, NOW);
    buildOrg(f);
    await f.write(gdb);
    // Same ids in another tenant's integration, all of them problems: must not leak into acme's results.
    other = await createFixtureIntegration(gdb, 't2', 'acme', 'https://other.okta.com');
    const o = new GraphFixture(other, NOW);
    o.user('u_ok', { status: 'LOCKED_OUT' });
    o.user('u_nomfa', { status: 'LOCKED_OUT' });
    await o.write(gdb);
  });
  afterAll(async () => {
    await gdb?.close();
    await tdb?.drop();
  });

  it('the catalogue has unique ids, the expected ids, and a cited rationale + remediation each', () => {
    const ids = POSTURE_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const c of POSTURE_CHECKS) {
      expect(c.rationale, c.id).toMatch(/STIG|HealthInsight|CIS|NIST|Microsoft|Okta/);
      expect(c.remediation.length, c.id).toBeGreaterThan(20);
    }
  });

  it('finds exactly the expected subjects for every check, live rows of one integration only', async () => {
    const run = await evaluatePostureChecks({ db: gdb, integrationId: acme.integrationId, now: NOW });
    expect(run.integration.name).toBe('acme');
    expect(subjectsById(run)).toEqual(EXPECTED);
    const locked = run.checks.find((c) => c.id === 'user.locked_out');
    expect(locked?.subjects).toEqual([{ subject: 'user:u_locked', label: 'u_locked@example.com' }]);
    const svc = run.checks.find((c) => c.id === 'admin.service_app_privileged');
    expect(svc?.subjects.map((s) => s.label)).toEqual(['App svc_org', 'Deploy Bot']);
    const path = run.checks.find((c) => c.id === 'privilege.path_to_tier_zero')?.subjects.find((s) => s.subject === 'user:a_pw');
    expect(path?.details).toEqual({
      to: 'role:SUPER_ADMIN', length: 2,
      path: [
        { from: 'user:a_pw', edge: 'ReadClientSecret', to: 'app:svc_super', grant: { principal: 'user:a_pw', role: 'APP_ADMIN', resourceSet: null, assignmentId: null } },
        { from: 'app:svc_super', edge: 'HasRole', to: 'role:SUPER_ADMIN', grant: { principal: 'app:svc_super', role: 'SUPER_ADMIN', resourceSet: null, assignmentId: null } },
      ],
    });
    const org = run.checks.find((c) => c.id === 'admin.super_admin_count');
    expect(org?.subjects[0]?.label).toBe('5 effective super admins (max 4)');

    const otherRun = await evaluatePostureChecks({ db: gdb, integrationId: other.integrationId, now: NOW });
    expect(subjectsById(otherRun)['user.locked_out']).toEqual(['user:u_nomfa', 'user:u_ok']);
    expect(otherRun.checks.filter((c) => c.id !== 'user.locked_out').every((c) => c.count === 0)).toBe(true);
  });

  it('honours thresholds: raising limits removes findings, lowering adds them', async () => {
    const run = await evaluatePostureChecks({
      db: gdb,
      integrationId: acme.integrationId,
      now: NOW,
      thresholds: { superAdminMax: 5, adminGroupMaxMembers: 24, adminInactiveDays: 50, userInactiveDays: 130, superAdminMinFactors: 1 },
    });
    const s = subjectsById(run);
    expect(s['admin.super_admin_count']).toEqual([]);
    expect(s['admin.via_large_group']).toEqual(['group:grp_25', 'group:grp_26']);
    expect(s['admin.inactive']).toEqual([]);
    expect(s['user.inactive']).toEqual([]);
    expect(s['admin.single_factor']).toEqual([]);
  });

  it('runPostureChecks hands every check (empty ones too) to syncFindings with severity and label', async () => {
    const calls: { checkId: string; current: FindingInput[]; at: Date }[] = [];
    const store = {
      async syncFindings(integrationId: string, checkId: string, current: FindingInput[], at: Date) {
        expect(integrationId).toBe(acme.integrationId);
        calls.push({ checkId, current, at });
      },
    };
    await runPostureChecks({ db: gdb, store, integrationId: acme.integrationId, now: NOW });
    expect(calls.map((c) => c.checkId)).toEqual(POSTURE_CHECKS.map((c) => c.id));
    expect(calls.every((c) => c.at.getTime() === NOW.getTime())).toBe(true);
    const weak = calls.find((c) => c.checkId === 'mfa.weak_only');
    expect(weak?.current).toEqual([
      { subject: 'user:a_super_sms', severity: 'medium', details: { label: 'a_super_sms@example.com', title: expect.any(String) } },
      { subject: 'user:u_weak', severity: 'medium', details: { label: 'u_weak@example.com', title: expect.any(String) } },
    ]);
  });

  it('builds the JSON report with every check and the table by severity with labels', async () => {
    const run = await evaluatePostureChecks({ db: gdb, integrationId: acme.integrationId, now: NOW });
    const report = buildReport(run);
    expect(Object.keys(report)).toEqual(['integration', 'generatedAt', 'checks']);
    expect(report.integration).toBe('acme');
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(report.checks).toHaveLength(POSTURE_CHECKS.length);
    for (const c of report.checks) {
      expect(Object.keys(c)).toEqual(['id', 'severity', 'title', 'count', 'subjects']);
      expect(c.count).toBe(c.subjects.length);
      expect(c.subjects).toEqual([...c.subjects].sort());
    }
    const table = formatReportTable(report, reportLabels(run), { maxSubjects: 2 });
    const lines = table.split('\n');
    expect(lines[0]).toBe(`Posture report for acme at ${NOW.toISOString()}`);
    const critical = lines.findIndex((l) => l.startsWith('CRITICAL'));
    const info = lines.findIndex((l) => l.startsWith('INFO'));
    expect(critical).toBeGreaterThan(0);
    expect(info).toBeGreaterThan(critical);
    expect(lines[critical]).toMatch(/admin\.single_factor\s+a_super_g1@example\.com, a_super_sms@example\.com$/);
    expect(table).toMatch(/user\.never_signed_in\s+a_never@example\.com, u_never_mid@example\.com \(\+1 more\)/);
  });

  it('rejects bad input with messages that say what to fix', async () => {
    await expect(evaluatePostureChecks({ db: gdb, integrationId: 'acme' })).rejects.toThrow(/not a UUID/);
    await expect(
      evaluatePostureChecks({ db: gdb, integrationId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toThrow(/no integration with id/);
    await expect(
      evaluatePostureChecks({ db: gdb, integrationId: acme.integrationId, thresholds: { superAdminMax: -1 } }),
    ).rejects.toThrow(/superAdminMax.*integer between 0/);
    await expect(evaluatePostureChecks({ integrationId: acme.integrationId })).rejects.toThrow(/pass `db`/);
  });
});

describe('posture checks on the embedded PGlite database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idgraph-posture-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same findings as on PostgreSQL', async () => {
    const gdb = await openDatabase({ dataDir: dir });
    try {
      await migrateDatabase(gdb);
      const acme = await createFixtureIntegration(gdb, 't1', 'acme', 'https://acme.okta.com');
      const f = new GraphFixture(acme, NOW);
      buildOrg(f);
      await f.write(gdb);
      const run = await evaluatePostureChecks({ db: gdb, integrationId: acme.integrationId, now: NOW });
      expect(subjectsById(run)).toEqual(EXPECTED);
    } finally {
      await gdb.close();
    }
  });
});
