import { describe, expect, it } from 'vitest';
import { observeResponse } from './observe.js';

function outcome(limit: number, remaining: number, resetInS: number, status = 200) {
  const now = Date.now();
  return {
    status,
    headers: new Headers({
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(remaining),
      'x-rate-limit-reset': String(Math.floor(now / 1000) + resetInS),
      date: new Date(now).toUTCString(),
    }),
  };
}

describe('observeResponse', () => {
  it('reads reset relative to the Date header and flags concurrency 429s', () => {
    const obs = observeResponse(outcome(600, 10, 30));
    expect(obs).toMatchObject({ limit: 600, remaining: 10, throttled: false });
    expect((obs as { resetInMs: number }).resetInMs).toBeGreaterThan(28_000);
    expect(observeResponse(outcome(0, 0, 1, 429))).toEqual({ concurrency: true });
    expect(observeResponse({ status: 200, headers: new Headers({ 'x-rate-limit-reset': '1, 2' }) })).toBeNull();
  });
});
