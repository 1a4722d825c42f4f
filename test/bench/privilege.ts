/**
 * Effective privilege at 100,000 users / 5,000 groups / 1,000,000 memberships: the simulator
 * generates the org (with its planted paths), its graph rows are committed straight into a fresh
 * PostgreSQL database (no HTTP collection: that is the collection benchmark's subject), then the
 * built CLI computes every path (`idgraph paths --json`) and every holder (`idgraph access --json`)
 * in child processes under /usr/bin/time, for wall time and peak RSS. In this process: the
 * loader's and the search's own times, and the size of what storing the results would mean.
 * Target: every path in under 10 s and 1 GB.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createSecretBox, GraphStore, migrateDatabase, openDatabase,
  type ApiTokenRow, type AppCredentialRow, type AppRow, type GroupRow, type GroupRuleRow, type GroupRuleTargetRow, type PageRows,
  type ResourceSetResourceRow, type ResourceSetRow, type RoleAssignmentRow, type RolePermissionRow, type RoleRow, type RoleTargetRow, type UserRow,
} from '@idgraph/graph';
import { sql } from 'drizzle-orm';
import { startOktaSim } from '@idgraph/okta-sim';
import { loadPrivilegeGraph, privilegeEdges, roleHolders, shortestPaths } from '@idgraph/privilege';
import { createTestDatabase } from '@idgraph/test-support';

const CLI = fileURLToPath(new URL('../../workers/cli/dist/main.js', import.meta.url));
const TENANT = 'bench';

export interface BenchPrivilegeOptions {
  users?: number;
  groups?: number;
  /** Average memberships per user besides Everyone (the simulator draws 0..2n). */
  membershipsPerUser?: number;
}

interface CliRun { seconds: number; peakRssMb: number | null; bytes: number }

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const [cmd, argv] = timeBin ? [timeBin, ['-f', 'peak_rss_kb=%M', process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`idgraph ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const rss = /peak_rss_kb=(\d+)/.exec(stderr);
      resolve({ seconds: round(seconds), peakRssMb: rss ? Math.round(Number(rss[1]) / 1024) : null, bytes });
    });
  });
}

export async function benchPrivilege(opts: BenchPrivilegeOptions = {}): Promise<Record<string, unknown>> {
  const users = opts.users ?? 100_000;
  const groups = opts.groups ?? 5_000;
  let t = performance.now();
  const sim = await startOktaSim({ seed: 5, users, groups, apps: 200, membershipsPerUser: opts.membershipsPerUser ?? 10, logDays: 1 });
  await sim.close();
  const org = sim.org;
  const generateSeconds = (performance.now() - t) / 1000;

  const tdb = await createTestDatabase('bench_privilege');
  const gdb = await openDatabase({ databaseUrl: tdb.url, maxConnections: 4 });
  try {
    await migrateDatabase(gdb);
    const secretKey = randomBytes(32).toString('base64url');
    const store = new GraphStore(gdb, { tenant: TENANT, secretBox: createSecretBox(secretKey) });
    await store.ensureTenant();
    const integration = await store.createIntegration({ name: 'bench', orgUrl: 'https://bench.okta.com', authMethod: 'ssws', secrets: { token: 'x'.repeat(40) }, allowHttp: false });
    t = performance.now();
    const at = new Date(org.now);
    const commit = async (rows: PageRows) => {
      await store.commitPage({ integrationId: integration.id, runId: null, resource: 'bench', nextUrl: null, done: true, rows });
    };
    const chunked = async <T>(items: T[], size: number, rows: (chunk: T[]) => PageRows) => {
      for (let i = 0; i < items.length; i += size) await commit(rows(items.slice(i, i + size)));
    };
    await chunked([...org.users.values()], 5000, (chunk) => ({
      users: chunk.map((u): UserRow => ({
        oktaId: u.id, status: u.status, login: u.profile.login, email: u.profile.email, firstName: u.profile.firstName, lastName: u.profile.lastName,
        created: null, activated: null, statusChanged: null, lastLogin: null, passwordChanged: null, credentialProvider: u.credentialProvider.type, raw: null, sourceUpdatedAt: at,
      })),
    }));
    await commit({ groups: [...org.groups.values()].map((g): GroupRow => ({ oktaId: g.id, groupType: g.type, name: g.name, description: g.description, raw: null, sourceUpdatedAt: at })) });
    await commit({
      apps: [...org.apps.values()].map((a): AppRow => ({
        oktaId: a.id, name: a.name, label: a.label, status: a.status, signOnMode: a.signOnMode, clientId: a.clientId, isServiceApp: a.isServiceApp, created: null, raw: null, sourceUpdatedAt: at,
      })),
      appCredentials: [...org.apps.values()].flatMap((a) => [
        ...a.clientSecrets.map((c): AppCredentialRow => ({ appId: a.id, credentialId: c.id, credentialType: 'client_secret', status: c.status, created: null, sourceUpdatedAt: at })),
        ...a.jwks.map((k): AppCredentialRow => ({ appId: a.id, credentialId: k.id, credentialType: 'jwk', status: k.status, created: null, sourceUpdatedAt: at })),
      ]),
    });
    const memberships: [string, string][] = [];
    for (const [groupId, members] of org.groupMembers) for (const userId of members) memberships.push([userId, groupId]);
    await chunked(memberships, 20_000, (chunk) => ({ memberships: chunk.map(([userId, groupId]) => ({ userId, groupId, sourceUpdatedAt: at })) }));
    const assignments = [...org.roleAssignments.values()];
    const roleOf = (a: (typeof assignments)[number]): string => (a.type === 'CUSTOM' ? (a.customRoleId as string) : a.type);
    await commit({
      roles: [...org.customRoles.values()].map((r): RoleRow => ({ oktaId: r.id, label: r.label, description: r.description, raw: null, sourceUpdatedAt: at })),
      rolePermissions: [...org.customRoles.values()].flatMap((r) => r.permissions.map((permission): RolePermissionRow => ({ roleId: r.id, permission, raw: null, sourceUpdatedAt: at }))),
      resourceSets: [...org.resourceSets.values()].map((s): ResourceSetRow => ({ oktaId: s.id, label: s.label, description: s.description, raw: null, sourceUpdatedAt: at })),
      resourceSetResources: [...org.resourceSets.values()].flatMap((s) => s.resources.map((r): ResourceSetResourceRow => {
        const ref = r.ref;
        const [targetKind, targetId] = ref.kind === 'groupMembers' ? ['group_members', ref.groupId] : ref.kind === 'group' ? ['group', ref.groupId]
          : ref.kind === 'app' ? ['app', ref.appId] : ref.kind === 'appType' ? ['app_type', ref.appName] : ref.kind === 'user' ? ['user', ref.userId]
            : [ref.kind === 'allUsers' ? 'all_users' : ref.kind === 'allGroups' ? 'all_groups' : 'all_apps', null];
        return { resourceSetId: s.id, resourceId: r.id, orn: `orn:okta:bench:${r.id}`, targetKind, targetId, raw: null, sourceUpdatedAt: at };
      })),
      roleAssignments: assignments.map((a): RoleAssignmentRow => ({
        principalKind: a.principalKind, principalId: a.principalId, roleId: roleOf(a), resourceSetId: a.resourceSetId ?? '', assignmentId: a.id, status: 'ACTIVE', raw: null, sourceUpdatedAt: at,
      })),
      roleTargets: assignments.flatMap((a) => [
        ...a.groupTargets.map((g): RoleTargetRow => ({ principalKind: a.principalKind, principalId: a.principalId, roleId: a.type, targetKind: 'group', targetId: g, sourceUpdatedAt: at })),
        ...a.appTargets.map((x): RoleTargetRow => ({ principalKind: a.principalKind, principalId: a.principalId, roleId: a.type, targetKind: x.appId ? 'app' : 'catalog_app', targetId: x.appId ?? x.name, sourceUpdatedAt: at })),
      ]),
      apiTokens: [...org.apiTokens.values()].map((k): ApiTokenRow => ({ oktaId: k.id, name: k.name, userId: k.userId, clientName: k.clientName, created: null, expiresAt: null, tokenWindow: k.tokenWindow, raw: null, sourceUpdatedAt: at })),
      groupRules: [...org.groupRules.values()].map((r): GroupRuleRow => ({ oktaId: r.id, name: r.name, status: r.status, expression: r.expression, raw: null, sourceUpdatedAt: at })),
      groupRuleTargets: [...org.groupRules.values()].flatMap((r) => r.targetGroupIds.map((groupId): GroupRuleTargetRow => ({ ruleId: r.id, groupId, sourceUpdatedAt: at }))),
    });
    // Fresh tables: statistics before the loader's queries are planned (a collection run's full sync does the same).
    await gdb.execute(sql.raw('ANALYZE'));
    const seedSeconds = (performance.now() - t) / 1000;

    // The CLI, as users run it: every path, every holder.
    const env = { DATABASE_URL: tdb.url, IDGRAPH_SECRET_KEY: secretKey, IDGRAPH_TENANT: TENANT, LOG_LEVEL: 'warn' };
    const paths = await runCli(['paths', '--integration', 'bench', '--json'], env);
    const access = await runCli(['access', '--integration', 'bench', '--json'], env);

    // In this process: where the time goes, and what storing the results would hold.
    t = performance.now();
    const graph = await loadPrivilegeGraph(gdb, { tenantId: TENANT, integrationId: integration.id });
    const loadSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const sp = shortestPaths(graph);
    const searchSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const allPaths = [...sp.paths()];
    const pathCount = allPaths.length;
    const pathsSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const allHolders = roleHolders(graph);
    const holders = allHolders.length;
    const holdersSeconds = (performance.now() - t) / 1000;
    // What storing them would cost each time: one row per holder and per path (JSON steps) written
    // into a table, 10k rows a statement. (Control edges are only counted: see wouldStore.)
    await gdb.execute(sql`CREATE TABLE bench_privilege_rows (kind text, principal text, body jsonb)`);
    t = performance.now();
    const rows = [
      ...allHolders.map((h) => ({ kind: 'holder', principal: h.principal, body: h })),
      ...allPaths.map((q) => ({ kind: 'path', principal: q.from, body: q })),
    ];
    for (let i = 0; i < rows.length; i += 10_000) {
      await gdb.execute(sql`INSERT INTO bench_privilege_rows (kind, principal, body) SELECT x.kind, x.principal, x.body FROM jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 10_000))}::text::jsonb) AS x(kind text, principal text, body jsonb)`);
    }
    const storeSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    let controlEdges = 0;
    for (const _ of privilegeEdges(graph, { structural: false })) controlEdges++;
    const edgesSeconds = (performance.now() - t) / 1000;

    return {
      org: { users: org.users.size, groups: org.groups.size, memberships: graph.memberships, apps: org.apps.size, roleAssignments: assignments.length, apiTokens: org.apiTokens.size, groupRules: org.groupRules.size },
      seconds: { generateOrg: round(generateSeconds), seedDatabase: round(seedSeconds) },
      cli: { pathsJson: paths, accessJson: access },
      inProcess: {
        loadGraphSeconds: round(loadSeconds),
        shortestPathsSeconds: round(searchSeconds),
        listPathsSeconds: round(pathsSeconds),
        holdersSeconds: round(holdersSeconds),
        enumerateControlEdgesSeconds: round(edgesSeconds),
        writeHoldersAndPathsSeconds: round(storeSeconds),
      },
      wouldStore: { holders, paths: pathCount, controlEdges },
      target: 'paths --json (every path) under 10 s and 1 GB peak RSS',
      met: paths.seconds < 10 && (paths.peakRssMb ?? 0) < 1024,
    };
  } finally {
    await gdb.close();
    await tdb.drop();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
