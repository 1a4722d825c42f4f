import { describe, expect, it } from 'vitest';
import {
  NormalizeError,
  normalizeApiToken,
  normalizeAppCredential,
  normalizeGroupRule,
  normalizeResourceSetResource,
  normalizeRolePermission,
  normalizeRoleTargets,
  ornTarget,
} from './index.js';

const AT = new Date('2026-06-01T12:00:00.000Z');

describe('privilege normalizers', () => {
  it('reads resource set resources by what their ORN names', () => {
    const row = normalizeResourceSetResource('iam1', {
      id: 'ire1', orn: 'orn:okta:directory:00o1:groups:00g1:contained_resources', lastUpdated: '2026-05-01T00:00:00.000Z',
      _links: { self: { href: 'https://x/api/v1/groups/00g1/users' } },
    }, AT);
    expect(row).toMatchObject({ resourceSetId: 'iam1', resourceId: 'ire1', targetKind: 'group_members', targetId: '00g1', sourceUpdatedAt: new Date('2026-05-01T00:00:00.000Z'), observedAt: AT });
    expect(ornTarget('orn:okta:idp:00o1:apps:salesforce:0oa9')).toEqual({ targetKind: 'app', targetId: '0oa9' });
    expect(() => normalizeResourceSetResource('iam1', { id: 'ire2' } as never, AT)).toThrow(NormalizeError);
  });

  it("keeps a custom role's permissions and a role's targets: group ids, app instances, catalog apps", () => {
    expect(normalizeRolePermission('cr01', { label: 'okta.users.manage' }, AT)).toMatchObject({ roleId: 'cr01', permission: 'okta.users.manage', sourceUpdatedAt: AT });
    expect(normalizeRoleTargets('user', '00u1', 'USER_ADMIN', 'groups', [{ id: '00g1' }], AT)).toEqual([
      { principalKind: 'user', principalId: '00u1', roleId: 'USER_ADMIN', targetKind: 'group', targetId: '00g1', sourceUpdatedAt: AT },
    ]);
    expect(normalizeRoleTargets('app', '0oa5', 'APP_ADMIN', 'apps', [{ name: 'salesforce', id: '0oa2' }, { name: 'slack' }], AT).map((t) => [t.targetKind, t.targetId])).toEqual([
      ['app', '0oa2'], ['catalog_app', 'slack'],
    ]);
  });

  it('reads API token metadata and client credential metadata, never a secret value', () => {
    expect(normalizeApiToken({ id: '00T1', name: 'Terraform', userId: '00u1', clientName: 'Okta API', tokenWindow: 'P30D', expiresAt: '2026-07-01T00:00:00.000Z' }, AT)).toMatchObject({
      oktaId: '00T1', name: 'Terraform', userId: '00u1', clientName: 'Okta API', tokenWindow: 'P30D', expiresAt: new Date('2026-07-01T00:00:00.000Z'),
    });
    const secret = normalizeAppCredential('0oa1', 'client_secret', { id: 'ocs1', status: 'ACTIVE', client_secret: 'sEcReTvAlUe', secret_hash: 'h4sh' }, AT);
    expect(secret).toEqual({ appId: '0oa1', credentialId: 'ocs1', credentialType: 'client_secret', status: 'ACTIVE', created: null, sourceUpdatedAt: AT, observedAt: AT });
    expect(JSON.stringify(secret)).not.toMatch(/sEcReTvAlUe|h4sh/);
  });

  it("splits a group rule into its row and its target groups; refuses a rule whose groupIds are not ids", () => {
    const { rule, targets } = normalizeGroupRule({
      type: 'group_rule', id: '0pr1', status: 'ACTIVE', name: 'Admins',
      conditions: { expression: { value: 'isMemberOfAnyGroup("00g1")', type: 'urn:okta:expression:1.0' } },
      actions: { assignUserToGroups: { groupIds: ['00g2', '00g3', '00g2'] } },
    }, AT);
    expect(rule).toMatchObject({ oktaId: '0pr1', name: 'Admins', status: 'ACTIVE', expression: 'isMemberOfAnyGroup("00g1")' });
    expect(targets.map((t) => t.groupId)).toEqual(['00g2', '00g3']);
    expect(() => normalizeGroupRule({ id: '0pr2', status: 'ACTIVE', name: 'Bad', actions: { assignUserToGroups: { groupIds: [1] } } }, AT)).toThrow(/groupIds/);
  });
});
