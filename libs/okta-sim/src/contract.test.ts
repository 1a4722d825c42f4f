/**
 * Contract: the simulator's responses validate against Okta's own OpenAPI spec, the
 * `management-openapi.yaml` in the directory named by IDGRAPH_OKTA_SPEC_DIR (3.5 MB, loaded once).
 * The spec is not part of this repository: it is Okta's `dist/current/management-minimal.yaml` from
 * https://github.com/okta/okta-management-openapi-spec. Without IDGRAPH_OKTA_SPEC_DIR these tests
 * are skipped and say why; `.ci/run` sets it when the spec sits beside the repository.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TARGET_ROLES, GROUP_TARGET_ROLES, roleHolderUserIds, startOktaSim } from './index.js';
import type { OktaSim } from './index.js';
import { httpGet } from './testdata/http.js';
import { SpecValidator } from './testdata/spec-validator.js';

const SPEC_DIR_VAR = 'IDGRAPH_OKTA_SPEC_DIR';
const specDir = process.env[SPEC_DIR_VAR]?.trim() || undefined;
const SKIP_REASON =
  `${SPEC_DIR_VAR} is not set: set it to a directory holding Okta's management-openapi.yaml ` +
  '(dist/current/management-minimal.yaml of https://github.com/okta/okta-management-openapi-spec) to run these';
// Printed, not only in the suite's name: the default reporter shows a skipped file as a count.
if (!specDir) process.stderr.write(`okta-sim contract tests skipped: ${SKIP_REASON}\n`);

/** The spec file; a set but wrong directory is a failure, not a skip. */
function specFile(dir: string): string {
  const file = join(resolve(dir), 'management-openapi.yaml');
  if (!existsSync(file)) {
    throw new Error(`${SPEC_DIR_VAR}=${dir} holds no management-openapi.yaml (looked for ${file}); point it at the directory holding Okta's spec, or unset it to skip these tests`);
  }
  return file;
}

describe.skipIf(!specDir)(`okta-sim responses validate against the Okta management OpenAPI spec${specDir ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  let sim: OktaSim;
  let spec: SpecValidator;
  let auth: Record<string, string>;

  beforeAll(async () => {
    spec = SpecValidator.load(specFile(specDir as string));
    sim = await startOktaSim({ seed: 11, users: 60 });
    auth = { Authorization: `SSWS ${sim.apiToken}` };
    // A few live changes so mutation-created objects and events are covered too.
    for (let i = 0; i < 15; i++) sim.mutate();
  });
  afterAll(async () => {
    await sim?.close();
  });

  async function expectValid(template: string, path: string, status = 200, headers = auth): Promise<unknown> {
    const res = await httpGet(`${sim.url}${path}`, headers);
    expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBe(status);
    expect(spec.validateResponse(template, 'get', status, res.json), path).toEqual([]);
    return res.json;
  }

  it('the validator rejects payloads that break the spec', () => {
    expect(spec.validateResponse('/api/v1/users', 'get', 200, [{ id: 'x', status: 'BOGUS' }]).length).toBeGreaterThan(0);
    expect(spec.validateResponse('/api/v1/users/{userId}/factors', 'get', 200, [{ id: 'f', factorType: 'sms', status: 'NOPE' }]).length).toBeGreaterThan(0);
    expect(spec.validateResponse('/api/v1/logs', 'get', 200, [{ uuid: 'u', published: 'yesterday' }]).length).toBeGreaterThan(0);
  });

  it('users, user, user groups, factors and roles', async () => {
    await expectValid('/api/v1/users', '/api/v1/users?limit=200');
    await expectValid('/api/v1/users', `/api/v1/users?search=${encodeURIComponent('status eq "DEPROVISIONED"')}`);
    const everyUser = [...sim.org.users.values()];
    const withFactors = everyUser.filter((u) => (sim.org.factors.get(u.id)?.length ?? 0) > 0).slice(0, 25);
    const factorTypes = new Set<string>();
    for (const u of withFactors) {
      const factors = (await expectValid('/api/v1/users/{userId}/factors', `/api/v1/users/${u.id}/factors`)) as { factorType: string }[];
      for (const f of factors) factorTypes.add(f.factorType);
    }
    expect(factorTypes.size).toBeGreaterThanOrEqual(4);
    const sample = everyUser[0]?.id as string;
    await expectValid('/api/v1/users/{id}', `/api/v1/users/${sample}`);
    await expectValid('/api/v1/users/{id}/groups', `/api/v1/users/${sample}/groups`);
    // Every role holder's list: own (USER) entries and entries held through groups (GROUP).
    const assignmentTypes = new Set<string>();
    for (const id of roleHolderUserIds(sim.org)) {
      const roles = (await expectValid('/api/v1/users/{userId}/roles', `/api/v1/users/${id}/roles`)) as { assignmentType: string }[];
      for (const r of roles) assignmentTypes.add(r.assignmentType);
    }
    expect([...assignmentTypes].sort()).toEqual(['GROUP', 'USER']);
  });

  it('groups, group, group members and group roles', async () => {
    await expectValid('/api/v1/groups', '/api/v1/groups');
    const withStats = (await expectValid('/api/v1/groups', '/api/v1/groups?expand=stats')) as { id: string; _embedded: { stats: { usersCount: number } } }[];
    for (const g of withStats) expect(g._embedded.stats.usersCount).toBe(sim.org.groupMembers.get(g.id)?.size);
    for (const g of sim.org.groups.values()) {
      await expectValid('/api/v1/groups/{groupId}', `/api/v1/groups/${g.id}`);
      await expectValid('/api/v1/groups/{groupId}/roles', `/api/v1/groups/${g.id}/roles`);
    }
    await expectValid('/api/v1/groups/{groupId}/users', `/api/v1/groups/${sim.org.everyoneGroupId}/users?limit=200`);
  });

  it('apps, app, app users and app groups', async () => {
    await expectValid('/api/v1/apps', '/api/v1/apps?limit=200');
    for (const a of sim.org.apps.values()) {
      await expectValid('/api/v1/apps/{appId}', `/api/v1/apps/${a.id}`);
      await expectValid('/api/v1/apps/{appId}/users', `/api/v1/apps/${a.id}/users?limit=500`);
      await expectValid('/api/v1/apps/{appId}/groups', `/api/v1/apps/${a.id}/groups`);
    }
  });

  it('IAM roles, resource sets, assignees and service app roles', async () => {
    await expectValid('/api/v1/iam/roles', '/api/v1/iam/roles');
    await expectValid('/api/v1/iam/resource-sets', '/api/v1/iam/resource-sets');
    await expectValid('/api/v1/iam/assignees/users', '/api/v1/iam/assignees/users');
    for (const a of sim.org.apps.values()) {
      if (a.isServiceApp && a.clientId) await expectValid('/oauth2/v1/clients/{clientId}/roles', `/oauth2/v1/clients/${a.clientId}/roles`);
    }
  });

  it('privilege: custom role permissions, resource set resources, role targets, API tokens, client credentials, group rules', async () => {
    for (const r of sim.org.customRoles.values()) await expectValid('/api/v1/iam/roles/{roleIdOrLabel}/permissions', `/api/v1/iam/roles/${r.id}/permissions`);
    for (const s of sim.org.resourceSets.values()) await expectValid('/api/v1/iam/resource-sets/{resourceSetIdOrLabel}/resources', `/api/v1/iam/resource-sets/${s.id}/resources`);
    const base = { user: '/api/v1/users/{userId}', group: '/api/v1/groups/{groupId}', app: '/oauth2/v1/clients/{clientId}' } as const;
    const path = { user: 'users', group: 'groups', app: 'clients' } as const;
    let targets = 0;
    for (const a of sim.org.roleAssignments.values()) {
      const prefix = a.principalKind === 'app' ? `/oauth2/v1/clients/${a.principalId}` : `/api/v1/${path[a.principalKind]}/${a.principalId}`;
      if (GROUP_TARGET_ROLES.includes(a.type as never)) {
        await expectValid(`${base[a.principalKind]}/roles/{roleAssignmentId}/targets/groups`, `${prefix}/roles/${a.id}/targets/groups`);
        targets += a.groupTargets.length;
      }
      if (APP_TARGET_ROLES.includes(a.type as never)) {
        await expectValid(`${base[a.principalKind]}/roles/{roleAssignmentId}/targets/catalog/apps`, `${prefix}/roles/${a.id}/targets/catalog/apps`);
        targets += a.appTargets.length;
      }
    }
    expect(targets).toBeGreaterThan(0);
    const tokens = (await expectValid('/api/v1/api-tokens', '/api/v1/api-tokens')) as unknown[];
    expect(tokens.length).toBeGreaterThan(0);
    for (const a of sim.org.apps.values()) {
      if (!a.clientId) continue;
      await expectValid('/api/v1/apps/{appId}/credentials/secrets', `/api/v1/apps/${a.id}/credentials/secrets`);
      await expectValid('/api/v1/apps/{appId}/credentials/jwks', `/api/v1/apps/${a.id}/credentials/jwks`);
    }
    const rules = (await expectValid('/api/v1/groups/rules', '/api/v1/groups/rules')) as unknown[];
    expect(rules.length).toBe(sim.org.groupRules.size);
  });

  it('System Log events, generated and from mutations', async () => {
    const events = (await expectValid('/api/v1/logs', '/api/v1/logs?limit=1000')) as unknown[];
    expect(events.length).toBeGreaterThan(0);
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const recent = (await expectValid('/api/v1/logs', `/api/v1/logs?since=${encodeURIComponent(since)}&limit=1000`)) as unknown[];
    expect(recent.length).toBeGreaterThanOrEqual(15);
  });

  it('error bodies: 400, 401, 403, 404, 429 are Okta Error objects', async () => {
    const expectError = async (path: string, status: number, code: string, headers = auth): Promise<void> => {
      const res = await httpGet(`${sim.url}${path}`, headers);
      expect(res.status, path).toBe(status);
      expect(spec.validateComponent('Error', res.json), path).toEqual([]);
      expect(res.json).toMatchObject({ errorCode: code, errorLink: code });
    };
    await expectError(`/api/v1/users?search=${encodeURIComponent('status ne "X"')}`, 400, 'E0000031');
    await expectError('/api/v1/users', 401, 'E0000011', { Authorization: 'SSWS wrong' });
    await expectValid('/api/v1/users', '/api/v1/users', 403, { Authorization: `SSWS ${sim.createApiToken({ scopes: ['okta.logs.read'] })}` });
    await expectError('/api/v1/users/00unknown00000000000', 404, 'E0000007');
    sim.setRateLimitFactor(0.0001);
    try {
      const token = { Authorization: `SSWS ${sim.createApiToken({})}` };
      await httpGet(`${sim.url}/api/v1/groups`, token);
      await expectValid('/api/v1/groups', '/api/v1/groups', 429, token);
    } finally {
      sim.setRateLimitFactor(1);
    }
  });
});
