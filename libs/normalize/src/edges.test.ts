import { describe, expect, it } from 'vitest';
import {
  isDirectRoleAssignment,
  normalizeAppGroup,
  normalizeAppUser,
  normalizeMembership,
  normalizeRoleAssignment,
  normalizeRoleAssignments,
  type OktaAppGroupInput,
  type OktaAppUserInput,
  type OktaRoleAssignmentInput,
} from './index.js';
import { readSample, readSampleBody } from './testdata/samples.js';

const fetchedAt = new Date('2026-02-02T12:00:00.000Z');

describe('normalizeMembership', () => {
  it('builds the edge with the fetch time as source time', () => {
    expect(normalizeMembership('00gG', '00uU', fetchedAt)).toEqual({ groupId: '00gG', userId: '00uU', sourceUpdatedAt: fetchedAt });
  });

  it('rejects empty ids and invalid dates', () => {
    expect(() => normalizeMembership('', '00uU', fetchedAt)).toThrow(/`groupId` must be a non-empty Okta id/);
    expect(() => normalizeMembership('00gG', '', fetchedAt)).toThrow(/`userId` must be a non-empty Okta id/);
    expect(() => normalizeMembership('00gG', '00uU', new Date(Number.NaN))).toThrow(/`fetchedAt` must be a valid Date/);
  });
});

describe('normalizeAppUser', () => {
  it('maps app-users-list.json entries (userId = entry id)', () => {
    const [entry] = readSampleBody<OktaAppUserInput[]>('app-users-list.json');
    expect(normalizeAppUser('0oauj96z2dGonI16R1d7', entry!, fetchedAt)).toEqual({
      appId: '0oauj96z2dGonI16R1d7',
      userId: '00uuj90ko1mC0Sc3q1d7',
      scope: 'USER',
      status: 'ACTIVE',
      sourceUpdatedAt: fetchedAt,
      raw: entry,
    });
  });

  it('maps the single app-user-assignment.json', () => {
    const entry = readSample<OktaAppUserInput>('app-user-assignment.json');
    expect(normalizeAppUser('0oauj96z2dGonI16R1d7', entry, fetchedAt)).toMatchObject({ userId: '00uuj90ko1mC0Sc3q1d7', scope: 'USER', status: 'ACTIVE' });
  });

  it('keeps GROUP scope and tolerates a missing status', () => {
    expect(normalizeAppUser('0oa1', { id: '00u1', scope: 'GROUP' }, fetchedAt)).toMatchObject({ scope: 'GROUP', status: null });
  });

  it('rejects an entry without id', () => {
    expect(() => normalizeAppUser('0oa1', { scope: 'USER' } as unknown as OktaAppUserInput, fetchedAt)).toThrow(/Okta app user \(no id\) has no usable `id`/);
  });
});

describe('normalizeAppGroup', () => {
  it('maps app-group-assignments-list.json with priorities', () => {
    const entries = readSampleBody<OktaAppGroupInput[]>('app-group-assignments-list.json');
    expect(entries.map((e) => normalizeAppGroup('0oauj8lxpakUbVDPF1d7', e, fetchedAt))).toEqual([
      { appId: '0oauj8lxpakUbVDPF1d7', groupId: '00guj90kg96LqOIHe1d7', priority: 1, sourceUpdatedAt: fetchedAt, raw: entries[0] },
      { appId: '0oauj8lxpakUbVDPF1d7', groupId: '00guj8zou7VWfrcSU1d7', priority: 2, sourceUpdatedAt: fetchedAt, raw: entries[1] },
      { appId: '0oauj8lxpakUbVDPF1d7', groupId: '00guj8ne98IJOkphV1d7', priority: 3, sourceUpdatedAt: fetchedAt, raw: entries[2] },
    ]);
  });

  it('null priority when absent; rejects a non-integer priority', () => {
    expect(normalizeAppGroup('0oa1', { id: '00g1' }, fetchedAt).priority).toBeNull();
    expect(() => normalizeAppGroup('0oa1', { id: '00g1', priority: '1' as unknown as number }, fetchedAt)).toThrow(/non-integer `priority`/);
  });
});

describe('normalizeRoleAssignment', () => {
  it('maps standard roles by type with an empty resource set (roles-user-standard.json)', () => {
    const body = readSampleBody<OktaRoleAssignmentInput[]>('roles-user-standard.json');
    expect(body.map((r) => normalizeRoleAssignment('user', '00uckrkgacFVeTUJW0x7', r, fetchedAt))).toEqual([
      { principalKind: 'user', principalId: '00uckrkgacFVeTUJW0x7', roleId: 'APP_ADMIN', resourceSetId: '', assignmentId: 'IFIFAX2BIRGUSTQ', status: 'ACTIVE', sourceUpdatedAt: fetchedAt, raw: body[0] },
      { principalKind: 'user', principalId: '00uckrkgacFVeTUJW0x7', roleId: 'SUPER_ADMIN', resourceSetId: '', assignmentId: 'ra1ckrlbwys29SC5I0x7', status: 'ACTIVE', sourceUpdatedAt: fetchedAt, raw: body[1] },
    ]);
  });

  it('maps CUSTOM roles to the custom role id and the hyphenated resource-set (roles-user-custom-with-resource-set.json)', () => {
    const list = readSample<OktaRoleAssignmentInput[]>('roles-user-custom-with-resource-set.json');
    const rows = normalizeRoleAssignments('user', '00ur32Vg0fvpyHZeQ0g3', list, fetchedAt);
    expect(rows.map((r) => [r.roleId, r.resourceSetId, r.assignmentId])).toEqual([
      ['APP_ADMIN', '', 'IFIFAX2BIRGUSTQ'],
      ['HELP_DESK_ADMIN', '', 'JBCUYUC7IRCVGS27IFCE2SKO'],
      ['ORG_ADMIN', '', 'ra125eqBFpETrMwu80g4'],
      ['cr0Yq6IJxGIr0ouum0g3', 'iamoJDFKaJxGIr0oamd9g', 'irb1q92TFAHzySt3x0g4'],
    ]);
    expect(rows.every((r) => r.principalKind === 'user' && r.principalId === '00ur32Vg0fvpyHZeQ0g3')).toBe(true);
  });

  it("keeps only a user's own (USER) entries: GROUP entries are the roles of the user's groups, not the user's", () => {
    // Okta's example for listAssignedRolesForUser: three USER entries and a GROUP one (standard and custom).
    const list = readSample<OktaRoleAssignmentInput[]>('roles-user-custom-with-resource-set.json');
    const inherited = list.filter((r) => r.assignmentType === 'GROUP').map((r) => r.id);
    expect(inherited).toEqual(['gra25fapn1prGTBKV0g4', 'irb5e92YgBazyyQ3x1q5']);
    const rows = normalizeRoleAssignments('user', '00ur32Vg0fvpyHZeQ0g3', list, fetchedAt);
    expect(rows.filter((r) => inherited.includes(r.assignmentId ?? ''))).toEqual([]);
    expect(rows).toHaveLength(list.length - inherited.length);
    // A group's list holds GROUP entries (its own); a service app's, CLIENT entries.
    const groupEntry = list.find((r) => r.id === 'gra25fapn1prGTBKV0g4')!;
    expect(normalizeRoleAssignments('group', '00g1ousb3XCr9Dkr20g4', [groupEntry], fetchedAt)).toMatchObject([
      { principalKind: 'group', principalId: '00g1ousb3XCr9Dkr20g4', roleId: 'API_ACCESS_MANAGEMENT_ADMIN' },
    ]);
    const clientEntry = { id: 'JBCUYUC7IRCVGS27IFCE2SKO', type: 'HELP_DESK_ADMIN', assignmentType: 'CLIENT' };
    expect(normalizeRoleAssignments('app', '0oaSVC', [clientEntry, groupEntry], fetchedAt).map((r) => r.roleId)).toEqual(['HELP_DESK_ADMIN']);
    expect(isDirectRoleAssignment('user', { type: 'SUPER_ADMIN' })).toBe(true);
  });

  it('refuses to turn an entry held through a group into the user\'s own assignment', () => {
    const list = readSample<OktaRoleAssignmentInput[]>('roles-user-custom-with-resource-set.json');
    const groupEntry = list.find((r) => r.assignmentType === 'GROUP')!;
    expect(() => normalizeRoleAssignment('user', '00ur32Vg0fvpyHZeQ0g3', groupEntry, fetchedAt)).toThrow(
      /Okta role assignment gra25fapn1prGTBKV0g4 of user 00ur32Vg0fvpyHZeQ0g3 has `assignmentType` "GROUP", not USER: it is held through another principal .*normalizeRoleAssignments/,
    );
  });

  it('accepts service apps as principals', () => {
    expect(normalizeRoleAssignment('app', '0oaSVC', { type: 'READ_ONLY_ADMIN', id: 'ra9' }, fetchedAt)).toMatchObject({ principalKind: 'app', roleId: 'READ_ONLY_ADMIN', status: null });
  });

  it('rejects a CUSTOM assignment without its role id, and unknown principal kinds', () => {
    expect(() => normalizeRoleAssignment('user', '00u1', { id: 'irb1', type: 'CUSTOM' }, fetchedAt)).toThrow(
      /Okta role assignment irb1 has no usable `role` \(expected the custom role id \(cr0…\) of a CUSTOM assignment/,
    );
    expect(() => normalizeRoleAssignment('device' as 'user', '00u1', { type: 'SUPER_ADMIN' }, fetchedAt)).toThrow(/`principalKind` must be one of user, group, app/);
  });
});
