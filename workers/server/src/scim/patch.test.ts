import { describe, expect, it } from 'vitest';
import { applyScimPatch, canonicalPath, PATCH_OP_SCHEMA } from './patch.js';
import { ScimHttpError } from './errors.js';

const group = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  id: 'g1',
  displayName: 'Team',
  members: [{ value: 'u1', display: 'a@example.com' }, { value: 'u:2', display: 'b@example.com' }, { value: 'u3' }],
  meta: { resourceType: 'Group', created: '2024-01-01T00:00:00.000Z', lastModified: '2024-01-01T00:00:00.000Z' },
});
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations });

describe('applyScimPatch', () => {
  it('removes exactly the member a members[value eq "…"] path names, also when the value holds a colon (scim-patch #1020)', () => {
    const out = applyScimPatch('Group', group(), patch({ op: 'remove', path: 'members[value eq "u:2"]' }));
    expect((out.members as { value: string }[]).map((m) => m.value)).toEqual(['u1', 'u3']);
    expect(out.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Group']);
    const other = applyScimPatch('Group', group(), patch({ op: 'remove', path: 'members[value eq "u1"]' }));
    expect((other.members as { value: string }[]).map((m) => m.value)).toEqual(['u:2', 'u3']);
  });

  it("applies Okta's operations: rename without a path, add and replace members, active without a path", () => {
    expect(applyScimPatch('Group', group(), patch({ op: 'replace', value: { id: 'g1', displayName: 'Renamed' } }))).toMatchObject({ id: 'g1', displayName: 'Renamed' });
    const added = applyScimPatch('Group', group(), patch({ op: 'add', path: 'members', value: [{ value: 'u9', display: 'z' }] }));
    expect((added.members as unknown[]).length).toBe(4);
    const replaced = applyScimPatch('Group', group(), patch({ op: 'replace', path: 'members', value: [{ value: 'u9' }] }));
    expect(replaced.members).toEqual([{ value: 'u9' }]);
    const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'x', userName: 'a', active: true, name: { givenName: 'A' } };
    expect(applyScimPatch('User', user, patch({ op: 'Replace', value: { active: false } }))).toMatchObject({ active: false, userName: 'a' });
    expect(user.active).toBe(true); // the input is not changed
  });

  it('puts attribute names and schema URNs of paths in canonical spelling', () => {
    const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'x', userName: 'a', name: { givenName: 'A' } };
    expect(canonicalPath('Name.GivenName', { core: { urn: 'x', attributes: [] }, extensions: [] })).toBe('Name.GivenName');
    expect(applyScimPatch('User', user, patch({ op: 'replace', path: 'NAME.FAMILYNAME', value: 'B' }))).toMatchObject({ name: { givenName: 'A', familyName: 'B' } });
    expect(applyScimPatch('User', user, patch({ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:userName', value: 'b' }))).toMatchObject({ userName: 'b' });
    expect(
      applyScimPatch('User', user, patch({ op: 'add', path: 'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department', value: 'R&D' })),
    ).toMatchObject({ 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' } });
  });

  it('refuses bad bodies with the RFC scimType', () => {
    const cases: [unknown, string][] = [
      [null, 'invalidSyntax'],
      [{ Operations: [{ op: 'add', path: 'x', value: 1 }] }, 'invalidSyntax'],
      [patch(), 'invalidSyntax'],
      [patch({ op: 'move', path: 'x' }), 'invalidSyntax'],
      [patch({ op: 'replace', path: 7, value: 1 }), 'invalidSyntax'],
      [patch({ op: 'remove', path: 'members[value eq "a:b"]' }, { op: 'add', path: 'displayName', value: 'x\uE000y' }), 'invalidValue'],
      [patch({ op: 'replace', path: 'members[value eq "nobody"].display', value: 'x' }), 'noTarget'],
    ];
    for (const [body, scimType] of cases) {
      let error: unknown;
      try {
        applyScimPatch('Group', group(), body);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(body)).toBeInstanceOf(ScimHttpError);
      expect((error as ScimHttpError).status).toBe(400);
      expect((error as ScimHttpError).scimType, JSON.stringify(body)).toBe(scimType);
    }
  });
});
