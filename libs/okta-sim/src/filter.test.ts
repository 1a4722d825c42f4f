import { describe, expect, it } from 'vitest';
import { FilterSyntaxError, evaluateFilter, parseFilter, pathGetter, validateFilter } from './filter.js';

const user = { id: '00u1', status: 'ACTIVE', lastUpdated: '2026-03-01T00:00:00.000Z', profile: { firstName: 'Ada', login: 'ada@example.com' } };
const test = (expr: string, ci = false): boolean => evaluateFilter(parseFilter(expr), pathGetter(user), ci);

describe('SCIM filter expressions', () => {
  it('binds and tighter than or, honours parentheses and not', () => {
    expect(test('status eq "X" and id eq "nope" or id eq "00u1"')).toBe(true);
    expect(test('status eq "X" and (id eq "nope" or id eq "00u1")')).toBe(false);
    expect(test('not (status eq "ACTIVE")')).toBe(false);
  });

  it('compares ISO timestamps as instants and strings by case only when asked', () => {
    expect(test('lastUpdated gt "2026-02-28T23:59:59Z"')).toBe(true);
    expect(test('lastUpdated lt "2026-03-01T00:00:00.000Z"')).toBe(false);
    expect(test('lastUpdated ge "2026-03-01T00:00:00.000Z"')).toBe(true);
    expect(test('profile.firstName eq "ada"')).toBe(false);
    expect(test('profile.firstName eq "ada"', true)).toBe(true);
    expect(test('profile.login sw "ADA@"', true)).toBe(true);
    expect(test('profile.login co "example"')).toBe(true);
    expect(test('profile.lastName pr')).toBe(false);
  });

  it('reads escaped quotes inside string literals', () => {
    expect(parseFilter('profile.firstName eq "a \\"b\\""')).toEqual({ kind: 'cmp', path: 'profile.firstName', op: 'eq', value: 'a "b"' });
  });

  it('names what is wrong in malformed expressions', () => {
    expect(() => parseFilter('status eq "ACTIVE')).toThrow(/unterminated string/);
    expect(() => parseFilter('status equals "A"')).toThrow(/unknown operator "equals"/);
    expect(() => parseFilter('status eq ACTIVE')).toThrow(/must be quoted/);
    expect(() => parseFilter('(status eq "A"')).toThrow(/closing parenthesis/);
    expect(() => parseFilter('')).toThrow(FilterSyntaxError);
    const policy = { allowNot: false, check: (path: string) => (path === 'status' ? null : `no ${path}`) };
    expect(() => validateFilter(parseFilter('status eq "A" and id eq "B"'), policy)).toThrow('no id');
    expect(() => validateFilter(parseFilter('not status eq "A"'), policy)).toThrow(/not/);
  });
});
