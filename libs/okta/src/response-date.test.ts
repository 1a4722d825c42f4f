import { describe, expect, it } from 'vitest';
import { responseDate } from './client.js';

describe('responseDate', () => {
  const header = new Headers({ date: 'Wed, 25 Nov 2026 09:24:20 GMT' });
  const second = Date.parse('2026-11-25T09:24:20Z');

  it('takes the milliseconds from the local clock within the Date header second', () => {
    expect(responseDate(header, second + 734).toISOString()).toBe('2026-11-25T09:24:20.734Z');
  });

  it('never moves outside the header second when the local clock is off', () => {
    expect(responseDate(header, second + 5_000).toISOString()).toBe('2026-11-25T09:24:20.999Z');
    expect(responseDate(header, second - 5_000).toISOString()).toBe('2026-11-25T09:24:20.000Z');
  });

  it('falls back to the receive time without a Date header', () => {
    expect(responseDate(new Headers(), second + 1).getTime()).toBe(second + 1);
  });
});
