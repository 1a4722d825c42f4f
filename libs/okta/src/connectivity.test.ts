import { afterEach, describe, expect, it } from 'vitest';
import { createOktaClient, testConnectivity } from './index.js';
import { oktaError, sendJson, startFakeOkta, type FakeOkta } from './testdata/fake-okta.js';

let fake: FakeOkta | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const scopeChallenge = (scope: string) => ({
  'www-authenticate': `Bearer authorization_uri="x", realm="x", scope="${scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes."`,
});

describe('testConnectivity', () => {
  it('reports ok, missing scope and forbidden per resource', async () => {
    fake = await startFakeOkta((req, res) => {
      const p = req.url.pathname;
      if (p === '/api/v1/users') return sendJson(res, 200, [{ id: '00u1' }]);
      if (p === '/api/v1/groups') return sendJson(res, 200, [{ id: '00g1' }]);
      if (p === '/api/v1/groups/00g1/users') return sendJson(res, 200, []);
      if (p === '/api/v1/apps') return sendJson(res, 403, {}, scopeChallenge('okta.apps.read'));
      if (p === '/api/v1/iam/assignees/users') return sendJson(res, 403, oktaError('E0000006', 'You do not have permission to perform the requested action'));
      if (p === '/api/v1/users/00u1/factors') return sendJson(res, 200, []);
      if (p === '/api/v1/logs') return sendJson(res, 200, [], { link: `<${fake!.url}/api/v1/logs?after=1_1>; rel="next"` });
      return sendJson(res, 404, oktaError('E0000007', 'Not found'));
    });
    const client = createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: 'tok' }, allowInsecureHttp: true });
    const report = await testConnectivity(client);
    const by = Object.fromEntries(report.resources.map((r) => [r.resource, r]));
    expect(report.ok).toBe(false);
    expect(report.resources.map((r) => r.resource)).toEqual([
      'users', 'groups', 'group_members', 'apps', 'app_assignments', 'roles', 'factors', 'system_log', 'api_tokens', 'group_rules', 'app_credentials',
    ]);
    expect(by.users!.status).toBe('ok');
    expect(by.group_members!.status).toBe('ok');
    expect(by.apps).toMatchObject({ status: 'missing_scope', scope: 'okta.apps.read' });
    // Assignments need the same scope: they inherit the apps listing's cause instead of an opaque error.
    expect(by.app_assignments).toMatchObject({ status: 'missing_scope', scope: 'okta.apps.read', message: by.apps!.message });
    expect(by.roles!.status).toBe('forbidden');
    expect(by.roles!.message).toMatch(/E0000006/);
    expect(by.factors!.status).toBe('ok');
    expect(by.system_log!.status).toBe('ok');
    // Client credentials are read under okta.apps.read too: the apps listing's cause, not a new request.
    expect(by.app_credentials).toMatchObject({ status: 'missing_scope', scope: 'okta.apps.read', message: by.apps!.message });
  });

  it('reports "not tested" as an error when a listing it needs found nothing to read under', async () => {
    fake = await startFakeOkta((req, res) => {
      if (req.url.pathname === '/api/v1/apps') return sendJson(res, 200, []);
      if (req.url.pathname === '/api/v1/users') return sendJson(res, 200, [{ id: '00u1' }]);
      if (req.url.pathname === '/api/v1/groups') return sendJson(res, 200, [{ id: '00g1' }]);
      return sendJson(res, 200, []);
    });
    const report = await testConnectivity(createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: 'tok' }, allowInsecureHttp: true }));
    expect(report.resources.find((r) => r.resource === 'app_assignments')).toMatchObject({ status: 'error', message: expect.stringMatching(/no app could be listed/) });
  });

  it('reports a rejected API token on every resource without the token in messages', async () => {
    fake = await startFakeOkta((_req, res) => sendJson(res, 401, oktaError('E0000011', 'Invalid token provided')));
    const client = createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: 'tok-secret-1' }, allowInsecureHttp: true });
    const report = await testConnectivity(client);
    expect(report.ok).toBe(false);
    expect(report.resources.every((r) => r.status === 'error')).toBe(true);
    expect(report.resources[0]!.message).toMatch(/E0000011/);
    expect(JSON.stringify(report)).not.toContain('tok-secret-1');
  });
});
