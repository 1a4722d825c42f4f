import { describe, expect, it } from 'vitest';
import {
  NormalizeError,
  normalizeApp,
  normalizeCustomRole,
  normalizeFactor,
  normalizeGroup,
  normalizeResourceSet,
  normalizeUser,
  type OktaAppInput,
  type OktaFactorInput,
  type OktaGroupInput,
  type OktaIamObjectInput,
  type OktaUserInput,
} from './index.js';
import { readSample } from './testdata/samples.js';

const d = (iso: string) => new Date(iso);

describe('normalizeUser', () => {
  it('maps an ACTIVE user (user-active.json)', () => {
    const user = readSample<OktaUserInput>('user-active.json');
    const row = normalizeUser(user);
    expect(row).toEqual({
      oktaId: '00uvozkb04be72b3Y1d7',
      status: 'ACTIVE',
      login: 'testAcc-3512374314@example.com',
      email: 'testAcc-3512374314@example.com',
      firstName: 'TestAcc',
      lastName: 'Smith',
      created: d('2026-03-02T12:45:56.000Z'),
      activated: d('2026-03-02T12:45:57.000Z'),
      statusChanged: d('2026-03-02T12:45:57.000Z'),
      lastLogin: null,
      passwordChanged: d('2026-03-02T12:45:57.000Z'),
      credentialProvider: 'OKTA',
      sourceUpdatedAt: d('2026-03-02T12:45:57.000Z'),
      raw: user,
    });
    expect(row.raw).toBe(user);
  });

  it('maps a DEPROVISIONED user with null activated/passwordChanged (user-deprovisioned.json)', () => {
    const row = normalizeUser(readSample<OktaUserInput>('user-deprovisioned.json'));
    expect(row).toMatchObject({
      oktaId: '00ukwr7djcV8gQvDB1d7',
      status: 'DEPROVISIONED',
      login: 'testAcc-1945645226@example.com',
      activated: null,
      passwordChanged: null,
      credentialProvider: 'OKTA',
      sourceUpdatedAt: d('2025-03-13T23:45:59.000Z'),
    });
  });

  it('uses lastUpdated over fetchedAt, and fetchedAt only when lastUpdated is absent', () => {
    const fetchedAt = d('2026-04-01T00:00:00.000Z');
    const user = readSample<OktaUserInput>('user-active.json');
    expect(normalizeUser(user, fetchedAt).sourceUpdatedAt).toEqual(d('2026-03-02T12:45:57.000Z'));
    const { lastUpdated: _omit, ...withoutLastUpdated } = user;
    expect(normalizeUser(withoutLastUpdated as OktaUserInput, fetchedAt).sourceUpdatedAt).toEqual(fetchedAt);
    expect(() => normalizeUser(withoutLastUpdated as OktaUserInput)).toThrow(/no `lastUpdated`; pass fetchedAt/);
  });

  it('tolerates a user without profile or credentials (projection) with nulls', () => {
    const row = normalizeUser({ id: '00u1', status: 'STAGED', lastUpdated: '2026-01-01T00:00:00.000Z' });
    expect(row).toMatchObject({ login: null, email: null, firstName: null, lastName: null, credentialProvider: null, created: null });
  });

  it('rejects bad input with an error naming the object and field', () => {
    expect(() => normalizeUser({ status: 'ACTIVE' } as unknown as OktaUserInput)).toThrow(
      new NormalizeError('Okta user (no id) has no usable `id` (expected a user id like 00u…, got undefined)', 'user.id'),
    );
    expect(() => normalizeUser({ id: '00u1', lastUpdated: '2026-01-01T00:00:00.000Z' } as OktaUserInput)).toThrow(/Okta user 00u1 has no usable `status`/);
    expect(() => normalizeUser({ id: '00u1', status: 'ACTIVE', created: 'yesterday', lastUpdated: '2026-01-01T00:00:00.000Z' })).toThrow(
      /Okta user 00u1 has an invalid `created` \("yesterday"\); expected an ISO-8601 time/,
    );
    expect(() => normalizeUser({ id: '00u1', status: 'ACTIVE', profile: { login: 42 }, lastUpdated: '2026-01-01T00:00:00.000Z' })).toThrow(
      /non-string `profile.login`/,
    );
    expect(() => normalizeUser(null as unknown as OktaUserInput)).toThrow(/Expected an Okta user object but got null/);
    expect(() => normalizeUser({ id: '00u1', status: 'ACTIVE' }, new Date('nope'))).toThrow(/`fetchedAt` must be a valid Date/);
  });
});

describe('normalizeGroup', () => {
  it.each([
    ['group-okta-group.json', { oktaId: '00gkwqwzw2YIYiEIx1d7', groupType: 'OKTA_GROUP', name: 'testAcc-2481250347', description: 'A Group', sourceUpdatedAt: d('2025-03-13T23:27:15.000Z') }],
    ['group-everyone-builtin.json', { oktaId: '00g5qwjvgrD3WR89l1d7', groupType: 'BUILT_IN', name: 'Everyone', description: 'All users in your organization', sourceUpdatedAt: d('2022-10-07T23:16:57.000Z') }],
    ['group-app-group.json', { oktaId: '00garwpuyxHaWOkdV0g4', groupType: 'APP_GROUP', name: 'Engineering users', description: 'All users in the engineering department', sourceUpdatedAt: d('2015-11-18T04:02:19.000Z') }],
  ])('maps %s', (file, expected) => {
    const group = readSample<OktaGroupInput>(file);
    expect(normalizeGroup(group)).toEqual({ ...expected, raw: group });
  });

  it('rejects a group without a name', () => {
    expect(() => normalizeGroup({ id: '00g1', type: 'OKTA_GROUP', profile: {}, lastUpdated: '2026-01-01T00:00:00.000Z' })).toThrow(
      /Okta group 00g1 has no `profile.name`/,
    );
  });
});

describe('normalizeApp', () => {
  it('maps a SAML app: no client id, not a service app (app-saml.json)', () => {
    const app = readSample<OktaAppInput>('app-saml.json');
    expect(normalizeApp(app)).toEqual({
      oktaId: '0oakwr906fXEJvDlK1d7',
      name: 'oie-00_testacc4225328393_13',
      label: 'testAcc_4225328393',
      status: 'ACTIVE',
      signOnMode: 'SAML_2_0',
      clientId: null,
      isServiceApp: false,
      created: d('2025-03-13T23:50:12.000Z'),
      sourceUpdatedAt: d('2025-03-13T23:50:13.000Z'),
      raw: app,
    });
  });

  it.each(['app-oidc.json', 'app-with-assignments.json'])('maps a web OIDC app with its client id (%s)', (file) => {
    const app = readSample<OktaAppInput>(file);
    const row = normalizeApp(app);
    expect(row).toMatchObject({ signOnMode: 'OPENID_CONNECT', clientId: app.id, isServiceApp: false, name: 'oidc_client', status: 'ACTIVE' });
  });

  it('recognises a service app and reads credentials.oauthClient.client_id', () => {
    const app = readSample<OktaAppInput & { credentials: { oauthClient: Record<string, unknown> }; settings: { oauthClient: Record<string, unknown> } }>('app-oidc.json');
    app.settings.oauthClient['application_type'] = 'service';
    app.credentials.oauthClient['client_id'] = '0oaSERVICECLIENT';
    expect(normalizeApp(app)).toMatchObject({ isServiceApp: true, clientId: '0oaSERVICECLIENT' });
  });

  it('falls back to the app id as client id for an OIDC app without credentials.oauthClient', () => {
    const row = normalizeApp({ id: '0oa9', name: 'oidc_client', status: 'INACTIVE', signOnMode: 'OPENID_CONNECT', settings: { oauthClient: { application_type: 'service' } }, lastUpdated: '2026-01-01T00:00:00.000Z' });
    expect(row).toMatchObject({ clientId: '0oa9', isServiceApp: true, status: 'INACTIVE', label: null });
  });

  it('does not treat a non-OIDC app with a service-typed oauthClient as a service app', () => {
    const row = normalizeApp({ id: '0oa8', name: 'x', status: 'ACTIVE', signOnMode: 'SAML_2_0', settings: { oauthClient: { application_type: 'service' } }, lastUpdated: '2026-01-01T00:00:00.000Z' });
    expect(row).toMatchObject({ clientId: null, isServiceApp: false });
  });

  it('rejects an app without a name', () => {
    expect(() => normalizeApp({ id: '0oa1', status: 'ACTIVE', lastUpdated: '2026-01-01T00:00:00.000Z' } as OktaAppInput)).toThrow(/Okta app 0oa1 has no usable `name`/);
  });
});

describe('normalizeFactor', () => {
  it('maps every factor of factors-list.json', () => {
    const factors = readSample<OktaFactorInput[]>('factors-list.json');
    const rows = factors.map((f) => normalizeFactor('00uUSER', f));
    expect(rows.map(({ raw: _raw, ...rest }) => rest)).toEqual([
      { oktaId: 'opf3hkfocI4JTLAju0g4', userId: '00uUSER', factorType: 'push', provider: 'OKTA', status: 'ACTIVE', created: d('2015-03-16T18:01:28.000Z'), sourceUpdatedAt: d('2015-08-27T14:25:17.000Z') },
      { oktaId: 'ostf1fmaMGJLMNGNLIVG', userId: '00uUSER', factorType: 'token:software:totp', provider: 'OKTA', status: 'ACTIVE', created: d('2014-07-16T16:13:56.000Z'), sourceUpdatedAt: d('2014-08-06T00:31:07.000Z') },
      { oktaId: 'sms1o51EADOTFXHHBXBP', userId: '00uUSER', factorType: 'sms', provider: 'OKTA', status: 'ACTIVE', created: d('2014-08-06T16:56:31.000Z'), sourceUpdatedAt: d('2014-08-06T16:56:31.000Z') },
      { oktaId: 'fwf2rovRxogXJ0nDy0g4', userId: '00uUSER', factorType: 'webauthn', provider: 'FIDO', status: 'ACTIVE', created: d('2018-05-24T20:43:19.000Z'), sourceUpdatedAt: d('2018-05-24T21:43:32.000Z') },
      { oktaId: 'ufs2bysphxKODSZKWVCT', userId: '00uUSER', factorType: 'question', provider: 'OKTA', status: 'ACTIVE', created: d('2014-04-15T18:10:06.000Z'), sourceUpdatedAt: d('2014-04-15T18:10:06.000Z') },
    ]);
    rows.forEach((row, i) => expect(row.raw).toBe(factors[i]));
  });

  it('requires the owning user id', () => {
    const [factor] = readSample<OktaFactorInput[]>('factors-list.json');
    expect(() => normalizeFactor('', factor!)).toThrow(/`userId` must be a non-empty Okta id/);
  });
});

describe('normalizeCustomRole / normalizeResourceSet', () => {
  it('maps the custom roles of iam-roles-list.json', () => {
    const { roles } = readSample<{ roles: OktaIamObjectInput[] }>('iam-roles-list.json');
    expect(roles.map((r) => normalizeCustomRole(r))).toEqual([
      { oktaId: 'cr0Yq6IJxGIr0ouum0g3', label: 'UserCreator', description: 'Create users', sourceUpdatedAt: d('2021-02-06T16:20:57.000Z'), raw: roles[0] },
      { oktaId: 'cr0Fw7HKcWIroo88m3r1', label: 'GroupMembershipManager', description: 'Manage group membership', sourceUpdatedAt: d('2021-02-06T16:20:57.000Z'), raw: roles[1] },
    ]);
  });

  it('maps the resource sets of iam-resource-sets-list.json', () => {
    const sets = readSample<{ 'resource-sets': OktaIamObjectInput[] }>('iam-resource-sets-list.json')['resource-sets'];
    expect(sets.map((s) => normalizeResourceSet(s))).toEqual([
      { oktaId: 'iamoJDFKaJxGIr0oamd9g', label: 'SF-IT-1', description: 'First San Francisco IT Resource Set', sourceUpdatedAt: d('2021-02-06T16:20:57.000Z'), raw: sets[0] },
      { oktaId: 'iamoJDFKaJxGIr0oamd0q', label: 'SF-IT-2', description: 'Second San Francisco IT Resource Set', sourceUpdatedAt: d('2021-02-06T16:20:57.000Z'), raw: sets[1] },
    ]);
  });

  it('rejects a resource set without a label', () => {
    expect(() => normalizeResourceSet({ id: 'iam1', lastUpdated: '2021-02-06T16:20:57.000Z' } as OktaIamObjectInput)).toThrow(/Okta resource set iam1 has no usable `label`/);
  });
});
