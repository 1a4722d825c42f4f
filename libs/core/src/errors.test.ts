import { describe, expect, it } from 'vitest';
import { describeError, describeFileError } from './errors.js';

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

describe('describeFileError', () => {
  it('says in words what a file-system errno means', () => {
    expect(describeFileError(Object.assign(new Error("ENOENT: no such file or directory, open 'k.pem'"), { code: 'ENOENT' }))).toBe('no such file or directory');
    expect(describeFileError(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe('permission denied (check the owner and mode of the file and its directory)');
    expect(describeFileError(Object.assign(new Error('boom'), { code: 'EWEIRD' }))).toBe('EWEIRD (boom)');
  });
});
