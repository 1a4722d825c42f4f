import { describe, expect, it } from 'vitest';
import type { ScimRecord } from '@idgraph/graph';
import { parseScimGroup, parseScimUser, scimGraphChanges, ScimInputError, SCIM_ENTERPRISE_USER_SCHEMA, SCIM_USER_SCHEMA } from './scim.js';

const at = new Date('2026-01-02T03:04:05Z');
const oktaBody = {
  schemas: [SCIM_USER_SCHEMA],
  userName: 'test.user@okta.local',
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
  displayName: 'Test User',
  locale: 'en-US',
  externalId: '00ujl29u0le5T6Aj10h7',
  groups: [],
  password: '1mz050nq',
  active: true,
};

function record(write: ReturnType<typeof parseScimUser>, over: Partial<ScimRecord> = {}): ScimRecord {
  const { members: _members, ...fields } = write;
  return { id: 'scim-1', resourceType: 'User', graphId: write.externalId ?? 'scim-1', version: 1, created: at, lastModified: at, ...fields, ...over };
}

describe('parseScimUser', () => {
  it("takes Okta's create body: the password is dropped, read-only groups ignored, externalId kept apart", () => {
    const w = parseScimUser(oktaBody);
    expect(w).toMatchObject({ externalId: '00ujl29u0le5T6Aj10h7', userName: 'test.user@okta.local', displayName: 'Test User', active: true });
    expect(w.resource).toEqual({
      schemas: [SCIM_USER_SCHEMA],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      active: true,
    });
    expect(JSON.stringify(w)).not.toContain('1mz050nq');
  });

  it('matches attribute names without case and stores the schema spelling; adds the enterprise schema when its attributes come', () => {
    const w = parseScimUser({ Schemas: [SCIM_USER_SCHEMA], USERNAME: 'a@x.io', Name: { FamilyName: 'A' }, [SCIM_ENTERPRISE_USER_SCHEMA.toUpperCase()]: { Department: 'D' } });
    expect(w.resource).toEqual({ schemas: [SCIM_USER_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA], userName: 'a@x.io', name: { familyName: 'A' }, active: true, [SCIM_ENTERPRISE_USER_SCHEMA]: { department: 'D' } });
  });

  it('refuses unknown attributes and schemas, missing userName and wrong types, naming the attribute', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ...oktaBody, shoeSize: 44 }, 'invalidSyntax', /unknown attribute "shoeSize"/],
      [{ ...oktaBody, name: { givenName: 'x', nick: 'y' } }, 'invalidSyntax', /unknown attribute "name\.nick"/],
      [{ ...oktaBody, schemas: ['urn:example:custom'] }, 'invalidSyntax', /unknown schema "urn:example:custom"/],
      [{ ...oktaBody, schemas: [] }, 'invalidSyntax', /must include/],
      [{ ...oktaBody, userName: '  ' }, 'invalidValue', /userName is required/],
      [{ ...oktaBody, active: 'sometimes' }, 'invalidValue', /active must be true or false/],
      [{ ...oktaBody, name: 'Test User' }, 'invalidValue', /name must be an object/],
      ['a string', 'invalidSyntax', /must be a JSON object/],
    ];
    for (const [body, scimType, message] of cases) {
      let err: unknown;
      try {
        parseScimUser(body);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(body)).toBeInstanceOf(ScimInputError);
      expect((err as ScimInputError).scimType).toBe(scimType);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('parseScimGroup', () => {
  it('takes displayName and member ids; refuses groups as members', () => {
    expect(parseScimGroup({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng', members: [{ value: 'u1', display: 'x' }, { value: 'u1' }] })).toMatchObject({ displayName: 'Eng', members: ['u1'] });
    expect(parseScimGroup({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng' }).members).toBeUndefined();
    expect(() => parseScimGroup({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng', members: [{ value: 'g', type: 'Group' }] })).toThrow(/only Users/);
  });
});

describe('scimGraphChanges', () => {
  it('a new user is a whole user node; a deactivation changes the status alone', () => {
    const created = record(parseScimUser(oktaBody));
    expect(scimGraphChanges({ before: null, after: created, membersAdded: [], membersRemoved: [] }, at)).toEqual([
      { kind: 'user.upsert', at, user: { oktaId: '00ujl29u0le5T6Aj10h7', login: 'test.user@okta.local', email: 'test.user@okta.local', firstName: 'Test', lastName: 'User', status: 'ACTIVE' } },
    ]);
    const off = record(parseScimUser({ ...oktaBody, active: false }));
    expect(scimGraphChanges({ before: created, after: off, membersAdded: [], membersRemoved: [] }, at)).toEqual([{ kind: 'user.upsert', at, user: { oktaId: '00ujl29u0le5T6Aj10h7', status: 'DEPROVISIONED' } }]);
    expect(scimGraphChanges({ before: off, after: off, membersAdded: [], membersRemoved: [] }, at)).toEqual([]);
  });

  it('a group is an OKTA_GROUP node; members become member_of edges of the user nodes', () => {
    const { members: _members, ...fields } = parseScimGroup({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng' });
    const g: ScimRecord = { id: 'g1', resourceType: 'Group', graphId: 'g1', version: 1, created: at, lastModified: at, ...fields };
    expect(scimGraphChanges({ before: null, after: g, membersAdded: ['00u1'], membersRemoved: ['00u2'] }, at)).toEqual([
      { kind: 'group.upsert', at, group: { oktaId: 'g1', name: 'Eng', groupType: 'OKTA_GROUP' } },
      { kind: 'membership.add', at, userId: '00u1', groupId: 'g1' },
      { kind: 'membership.remove', at, userId: '00u2', groupId: 'g1' },
    ]);
    expect(scimGraphChanges({ before: g, after: g, membersAdded: [], membersRemoved: [] }, at)).toEqual([]);
  });
});
