import { describe, expect, it } from 'vitest';
import { bodyNextLink, pageItems, parseLinkHeader } from './links.js';
import { bucketFor } from './buckets.js';

describe('parseLinkHeader', () => {
  it('reads self and next from separate lines joined by fetch', () => {
    const joined =
      '<https://o.okta.com/api/v1/users?limit=1&search=a%2Cb>; rel="self", <https://o.okta.com/api/v1/users?after=00uvo7s8abwP37lV81d7&limit=1&search=x,y>; rel="next"';
    expect(parseLinkHeader(joined)).toEqual({
      self: 'https://o.okta.com/api/v1/users?limit=1&search=a%2Cb',
      next: 'https://o.okta.com/api/v1/users?after=00uvo7s8abwP37lV81d7&limit=1&search=x,y',
    });
  });
  it('returns nothing for a missing header', () => {
    expect(parseLinkHeader(null)).toEqual({});
  });
});

describe('page bodies', () => {
  it('reads IAM-style bodies and their _links.next', () => {
    const body = { roles: [{ id: 'cr01' }], _links: { next: { href: 'https://o/api/v1/iam/roles?after=cr01' } } };
    expect(pageItems(body, 'roles')).toEqual([{ id: 'cr01' }]);
    expect(bodyNextLink(body)).toBe('https://o/api/v1/iam/roles?after=cr01');
    expect(pageItems({ 'resource-sets': [{ id: 'iam1' }] })).toEqual([{ id: 'iam1' }]);
    expect(pageItems({ value: [] }, 'value')).toEqual([]);
    expect(pageItems({ _links: {} }, 'value')).toEqual([]);
  });
  it('rejects a body that is not a list, naming the fix', () => {
    expect(() => pageItems({ id: 'x' })).toThrow(/pass itemsKey/);
    expect(() => pageItems('x')).toThrow(/not a JSON array/);
  });
});

describe('bucketFor', () => {
  it('maps endpoints to Okta buckets, exact before prefix and method-aware', () => {
    expect(bucketFor('GET', '/api/v1/users')).toBe('/api/v1/users');
    expect(bucketFor('GET', '/api/v1/users/00u1')).toBe('GET /api/v1/users/{id}');
    expect(bucketFor('DELETE', '/api/v1/users/00u1')).toBe('POST/PUT/DELETE /api/v1/users/{id}');
    expect(bucketFor('GET', '/api/v1/users/00u1/factors')).toBe('/api/v1/users');
    expect(bucketFor('GET', '/api/v1/groups')).toBe('/api/v1/groups');
    expect(bucketFor('GET', '/api/v1/groups/00g1')).toBe('/api/v1/groups/{id}');
    expect(bucketFor('GET', '/api/v1/groups/00g1/users')).toBe('/api/v1/groups');
    expect(bucketFor('GET', '/api/v1/apps')).toBe('/api/v1/apps');
    expect(bucketFor('GET', '/api/v1/apps/0oa1')).toBe('/api/v1/apps/{id}');
    expect(bucketFor('GET', '/api/v1/apps/0oa1/users')).toBe('/api/v1/apps');
    expect(bucketFor('GET', '/api/v1/logs')).toBe('/api/v1/logs');
    expect(bucketFor('POST', '/oauth2/v1/token')).toBe('/oauth2/v1/token');
    expect(bucketFor('GET', '/oauth2/v1/clients/0oa1/roles')).toBe('/oauth2/v1/clients');
    expect(bucketFor('GET', '/api/v1/iam/roles')).toBe('/api/v1');
    expect(bucketFor('GET', '/.well-known/openid-configuration')).toBe('other');
  });
});
