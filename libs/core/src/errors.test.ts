import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';

describe('describeError', () => {
  it("reduces a drizzle query error to the server's message, without the query or its parameters", () => {
    const cause = new Error('duplicate key value violates unique constraint "users_pkey"');
    const wrapped = new Error('Failed query: INSERT INTO users … \nparams: t1,{"login":"ada@example.com"}', { cause });
    expect(describeError(wrapped)).toBe('duplicate key value violates unique constraint "users_pkey"');
  });

  it('scrubs credentials and caps the length', () => {
    expect(describeError(new Error('401 for Authorization: SSWS 00abcdefghijklmnop'))).toBe('401 for Authorization: SSWS [redacted]');
    expect(describeError('x'.repeat(2000)).length).toBeLessThanOrEqual(501);
  });

  it('says a dropped PostgreSQL connection is one', () => {
    const dropped = Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
    expect(describeError(dropped)).toBe('lost the connection to PostgreSQL (write CONNECTION_CLOSED 127.0.0.1:5432)');
  });
});
