import { describe, expect, it } from 'vitest';
import { coalesceBatches } from './coalesce.js';

/** A handler whose calls finish when the test says so. */
function controllable() {
  const calls: { items: number[]; finish: (err?: Error) => void }[] = [];
  const handle = (items: number[]) =>
    new Promise<void>((resolve, reject) => calls.push({ items, finish: (err) => (err ? reject(err) : resolve()) }));
  return { calls, handle };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('coalesceBatches', () => {
  it('commits at once when idle, and merges the batches that arrive meanwhile into the next call', async () => {
    const h = controllable();
    const commit = coalesceBatches(h.handle, { maxConcurrent: 1, maxItems: 4 });
    const first = commit([1, 2]);
    const second = commit([3]);
    const third = commit([4, 5]);
    const fourth = commit([6, 7]);
    await tick();
    expect(h.calls.map((c) => c.items)).toEqual([[1, 2]]);
    h.calls[0]!.finish();
    await first;
    await tick();
    // 3 + 4,5 fit in maxItems 4; 6,7 wait for the call after.
    expect(h.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4, 5]]);
    h.calls[1]!.finish();
    await Promise.all([second, third]);
    await tick();
    h.calls[2]!.finish();
    await fourth;
    expect(h.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4, 5], [6, 7]]);
  });

  it('fails every batch of a failed call, and only those', async () => {
    const h = controllable();
    const commit = coalesceBatches(h.handle, { maxConcurrent: 1 });
    const first = commit([1]);
    const second = commit([2]);
    const third = commit([3]);
    await tick();
    h.calls[0]!.finish();
    await first;
    await tick();
    h.calls[1]!.finish(new Error('database down'));
    await expect(second).rejects.toThrow('database down');
    await expect(third).rejects.toThrow('database down');
    const fourth = commit([4]);
    await tick();
    h.calls[2]!.finish();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('rejects nonsense options', () => {
    expect(() => coalesceBatches(async () => undefined, { maxItems: 0 })).toThrow(/maxItems/);
    expect(() => coalesceBatches(async () => undefined, { maxConcurrent: 1.5 })).toThrow(/maxConcurrent/);
  });
});
