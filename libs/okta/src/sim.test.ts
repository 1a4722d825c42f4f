/**
 * The client against the Okta simulator: paging completeness, a shared Redis budget, 429 storms
 * with injected faults, missing scopes, and the token endpoint refusing bad assertions.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { importPKCS8, SignJWT } from 'jose';
import { startOktaSim, type OktaSim } from '@idgraph/okta-sim';
import { testRedisPrefix, TEST_REDIS_URL } from '@idgraph/test-support';
import {
  collectableResources,
  createMemoryRateGovernor,
  createOktaClient,
  createRedisRateGovernor,
  OktaAuthError,
  OKTA_READ_SCOPES,
  testConnectivity,
  type OktaClient,
  type OktaPage,
} from './index.js';

async function collectIds<T extends { id: string }>(pages: AsyncIterable<OktaPage<T>>): Promise<string[]> {
  const ids: string[] = [];
  for await (const p of pages) ids.push(...p.items.map((i) => i.id));
  return ids;
}

function ssws(sim: OktaSim, extra: Partial<Parameters<typeof createOktaClient>[0]> = {}): OktaClient {
  return createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'ssws', token: sim.apiToken }, ...extra });
}

describe('against the simulator (default limits)', () => {
  let sim: OktaSim;
  beforeAll(async () => {
    sim = await startOktaSim({ seed: 7, users: 450, logDays: 3 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('pages every user exactly once across page boundaries (and DEPROVISIONED via filter)', async () => {
    const client = ssws(sim);
    const listed = await collectIds(client.listUsers());
    const deprov = await collectIds(client.listUsers({ filter: 'status eq "DEPROVISIONED"' }));
    const expected = [...sim.org.users.values()].filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.id);
    expect(listed.length).toBeGreaterThan(200); // more than one page of 200
    expect(new Set(listed).size).toBe(listed.length);
    expect(new Set(listed)).toEqual(new Set(expected));
    expect(new Set(deprov)).toEqual(new Set([...sim.org.users.values()].filter((u) => u.status === 'DEPROVISIONED').map((u) => u.id)));
  });

  it('lists group members, apps, app assignments, roles and IAM objects completely', async () => {
    const client = ssws(sim);
    const everyone = await collectIds(client.listGroupUsers(sim.org.everyoneGroupId));
    expect(new Set(everyone)).toEqual(sim.org.groupMembers.get(sim.org.everyoneGroupId));
    const apps = await collectIds(client.listApps());
    expect(new Set(apps)).toEqual(new Set(sim.org.apps.keys()));
    const customRoles = await collectIds(client.listCustomRoles());
    expect(new Set(customRoles)).toEqual(new Set(sim.org.customRoles.keys()));
    const resourceSets = await collectIds(client.listResourceSets());
    expect(new Set(resourceSets)).toEqual(new Set(sim.org.resourceSets.keys()));
    const assignees = await collectIds(client.listRoleAssigneeUsers());
    const userPrincipals = new Set([...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'user').map((r) => r.principalId));
    const roleGroups = new Set([...sim.org.roleAssignments.values()].filter((r) => r.principalKind === 'group').map((r) => r.principalId));
    const viaGroups = new Set([...roleGroups].flatMap((g) => [...(sim.org.groupMembers.get(g) ?? [])]));
    expect(new Set(assignees)).toEqual(new Set([...userPrincipals, ...viaGroups]));
    const anAdmin = [...userPrincipals][0]!;
    const roles = await client.listUserRoles(anAdmin);
    expect(roles.items.filter((r) => r.assignmentType === 'USER').length).toBeGreaterThan(0);
    const groupOnly = [...viaGroups].find((u) => !userPrincipals.has(u));
    // Every generated org plants a role group with members who hold no role of their own.
    expect(groupOnly).toBeDefined();
    const inherited = await client.listUserRoles(groupOnly!);
    expect(inherited.items.length).toBeGreaterThan(0);
    expect(inherited.items.every((r) => r.assignmentType === 'GROUP')).toBe(true);
    const appWithGroups = [...sim.org.appGroupAssignments.entries()].find(([, m]) => m.size > 0)?.[0];
    expect(appWithGroups, 'the seeded org has an app assigned to groups').toBeDefined();
    const groups = await collectIds(client.listAppGroups(appWithGroups!));
    expect(new Set(groups)).toEqual(new Set(sim.org.appGroupAssignments.get(appWithGroups!)!.keys()));
    const serviceApp = [...sim.org.roleAssignments.values()].find((r) => r.principalKind === 'app');
    expect(serviceApp, 'the seeded org has a service app holding an admin role').toBeDefined();
    const clientRoles = await client.listClientRoles(serviceApp!.principalId);
    expect(clientRoles.items.map((r) => r.type)).toContain(serviceApp!.type);
    expect(clientRoles.items.every((r) => r.assignmentType === 'CLIENT')).toBe(true);
    const factors = await client.listUserFactors([...sim.org.factors.keys()][0]!);
    expect(factors.items.length).toBeGreaterThan(0);
    const page = await client.pollLogs({ since: new Date(Date.now() - 4 * 86_400_000), limit: 50 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.nextUrl).toMatch(/\/api\/v1\/logs\?/);
    expect(await client.getUser('00u_does_not_exist_00')).toBeNull();
  });

  it('reads what decides effective privilege: permissions, resource set resources, role targets, tokens, credentials (never a secret value), rules', async () => {
    const client = ssws(sim);
    const role = [...sim.org.customRoles.values()][0]!;
    expect((await client.listCustomRolePermissions(role.id)).items.map((p) => p.label)).toEqual(role.permissions);
    const set = [...sim.org.resourceSets.values()].find((x) => x.resources.length > 0)!;
    const resources: string[] = [];
    for await (const page of client.listResourceSetResources(set.id)) resources.push(...page.items.map((r) => r.id));
    expect(resources.sort()).toEqual(set.resources.map((r) => r.id).sort());
    const scoped = [...sim.org.roleAssignments.values()].find((a) => a.groupTargets.length > 0)!;
    const targets: string[] = [];
    for await (const page of client.listRoleTargetGroups({ kind: scoped.principalKind, id: scoped.principalId }, scoped.id)) targets.push(...page.items.map((g) => g.id));
    expect(targets.sort()).toEqual([...scoped.groupTargets].sort());
    const appScoped = [...sim.org.roleAssignments.values()].find((a) => a.appTargets.length > 0)!;
    const appTargets: unknown[] = [];
    for await (const page of client.listRoleTargetApps({ kind: appScoped.principalKind, id: appScoped.principalId }, appScoped.id)) appTargets.push(...page.items);
    expect(appTargets).toHaveLength(appScoped.appTargets.length);
    expect((await client.listApiTokens()).items.map((t) => t.id).sort()).toEqual([...sim.org.apiTokens.keys()].sort());
    const withSecret = [...sim.org.apps.values()].find((a) => a.clientSecrets.length > 0)!;
    const secrets = await client.listAppClientSecrets(withSecret.id);
    expect(secrets.items.map((c) => c.id)).toEqual(withSecret.clientSecrets.map((c) => c.id));
    for (const c of secrets.items) {
      expect(c).not.toHaveProperty('client_secret');
      expect(c).not.toHaveProperty('secret_hash');
    }
    const withKey = [...sim.org.apps.values()].find((a) => a.jwks.length > 0)!;
    expect((await client.listAppJwks(withKey.id)).items.map((k) => k.id)).toEqual(withKey.jwks.map((k) => k.id));
    expect(await collectIds(client.listGroupRules())).toEqual([...sim.org.groupRules.keys()].sort());
  });

  it('reports a missing scope and a forbidden role; refuses an ungranted scope at the token endpoint', async () => {
    const app = await sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read'], roles: ['READ_ONLY_ADMIN'] });
    const oauth = createOktaClient({
      orgUrl: sim.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', ...app, scopes: ['okta.users.read'] },
    });
    const report = await testConnectivity(oauth);
    const by = Object.fromEntries(report.resources.map((r) => [r.resource, r]));
    expect(by.users!.status).toBe('ok');
    expect(by.factors!.status).toBe('ok');
    expect(by.groups).toMatchObject({ status: 'missing_scope', scope: 'okta.groups.read' });
    expect(by.system_log).toMatchObject({ status: 'missing_scope', scope: 'okta.logs.read' });
    expect(report.ok).toBe(false);

    // Asking for every read scope: Okta refuses the whole request; the client asks again for what was granted.
    const greedy = createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app } });
    expect((await greedy.getJson<unknown[]>('/api/v1/users?limit=1')).body).toHaveLength(1);
    expect(greedy.scopeState()).toEqual({ requested: OKTA_READ_SCOPES, granted: ['okta.users.read', 'okta.groups.read'], refused: ['okta.apps.read', 'okta.roles.read', 'okta.logs.read', 'okta.apiTokens.read'] });

    const nothing = createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app, scopes: ['okta.apps.read', 'okta.logs.read'] } });
    const err = await nothing.getJson('/api/v1/users').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OktaAuthError);
    expect(err).toMatchObject({ error: 'invalid_scope', refusedScopes: ['okta.apps.read', 'okta.logs.read'] });

    const restricted = sim.createApiToken({ scopes: ['okta.users.read'] });
    const byRole = await testConnectivity(createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'ssws', token: restricted } }));
    expect(byRole.resources.find((r) => r.resource === 'apps')!.status).toBe('forbidden');
    expect(byRole.resources.find((r) => r.resource === 'users')!.status).toBe('ok');

    const full = await testConnectivity(ssws(sim));
    expect(full.resources.filter((r) => r.status !== 'ok')).toEqual([]);
  });

  it('a least-privilege service app: the granted resources are ok, the others missing_scope with the scope to grant', async () => {
    const app = await sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read', 'okta.logs.read'], roles: ['READ_ONLY_ADMIN'] });
    const client = createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app } });
    const report = await testConnectivity(client);
    const status = Object.fromEntries(report.resources.map((r) => [r.resource, r.scope ? `${r.status} ${r.scope}` : r.status]));
    expect(status).toEqual({
      users: 'ok',
      groups: 'ok',
      group_members: 'ok',
      apps: 'missing_scope okta.apps.read',
      app_assignments: 'missing_scope okta.apps.read',
      roles: 'missing_scope okta.roles.read',
      factors: 'ok',
      system_log: 'ok',
      api_tokens: 'missing_scope okta.apiTokens.read',
      group_rules: 'ok',
      app_credentials: 'missing_scope okta.apps.read',
    });
    expect(report.scopes).toEqual({ requested: OKTA_READ_SCOPES, granted: ['okta.users.read', 'okta.groups.read', 'okta.logs.read'], refused: ['okta.apps.read', 'okta.roles.read', 'okta.apiTokens.read'] });
    expect(collectableResources(report)).toEqual(['users', 'groups', 'group_members', 'factors', 'system_log', 'group_rules']);
    // The two apps resources share one cause and one message.
    const apps = report.resources.filter((r) => r.scope === 'okta.apps.read').map((r) => r.message);
    expect(new Set(apps).size).toBe(1);
    expect(apps[0]).toMatch(/refused to grant okta\.apps\.read/);
  });

  it("a read-only admin's API token: everything ok but roles, which are forbidden by the role (E0000006)", async () => {
    const token = sim.createApiToken({ roles: ['READ_ONLY_ADMIN'] });
    const report = await testConnectivity(createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'ssws', token } }));
    expect(report.resources.filter((r) => r.status !== 'ok').map((r) => [r.resource, r.status])).toEqual([['roles', 'forbidden']]);
    expect(report.resources.find((r) => r.resource === 'roles')!.message).toMatch(/E0000006.*Super Administrator/);
    expect(report.scopes).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain(token);
  });

  it('gets DPoP-bound tokens in auto mode (ES256 key) and reads with them', async () => {
    const app = await sim.createServiceApp({ scopes: ['okta.users.read'], alg: 'ES256', dpop: true });
    const client = createOktaClient({ orgUrl: sim.url, allowInsecureHttp: true, auth: { kind: 'oauth', ...app, scopes: ['okta.users.read'] } });
    const ids = await collectIds(client.listUsers());
    expect(ids.length).toBeGreaterThan(200);
  });

  it('the simulator rejects forged, wrong-audience, expired and replayed client assertions', async () => {
    const app = await sim.createServiceApp({ scopes: ['okta.users.read'] });
    const tokenUrl = `${sim.url}/oauth2/v1/token`;
    const key = await importPKCS8(app.privateKeyPem, 'RS256');
    const forgedKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const assertion = (o: { key?: Parameters<SignJWT['sign']>[0]; aud?: string; exp?: number; jti?: string } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: app.keyId })
        .setIssuer(app.clientId)
        .setSubject(app.clientId)
        .setAudience(o.aud ?? tokenUrl)
        .setIssuedAt()
        .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 300)
        .setJti(o.jti ?? randomUUID())
        .sign(o.key ?? key);
    const post = async (jwt: string) => {
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'okta.users.read',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: jwt,
        }),
      });
      return { status: res.status, body: (await res.json()) as { error?: string; access_token?: string } };
    };
    expect((await post(await assertion({ key: forgedKey }))).body.error).toBe('invalid_client');
    expect((await post(await assertion({ aud: `${sim.url}/oauth2/default/v1/token` }))).body.error).toBe('invalid_client');
    expect((await post(await assertion({ exp: Math.floor(Date.now() / 1000) - 10 }))).body.error).toBe('invalid_client');
    const once = await assertion();
    const first = await post(once);
    expect(first.status).toBe(200);
    expect(first.body.access_token).toBeTruthy();
    const replay = await post(once);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
  });
});

describe('shared Redis budget', () => {
  const connections: Redis[] = [];
  let sim: OktaSim;
  beforeAll(async () => {
    sim = await startOktaSim({ seed: 3, users: 50, logDays: 1, tokenShare: 1, rateLimits: { users: 20 } });
  });
  afterAll(async () => {
    await sim.close();
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('two clients with separate Redis connections never together exceed the share in a window', async () => {
    const keyPrefix = testRedisPrefix('okta-sim-budget');
    const mk = () => {
      const r = new Redis(TEST_REDIS_URL);
      connections.push(r);
      return ssws(sim, { governor: createRedisRateGovernor(r, { share: 0.5, keyPrefix }), signal: AbortSignal.timeout(2500) });
    };
    const hammer = async (client: OktaClient) => {
      let ok = 0;
      try {
        for (;;) {
          await client.getJson('/api/v1/users', { limit: 1 });
          ok += 1;
        }
      } catch {
        return ok; // the 2.5 s signal ends the run while the governor holds the rest of the window
      }
    };
    const [a, b] = await Promise.all([hammer(mk()), hammer(mk())]);
    const s = sim.stats();
    expect(s.byBucket.users).toBe(a + b);
    expect(a + b).toBe(10); // floor(20 · 0.5): the whole share, and not one request more
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(s.throttled429).toBe(0);
  });
});

describe('429 storms and injected faults', () => {
  it('concurrency 429s, 5xx, dropped connections and truncated bodies still end in complete results', async () => {
    const sim = await startOktaSim({ seed: 11, users: 300, groups: 12, logDays: 1, concurrencyLimit: 2 });
    try {
      sim.setFaults({ latencyMs: 40, jitterMs: 40, error5xxRate: 0.15, dropRate: 0.05, truncateRate: 0.1, seed: 5 });
      const client = ssws(sim, { governor: createMemoryRateGovernor({ maxConcurrent: 8 }), maxRetries: 10 });
      const groupIds = [...sim.org.groups.keys()];
      const members = await Promise.all(groupIds.map(async (g) => [g, await collectIds(client.listGroupUsers(g))] as const));
      for (const [g, ids] of members) {
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(sim.org.groupMembers.get(g) ?? new Set());
      }
      const s = sim.stats();
      expect(s.concurrency429).toBeGreaterThan(0);
      expect(client.stats().retries).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('a spent bucket (429) is waited out until the reset, then the listing completes', { timeout: 150_000 }, async () => {
    const sim = await startOktaSim({ seed: 12, users: 450, logDays: 1, tokenShare: 1, rateLimits: { users: 3 } });
    try {
      // Someone else spends the whole bucket first.
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${sim.url}/api/v1/users?limit=1`, { headers: { authorization: `SSWS ${sim.apiToken}` } });
        await r.arrayBuffer();
      }
      sim.setFaults({ error5xxRate: 0.2, seed: 9 });
      const client = ssws(sim, { governor: createMemoryRateGovernor({ share: 1 }), maxRetries: 10 });
      const ids = await collectIds(client.listUsers());
      expect(new Set(ids)).toEqual(new Set([...sim.org.users.values()].filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.id)));
      expect(client.stats().waited429).toBeGreaterThan(0);
      expect(client.stats().waited429Ms).toBeGreaterThan(1000);
    } finally {
      await sim.close();
    }
  });
});
