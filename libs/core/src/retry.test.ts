import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retry, sleep } from './retry.js';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it("rejects with the signal's own reason when aborted while waiting, without waiting out the delay", async () => {
    const ac = new AbortController();
    const stop = new Error('stop requested');
    const t0 = performance.now();
    const pending = sleep(10_000, ac.signal);
    ac.abort(stop);
    await expect(pending).rejects.toBe(stop);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('rejects at once on an already aborted signal, also for a zero delay', async () => {
    const reason = new Error('gone');
    await expect(sleep(0, AbortSignal.abort(reason))).rejects.toBe(reason);
    await expect(sleep(50, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('backoffDelayMs', () => {
  it('doubles the ceiling per retry up to the cap, with full or equal jitter', () => {
    const top = () => 0.999_999;
    expect(backoffDelayMs(0, { baseMs: 100, random: top })).toBe(99);
    expect(backoffDelayMs(3, { baseMs: 100, random: top })).toBe(799);
    expect(backoffDelayMs(30, { baseMs: 100, capMs: 1_000, random: top })).toBe(999);
    expect(backoffDelayMs(2, { baseMs: 100, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(2, { baseMs: 100, jitter: 'equal', random: () => 0 })).toBe(200);
    expect(backoffDelayMs(2, { baseMs: 100, jitter: 'equal', random: top })).toBe(400);
  });
});

describe('retry', () => {
  it('retries failures until one attempt succeeds, passing the attempt number', async () => {
    const seen: number[] = [];
    const waits: number[] = [];
    const result = await retry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      { attempts: 5, baseMs: 10, jitter: 'equal', random: () => 0, onRetry: ({ delayMs }) => waits.push(delayMs) },
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toEqual([5, 10]);
  });

  it('rethrows the last failure once the attempts are spent', async () => {
    let calls = 0;
    await expect(
      retry(
        async (attempt) => {
          calls += 1;
          throw new Error(`fail ${attempt}`);
        },
        { attempts: 3, baseMs: 1 },
      ),
    ).rejects.toThrow('fail 3');
    expect(calls).toBe(3);
  });

  it('stops at the first failure the predicate calls permanent', async () => {
    let calls = 0;
    const permanent = Object.assign(new Error('unique violation'), { code: '23505' });
    await expect(
      retry(
        async () => {
          calls += 1;
          throw calls === 1 ? Object.assign(new Error('deadlock'), { code: '40P01' }) : permanent;
        },
        { attempts: 10, baseMs: 1, retryable: (err) => (err as { code?: string }).code === '40P01' },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(2);
  });

  it("an abort during the wait rejects with the signal's reason and starts no further attempt", async () => {
    const ac = new AbortController();
    const stop = new Error('shutting down');
    let calls = 0;
    const pending = retry(
      async () => {
        calls += 1;
        throw new Error('unavailable');
      },
      { attempts: Infinity, baseMs: 60_000, jitter: 'equal', signal: ac.signal, onRetry: () => ac.abort(stop) },
    );
    await expect(pending).rejects.toBe(stop);
    expect(calls).toBe(1);
    await expect(retry(async () => 'never', { attempts: 2, signal: ac.signal })).rejects.toBe(stop);
  });

  it('refuses fewer than one attempt', async () => {
    await expect(retry(async () => 1, { attempts: 0 })).rejects.toThrow(/at least 1/);
  });
});
