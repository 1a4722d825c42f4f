import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '@idgraph/test-support';
import { createPostureDebouncer } from './debounce.js';

describe('createPostureDebouncer', () => {
  afterEach(() => vi.useRealTimers());

  it('runs once per integration after a burst goes quiet', async () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    const d = createPostureDebouncer({ run: async (id) => void runs.push(id), delayMs: 100 });
    for (let i = 0; i < 5; i++) {
      d.trigger('a');
      await vi.advanceTimersByTimeAsync(50);
    }
    d.trigger('b');
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.sort()).toEqual(['a', 'b']);
    await d.close();
  });

  it('caps the postponement at maxDelayMs under a constant stream of triggers', async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const d = createPostureDebouncer({ run: async () => void runs.push(Date.now()), delayMs: 100, maxDelayMs: 300 });
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      d.trigger('a');
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0]! - start).toBeLessThanOrEqual(300);
    await d.close();
  });

  it('never runs one integration twice at once; a trigger during a run runs again after it', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let count = 0;
    let release: () => void = () => {};
    const d = createPostureDebouncer({
      delayMs: 1,
      run: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        count++;
        if (count === 1) await new Promise<void>((r) => (release = r));
        inFlight--;
      },
    });
    d.trigger('a');
    await waitFor('the first run to start', () => inFlight === 1, 5_000, 5);
    d.trigger('a');
    d.trigger('a');
    release();
    await d.flush();
    expect(count).toBe(2);
    expect(maxInFlight).toBe(1);
    await d.close();
  });

  it('keeps going after a failed run and reports the failure to the logger', async () => {
    const errors: unknown[] = [];
    const logger = { error: (obj: unknown) => errors.push(obj) } as never;
    let n = 0;
    const d = createPostureDebouncer({
      delayMs: 1,
      logger,
      run: async () => {
        if (++n === 1) throw new Error('db down');
      },
    });
    d.trigger('a');
    await d.flush();
    d.trigger('a');
    await d.flush();
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
    await d.close();
  });

  it('close cancels pending runs and ignores later triggers', async () => {
    let n = 0;
    const d = createPostureDebouncer({ delayMs: 10, run: async () => void n++ });
    d.trigger('a');
    expect(d.pending()).toEqual(['a']);
    await d.close();
    d.trigger('a');
    expect(d.pending()).toEqual([]); // nothing scheduled: there is no timer that could still run
    await d.flush();
    expect(n).toBe(0);
    expect(() => createPostureDebouncer({ delayMs: -1, run: async () => {} })).toThrow(/delayMs/);
  });
});
